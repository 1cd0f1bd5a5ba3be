import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { BackHomeLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { AppsIcon, InfoIcon, ShieldIcon, UserIcon } from "@/components/ui/icons";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Account");
  return { title: t("metaTitle") };
}

const features = [
  { key: "profile", icon: UserIcon },
  { key: "applications", icon: AppsIcon },
  { key: "privacy", icon: ShieldIcon },
] as const;

/** The account & privacy dashboard. Until account sign-in exists, it says what it will show. */
export default async function AccountPage() {
  const t = await getTranslations("Account");
  return (
    <CenteredCard icon={UserIcon} title={t("title")} lead={t("lead")} width="lg">
      <h2 className="mt-6 text-sm font-semibold text-fg">{t("featuresIntro")}</h2>
      <ul className="mt-3 divide-y divide-border rounded-xl border border-border">
        {features.map(({ key, icon: Icon }) => (
          <li key={key} className="flex gap-3 p-4">
            <Icon className="mt-0.5 size-5 shrink-0 text-fg-muted" />
            <div>
              <p className="text-sm font-semibold text-fg">{t(`features.${key}.title`)}</p>
              <p className="mt-0.5 text-sm leading-relaxed text-fg-muted">{t(`features.${key}.description`)}</p>
            </div>
          </li>
        ))}
      </ul>
      <Notice icon={InfoIcon} title={t("signedOutTitle")}>
        {t("signedOut")}
      </Notice>
      <BackHomeLink label={t("backHome")} />
    </CenteredCard>
  );
}
