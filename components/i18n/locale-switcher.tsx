import { getLocale, getTranslations } from "next-intl/server";
import { setLocale } from "@/app/actions/locale";
import { locales } from "@/i18n/locales";
import { GlobeIcon } from "@/components/ui/icons";

/**
 * Language switcher: a plain form whose buttons post to a server action, so it works with the
 * keyboard and without client JavaScript. Each language is named in its own language.
 */
export async function LocaleSwitcher() {
  const [current, t] = await Promise.all([getLocale(), getTranslations("LocaleSwitcher")]);
  return (
    <form action={setLocale} className="flex items-center gap-3">
      <span id="locale-switcher-label" className="flex items-center gap-1.5 text-sm text-fg-muted">
        <GlobeIcon className="size-4" />
        {t("label")}
      </span>
      <div
        role="group"
        aria-labelledby="locale-switcher-label"
        className="inline-flex rounded-lg border border-border bg-surface p-0.5 shadow-xs"
      >
        {locales.map((locale) => {
          const active = locale === current;
          return (
            <button
              key={locale}
              type="submit"
              name="locale"
              value={locale}
              lang={locale}
              aria-pressed={active}
              className={
                "rounded-md px-3 py-1 text-sm font-medium transition-colors " +
                (active
                  ? "bg-accent text-accent-fg shadow-xs"
                  : "text-fg-muted hover:bg-surface-muted hover:text-fg")
              }
            >
              {t(`names.${locale}`)}
            </button>
          );
        })}
      </div>
    </form>
  );
}
