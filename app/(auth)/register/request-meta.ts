import { headers } from "next/headers";
import { getLocale } from "next-intl/server";
import type { RequestMeta } from "@/lib/identity/registration";
import type { Container } from "@/lib/server/container";
import { clientAddressFromHeaders } from "../request-meta";

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
