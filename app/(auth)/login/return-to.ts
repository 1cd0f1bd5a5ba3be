import { accountPaths, pagePaths } from "@/lib/protocol/paths";

/**
 * Where the plain sign-in page sends the browser afterwards (`?return_to=`). Only a path on this
 * site is accepted, so the parameter can never make Authly an open redirector (RFC 9700 §4.11,
 * OWASP ASVS 5.1.5). Pure, so tests check it directly.
 */
export const DEFAULT_RETURN_TO: string = accountPaths.overview;

const ORIGIN = "http://authly.invalid";

/**
 * `value` when it is a relative path ("/account?tab=apps"), else DEFAULT_RETURN_TO. Refused:
 * anything not starting with "/", and "//host" or "/\host", which browsers read as another host;
 * also control characters, spaces and backslashes (browsers drop or rewrite them before parsing,
 * e.g. "/\t/evil.example" becomes "//evil.example").
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return DEFAULT_RETURN_TO;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return DEFAULT_RETURN_TO;
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(value)) return DEFAULT_RETURN_TO;
  let url: URL;
  try {
    url = new URL(value, ORIGIN);
  } catch {
    return DEFAULT_RETURN_TO;
  }
  if (url.origin !== ORIGIN) return DEFAULT_RETURN_TO;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The sign-in page URL that comes back to `returnTo`; `force` shows the form even when signed in. */
export function signInUrl(returnTo: string, options: { force?: boolean } = {}): string {
  const params = new URLSearchParams();
  if (returnTo !== DEFAULT_RETURN_TO) params.set("return_to", returnTo);
  if (options.force) params.set("force", "1");
  const query = params.toString();
  return query ? `${pagePaths.login}?${query}` : pagePaths.login;
}
