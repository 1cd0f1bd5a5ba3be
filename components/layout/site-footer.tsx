import { getTranslations } from "next-intl/server";
import { LocaleSwitcher } from "@/components/i18n/locale-switcher";
import { wellKnownPaths } from "@/lib/protocol/paths";

export async function SiteFooter() {
  const t = await getTranslations("Layout");
  return (
    <footer className="border-t border-border">
      <div className="mx-auto flex max-w-5xl flex-col gap-4 px-4 py-6 sm:flex-row sm:items-center sm:justify-between sm:px-6">
        <div className="space-y-1 text-sm text-fg-muted">
          <p>
            <span className="font-semibold text-fg">Authly</span> · {t("footerTagline")}
          </p>
          <p>
            <a
              href={wellKnownPaths.openidConfiguration}
              className="underline decoration-border-strong underline-offset-4 hover:text-fg hover:decoration-current"
            >
              {t("footerDiscovery")}
            </a>
          </p>
        </div>
        <LocaleSwitcher />
      </div>
    </footer>
  );
}
