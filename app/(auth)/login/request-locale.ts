import { cookies, headers } from "next/headers";
import { getTranslations } from "next-intl/server";
import { cache } from "react";
import { LOCALE_COOKIE, UI_LOCALES_HEADER, type Locale } from "@/i18n/locales";
import { INTERACTION_COOKIE } from "@/lib/oauth/interaction/browser";
import type { InteractionView } from "@/lib/oauth/interaction/view";
import { getContainer } from "@/lib/server/instance";
import { interactionLocale } from "./page-locale";

/**
 * The pending interaction for this browser, once per render (page and metadata share it), or
 * null when it is unknown, expired, used or another browser's.
 */
export const loadInteraction = cache(async (id: string | string[] | undefined): Promise<InteractionView | null> => {
  if (typeof id !== "string") return null;
  const [container, cookieStore] = await Promise.all([getContainer(), cookies()]);
  return container.interactions.get(id, cookieStore.get(container.sessions.hostOnly(INTERACTION_COOKIE))?.value);
});

/** The locale of the sign-in and consent pages: the interaction's ui_locales first (OIDC Core §3.1.2.1). */
export async function requestInteractionLocale(view: Pick<InteractionView, "uiLocales"> | null): Promise<Locale> {
  const [container, requestHeaders, cookieStore] = await Promise.all([getContainer(), headers(), cookies()]);
  return interactionLocale({
    uiLocales: view?.uiLocales,
    uiLocalesHeader: requestHeaders.get(UI_LOCALES_HEADER),
    cookie: cookieStore.get(LOCALE_COOKIE)?.value,
    acceptLanguage: requestHeaders.get("accept-language"),
    fallback: container.config.defaultLocale,
  });
}

/**
 * The sign-in texts in a given locale, through the request configuration (i18n/request.ts), so the
 * tenant's product name is in them.
 */
export function signInTranslator(locale: Locale) {
  return getTranslations({ locale, namespace: "SignIn" });
}
