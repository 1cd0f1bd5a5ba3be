import { headers } from "next/headers";
import { getLocale } from "next-intl/server";
import type { RequestMeta } from "@/lib/identity/registration";
import type { Container } from "@/lib/server/container";

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

/**
 * Who sent a form of the registration and password pages: the page language (mails are written
 * in it), the client address (rate limits, audit), user agent and request id (audit).
 */
export async function formRequestMeta(container: Container): Promise<RequestMeta> {
  const [requestHeaders, locale] = await Promise.all([headers(), getLocale()]);
  return {
    locale,
    ipAddress: clientAddressFromHeaders(requestHeaders, container.config.trustProxy),
    userAgent: requestHeaders.get("user-agent") ?? undefined,
    requestId: requestHeaders.get("x-request-id") ?? undefined,
  };
}
