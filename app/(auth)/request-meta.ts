/**
 * The client address of a page request or server action, for audit and the session row. Behind a
 * trusted proxy (AUTHLY_TRUST_PROXY) the first X-Forwarded-For hop; otherwise the hop that Next's
 * own router appends (the socket address), the last one.
 */
export function clientAddressFromHeaders(headers: Headers, trustProxy: boolean): string | undefined {
  const hops = (headers.get("x-forwarded-for") ?? "").split(",").map((h) => h.trim()).filter(Boolean);
  const address = trustProxy ? hops[0] : hops[hops.length - 1];
  return address ? address.slice(0, 64) : undefined;
}
