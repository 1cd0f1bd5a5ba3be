import type { Metadata } from "next";
import Link from "next/link";
import { getTranslations } from "next-intl/server";
import { CardFooterLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { ArrowLeftIcon, InfoIcon, LoginIcon } from "@/components/ui/icons";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Login");
  return { title: t("metaTitle") };
}

/**
 * Sign-in. Today this page only explains where sign-in starts; the form appears here once the
 * authorization endpoint sends users to it with a pending authorization request.
 */
export default async function LoginPage() {
  const t = await getTranslations("Login");
  return (
    <CenteredCard icon={LoginIcon} title={t("title")} lead={t("lead")}>
      <p className="mt-4 text-sm leading-relaxed text-fg-muted">{t("howItWorks")}</p>
      <Notice icon={InfoIcon} title={t("noRequestTitle")}>
        {t("noRequest")}
      </Notice>
      <CardFooterLink>
        <Link href="/" className="inline-flex items-center gap-1.5 rounded-md font-medium text-accent hover:text-accent-hover hover:underline">
          <ArrowLeftIcon className="size-4" />
          {t("backHome")}
        </Link>
      </CardFooterLink>
    </CenteredCard>
  );
}
