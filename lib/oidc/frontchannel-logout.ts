/**
 * OpenID Connect Front-Channel Logout 1.0: after a browser session ends, the page Authly shows
 * renders one hidden iframe per relying party that registered a `frontchannel_logout_uri` (§4),
 * so that the RP can clear its own session in the user's browser.
 */
import type { Client } from "../generated/prisma/client";

/** One iframe of the logout page. */
export interface FrontchannelTarget {
  /** The public client_id. */
  clientId: string;
  /** The frontchannel_logout_uri with `iss` and `sid` added. */
  url: string;
  /** Its origin, for the page's `frame-src` (CSP). */
  origin: string;
}

/**
 * Front-Channel Logout 1.0 §2: the OP adds `iss` and `sid` as query parameters when the RP
 * registered frontchannel_logout_session_required; adding them for every RP is allowed (an RP that
 * did not ask for them ignores them). The URI's own query is kept as registered.
 */
export function frontchannelLogoutUrl(uri: string, issuer: string, sessionId: string): string {
  const query = new URLSearchParams({ iss: issuer, sid: sessionId }).toString();
  const hash = uri.indexOf("#");
  // Registration rejects fragments; cut one anyway so the parameters stay in the query.
  const base = hash < 0 ? uri : uri.slice(0, hash);
  return base + (base.includes("?") ? "&" : "?") + query;
}

/** The iframes for the clients of an ended session that registered a front-channel logout URI. */
export function frontchannelTargets(
  clients: readonly Pick<Client, "clientId" | "frontchannelLogoutUri" | "enabled">[],
  issuer: string,
  sessionId: string,
): FrontchannelTarget[] {
  const targets: FrontchannelTarget[] = [];
  for (const client of clients) {
    if (!client.enabled || !client.frontchannelLogoutUri) continue;
    const parsed = URL.parse(client.frontchannelLogoutUri);
    // Front-Channel Logout 1.0 §2: an absolute http(s) URI (checked at registration; re-checked
    // here because the value ends up in a page and in its Content-Security-Policy).
    if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) continue;
    targets.push({ clientId: client.clientId, url: frontchannelLogoutUrl(client.frontchannelLogoutUri, issuer, sessionId), origin: parsed.origin });
  }
  return targets;
}

/** The CSP `frame-src` sources for the iframes: exactly their origins, or 'none'. */
export function frameSources(targets: readonly FrontchannelTarget[]): string {
  const origins = [...new Set(targets.map((t) => t.origin))];
  return origins.length > 0 ? origins.join(" ") : "'none'";
}
