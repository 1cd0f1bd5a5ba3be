import type { Metadata } from "next";
import Link from "next/link";
import { getTranslations } from "next-intl/server";
import { CardFooterLink, CenteredCard } from "@/components/ui/centered-card";
import { ArrowLeftIcon, CompassIcon } from "@/components/ui/icons";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("NotFound");
  return { title: t("metaTitle") };
}

export default async function NotFound() {
  const t = await getTranslations("NotFound");
  return (
    <CenteredCard icon={CompassIcon} eyebrow={t("code")} title={t("title")} lead={t("description")}>
      <CardFooterLink>
        <Link href="/" className="inline-flex items-center gap-1.5 rounded-md font-medium text-accent hover:text-accent-hover hover:underline">
          <ArrowLeftIcon className="size-4" />
          {t("backHome")}
        </Link>
      </CardFooterLink>
    </CenteredCard>
  );
}
