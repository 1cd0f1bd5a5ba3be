import { cookies, headers } from "next/headers";
import { getRequestConfig } from "next-intl/server";
import { catalogs, type Messages } from "@/messages/catalogs";
import { formats, timeZone } from "./formats";
import { getContainer } from "@/lib/server/instance";
import { brandMessages } from "@/lib/tenancy/branding";
import { LOCALE_COOKIE, UI_LOCALES_HEADER, isLocale, type Locale } from "./locales";
import { negotiateLocale } from "./negotiate-locale";

/**
 * next-intl's per-request configuration. Routing is not locale-prefixed (URLs stay "/", "/login",
 * ...): the locale is negotiated from the request on every render. A page that knows its own
 * language (the login and consent cards follow the interaction's ui_locales) asks for it
 * explicitly, e.g. `getFormatter({ locale })`, and gets that locale's messages and formats.
 */
export default getRequestConfig(async ({ locale: requested }) => {
  const [requestHeaders, requestCookies, container] = await Promise.all([headers(), cookies(), getContainer()]);
  const settings = await container.tenantSettings.get();
  const locale = isLocale(requested)
    ? requested
    : negotiateLocale({
        uiLocales: requestHeaders.get(UI_LOCALES_HEADER),
        cookie: requestCookies.get(LOCALE_COOKIE)?.value,
        acceptLanguage: requestHeaders.get("accept-language"),
        // AUTHLY_DEFAULT_LOCALE decides when nothing in the request does.
        fallback: container.config.defaultLocale,
      });
  return {
    locale,
    // The tenant's product name replaces "Authly" in every text.
    messages: brandMessages(catalogs[locale], settings.productName),
    // Dates and numbers (i18n/formats.ts): one time zone for server and client renders,
    // and "now" (relative times) from the container's clock like every other service.
    formats,
    timeZone,
    now: container.clock.now(),
  };
});

// Type-checked locales, message keys and format names for useTranslations/getFormatter.
declare module "next-intl" {
  interface AppConfig {
    Locale: Locale;
    Messages: Messages;
    Formats: typeof formats;
  }
}
