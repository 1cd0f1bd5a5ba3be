import Link from "next/link";
import { getTranslations } from "next-intl/server";
import { LogoMark } from "./logo-mark";
import { accountPaths } from "@/lib/protocol/paths";

/**
 * The page header: the tenant's logo and product name and the main links. The layout reads the
 * tenant settings and passes them in (components have no data access, docs/layers.md).
 */
export async function SiteHeader({ productName, logoUri }: { productName: string; logoUri: string | null }) {
  const t = await getTranslations("Layout");
  return (
    <header className="border-b border-border bg-surface/80 backdrop-blur supports-[backdrop-filter]:bg-surface/70">
      <div className="mx-auto flex h-16 max-w-5xl items-center justify-between gap-4 px-4 sm:px-6">
        <Link href="/" aria-label={t("homeLink")} className="group flex items-center gap-2.5 rounded-md">
          {logoUri ? (
            // eslint-disable-next-line @next/next/no-img-element -- an operator-chosen logo, any host and size
            <img src={logoUri} alt="" width={32} height={32} referrerPolicy="no-referrer" className="size-8 rounded-md object-contain" />
          ) : (
            <LogoMark className="size-8 transition-transform group-hover:scale-105" />
          )}
          <span className="text-lg font-semibold tracking-tight text-fg">{productName}</span>
        </Link>
        <nav aria-label={t("primaryNav")}>
          <ul className="flex items-center gap-1 text-sm font-medium">
            <li>
              <Link
                href="/#developers"
                className="hidden rounded-md px-3 py-2 text-fg-muted transition-colors hover:bg-surface-muted hover:text-fg sm:inline-block"
              >
                {t("navDevelopers")}
              </Link>
            </li>
            <li>
              <Link
                href={accountPaths.overview}
                className="inline-block rounded-md px-3 py-2 text-fg-muted transition-colors hover:bg-surface-muted hover:text-fg"
              >
                {t("navAccount")}
              </Link>
            </li>
          </ul>
        </nav>
      </div>
    </header>
  );
}
