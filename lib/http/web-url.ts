/** Hosts where plain http is acceptable when a rule allows it for loopback only (local development and tests). */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export interface WebUrlRule {
  /** Plain http: on "any" host (the default), on "loopback" hosts only, or "never" (https only). */
  http?: "any" | "loopback" | "never";
  /** Whether the URL may carry a fragment (default true). */
  fragment?: boolean;
}

/**
 * The one rule for a URL that a browser or this server will open: absolute, http(s), with a host,
 * and without credentials (RFC 3986 §3.2.1 deprecates userinfo; RFC 9110 §4.2.4 forbids it in
 * http(s) URIs). Used for profile claims (OIDC Core §5.1 profile, picture, website), client
 * metadata (RFC 7591 §2 logo_uri, client_uri, policy_uri, tos_uri, jwks_uri; OIDC Registration
 * §2 sector_identifier_uri; Front- and Back-Channel Logout URIs) and the tenant's logo.
 */
export function isWebUrl(value: string, rule: WebUrlRule = {}): boolean {
  const url = URL.parse(value);
  if (url === null || url.hostname === "" || url.username !== "" || url.password !== "") return false;
  if (rule.fragment === false && url.hash !== "") return false;
  if (url.protocol === "https:") return true;
  if (url.protocol !== "http:") return false;
  const http = rule.http ?? "any";
  return http === "any" || (http === "loopback" && LOOPBACK_HOSTS.has(url.hostname));
}
