/**
 * The CSRF token of the logout confirmation form (app/(auth)/logout/page.tsx), checked by the
 * end_session_endpoint (./handler.ts) before it ends a session it cannot tie to the request
 * (RP-Initiated Logout 1.0 §6).
 */
import { createHmac } from "node:crypto";
import { timingSafeEqualStrings } from "../../security/secrets";

/** The confirmation form's CSRF token: an HMAC of the browser session id, so it is valid only for that session. */
export function logoutCsrfToken(cookieSecret: string, sessionId: string): string {
  return createHmac("sha256", cookieSecret).update("logout-confirm\0").update(sessionId).digest("base64url");
}

/** Checks a CSRF token in constant time. */
export function isValidLogoutCsrfToken(cookieSecret: string, sessionId: string, token: string | undefined): boolean {
  if (typeof token !== "string" || token.length === 0 || token.length > 128) return false;
  return timingSafeEqualStrings(token, logoutCsrfToken(cookieSecret, sessionId));
}
