/**
 * The locales Authly's user interface speaks, and the names that carry a choice of one between
 * requests. How one is chosen for a request: i18n/negotiate-locale.ts.
 */

export const locales = ["en", "de", "fr"] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = "en";

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (locales as readonly string[]).includes(value);
}

/** The cookie holding the language the user picked with the language switcher. */
export const LOCALE_COOKIE = "authly_locale";
/** One year, in seconds. */
export const LOCALE_COOKIE_MAX_AGE = 60 * 60 * 24 * 365;
/**
 * The request header through which the server passes the OIDC `ui_locales` parameter of an
 * authorization request to the UI. The server must strip it from incoming requests.
 */
export const UI_LOCALES_HEADER = "x-authly-ui-locales";

/** A `ui_locales` value (OIDC Core §3.1.2.1) that may travel in a page URL and that header: language tags only. */
export function isUiLocalesValue(value: string | null | undefined): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= 256 && /^[A-Za-z0-9 _-]+$/.test(value);
}
