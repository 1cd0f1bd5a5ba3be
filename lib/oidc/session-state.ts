/**
 * OpenID Connect Session Management 1.0. The OP browser state (§3) is a value derived from the
 * browser session id, held in the `authly_browser_state` cookie that the check_session iframe
 * (same origin as Authly) can read with JavaScript. It changes whenever the user signs in as
 * another session and disappears on logout. Every authentication response carries
 *
 *   session_state = hex(SHA-256(client_id " " origin " " opbs " " salt)) "." salt     (§3, example)
 *
 * and the iframe recomputes it from the cookie to answer `changed` or `unchanged` (§3.3).
 */
import { createHash, createHmac, randomBytes } from "node:crypto";

export const BROWSER_STATE_COOKIE = "authly_browser_state";

/** The OP browser state of a browser session: unguessable, one value per session. */
export function browserStateOf(cookieSecret: string, sessionId: string): string {
  return createHmac("sha256", cookieSecret).update("opbs\0").update(sessionId).digest("base64url");
}

/** Session Management 1.0 §3: the session_state value for one client and origin. */
export function computeSessionState(clientId: string, origin: string, browserState: string, salt: string = randomBytes(8).toString("hex")): string {
  const hash = createHash("sha256").update(`${clientId} ${origin} ${browserState} ${salt}`).digest("hex");
  return `${hash}.${salt}`;
}

/** The origin (scheme, host, port) of a redirect URI, as the RP's page that embeds the iframe has it. */
export function originOf(uri: string): string | null {
  try {
    const origin = new URL(uri).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}
