import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { BackHomeLink, CenteredCard } from "@/components/ui/centered-card";
import { CompassIcon } from "@/components/ui/icons";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("NotFound");
  return { title: t("metaTitle") };
}

export default async function NotFound() {
  const t = await getTranslations("NotFound");
  return (
    <CenteredCard icon={CompassIcon} eyebrow={t("code")} title={t("title")} lead={t("description")}>
      <BackHomeLink label={t("backHome")} />
    </CenteredCard>
  );
}
