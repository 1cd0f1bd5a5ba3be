import { LOCALE_COOKIE, type Locale } from "../../i18n/locales";
import { negotiateLocale } from "../../i18n/negotiate-locale";
import { parseCookieHeader } from "../sessions/browser-session";

/**
 * The UI language for a handler-rendered page, negotiated like the Next pages': the request's
 * `ui_locales` when given (OIDC Core §3.1.2.1), then the language cookie, then Accept-Language.
 */
export function pageLocale(request: Request, fallback: Locale, uiLocales?: string): Locale {
  return negotiateLocale({
    uiLocales: uiLocales ?? null,
    cookie: parseCookieHeader(request.headers.get("cookie")).get(LOCALE_COOKIE),
    acceptLanguage: request.headers.get("accept-language"),
    fallback,
  });
}
