/**
 * The language of the sign-in and consent pages for a pending authorization request. OIDC Core
 * §3.1.2.1 ui_locales: "End-User's preferred languages and scripts for the user interface", so
 * the value stored with the interaction wins over the language cookie and Accept-Language.
 *
 * Pure (no next/headers), so tests can check the choice and the resulting texts directly. The
 * page renders its card with these translations; the site chrome around it (header, footer,
 * <html lang>) gets ui_locales from the page URL through proxy.ts and i18n/request.ts.
 */
import { createTranslator } from "next-intl";
import type { Locale } from "@/i18n/locales";
import { negotiateLocale } from "@/i18n/negotiate-locale";
import { catalogs } from "@/messages/catalogs";


export interface InteractionLocaleInput {
  /** The interaction's ui_locales (InteractionView.uiLocales). */
  uiLocales?: string | null;
  /** The internal x-authly-ui-locales header, when the server set one. */
  uiLocalesHeader?: string | null;
  /** The authly_locale cookie. */
  cookie?: string | null;
  acceptLanguage?: string | null;
  fallback: Locale;
}

/** The page locale: the interaction's ui_locales, then the usual order (i18n/negotiate-locale.ts). */
export function interactionLocale(input: InteractionLocaleInput): Locale {
  return negotiateLocale({
    uiLocales: input.uiLocales ?? input.uiLocalesHeader ?? null,
    cookie: input.cookie ?? null,
    acceptLanguage: input.acceptLanguage ?? null,
    fallback: input.fallback,
  });
}

/** The sign-in page's messages (messages/login, namespace SignIn) in a given locale. */
export function loginTranslator(locale: Locale) {
  return createTranslator({ locale, messages: catalogs[locale], namespace: "SignIn" });
}

/** The Consent messages in a given locale. */
export function consentTranslator(locale: Locale) {
  return createTranslator({ locale, messages: catalogs[locale], namespace: "Consent" });
}
