import { cookies, headers } from "next/headers";
import { getRequestConfig } from "next-intl/server";
import type en from "@/messages/en.json";
import { getContainer } from "@/lib/server/instance";
import { LOCALE_COOKIE, UI_LOCALES_HEADER, negotiateLocale, type Locale } from "./locales";

type Messages = typeof en;

const catalogs: Record<Locale, () => Promise<{ default: Messages }>> = {
  en: () => import("@/messages/en.json"),
  de: () => import("@/messages/de.json"),
};

/**
 * next-intl's per-request configuration. Routing is not locale-prefixed (URLs stay "/", "/login",
 * ...): the locale is negotiated from the request on every render.
 */
export default getRequestConfig(async () => {
  const [requestHeaders, requestCookies, container] = await Promise.all([headers(), cookies(), getContainer()]);
  const locale = negotiateLocale({
    uiLocales: requestHeaders.get(UI_LOCALES_HEADER),
    cookie: requestCookies.get(LOCALE_COOKIE)?.value,
    acceptLanguage: requestHeaders.get("accept-language"),
    // AUTHLY_DEFAULT_LOCALE decides when nothing in the request does.
    fallback: container.config.defaultLocale,
  });
  const messages = (await catalogs[locale]()).default;
  return { locale, messages };
});

// Type-checked locales and message keys for useTranslations/getTranslations.
declare module "next-intl" {
  interface AppConfig {
    Locale: Locale;
    Messages: Messages;
  }
}
