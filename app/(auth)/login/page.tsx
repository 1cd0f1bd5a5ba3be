import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { BackHomeLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { InfoIcon, LoginIcon } from "@/components/ui/icons";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Login");
  return { title: t("metaTitle") };
}

const steps = ["start", "authorize", "return"] as const;

/**
 * Sign-in. Today this page only explains where sign-in starts; the form appears here once the
 * authorization endpoint sends users to it with a pending authorization request.
 */
export default async function LoginPage() {
  const t = await getTranslations("Login");
  return (
    <CenteredCard icon={LoginIcon} title={t("title")} lead={t("lead")}>
      <h2 className="mt-6 text-sm font-semibold text-fg">{t("stepsTitle")}</h2>
      <ol className="mt-3 space-y-3">
        {steps.map((step, index) => (
          <li key={step} className="flex gap-3 text-sm leading-relaxed text-fg-muted">
            <span
              aria-hidden="true"
              className="flex size-6 shrink-0 items-center justify-center rounded-full bg-accent-soft text-xs font-semibold text-accent-soft-fg"
            >
              {index + 1}
            </span>
            <span className="pt-0.5">{t(`steps.${step}`)}</span>
          </li>
        ))}
      </ol>
      <Notice icon={InfoIcon} title={t("noRequestTitle")}>
        {t("noRequest")}
      </Notice>
      <BackHomeLink label={t("backHome")} />
    </CenteredCard>
  );
}
