/**
 * What the browser sees of an interaction: the cookie that binds it to the browser that sent the
 * authorization request, and the URLs of its pages.
 */
import { isUiLocalesValue } from "../../../i18n/locales";
import type { InteractionPrompt } from "../../oidc/interaction-policy";

export const INTERACTION_COOKIE = "authly_interaction";

export const LOGIN_PATH = "/login";
export const CONSENT_PATH = "/consent";
export const RESUME_PATH = "/oauth/authorize/resume";

/** The page of each prompt of the interaction policy (lib/oidc/interaction-policy.ts). */
const PROMPT_PAGES: Record<InteractionPrompt, string> = { login: LOGIN_PATH, consent: CONSENT_PATH };

/** What the browser binding cookie must look like (randomToken(32)). */
export function isBrowserBinding(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * The login or consent page of an interaction. The request's `ui_locales` (OIDC Core §3.1.2.1)
 * rides along in the URL, so that the whole page, layout included, is rendered in that language
 * (proxy.ts passes it to the i18n configuration); it is a list of language tags, nothing more.
 */
export function pageUrl(prompt: InteractionPrompt, id: string, uiLocales?: string): string {
  const base = `${PROMPT_PAGES[prompt]}?interaction=${encodeURIComponent(id)}`;
  const locales = uiLocales?.trim();
  return isUiLocalesValue(locales) ? `${base}&ui_locales=${encodeURIComponent(locales)}` : base;
}

/** Where the login and consent pages send the browser once they are done (GET /oauth/authorize/resume). */
export function resumeUrl(id: string): string {
  return `${RESUME_PATH}?interaction=${encodeURIComponent(id)}`;
}
