"use server";

import { cookies } from "next/headers";
import { z } from "zod";
import { LOCALE_COOKIE, LOCALE_COOKIE_MAX_AGE, locales } from "@/i18n/locales";

const localeSchema = z.enum(locales);

/**
 * Stores the language the user picked in the `authly_locale` cookie. Used as a form action, so it
 * works without client JavaScript; Next re-renders the current page with the new cookie.
 * Unsupported values are ignored (the page simply re-renders unchanged).
 */
export async function setLocale(formData: FormData): Promise<void> {
  const parsed = localeSchema.safeParse(formData.get("locale"));
  if (!parsed.success) return;
  const store = await cookies();
  store.set(LOCALE_COOKIE, parsed.data, {
    maxAge: LOCALE_COOKIE_MAX_AGE,
    path: "/",
    sameSite: "lax",
    httpOnly: true,
    // Only mark it Secure when the server is served over https (a plain-http dev or loopback
    // server would otherwise lose the cookie in some browsers).
    secure: servedOverHttps(),
  });
}

function servedOverHttps(): boolean {
  const issuer = process.env.AUTHLY_ISSUER;
  return typeof issuer === "string" && issuer.trim().toLowerCase().startsWith("https://");
}
