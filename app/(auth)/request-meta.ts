import { headers } from "next/headers";
import { getLocale } from "next-intl/server";
import { pageRequestMeta } from "@/lib/http/page-door";
import type { RequestMeta } from "@/lib/identity/registration";
import type { Container } from "@/lib/server/container";

/**
 * Who sent a form of the registration and password pages: the page language (mails are written
 * in it), the client address (rate limits, audit), user agent and request id (audit). Address and
 * request id are the ones server.ts decided for this request (lib/http/page-door.ts), never the
 * client's own X-Forwarded-For or X-Request-Id.
 */
export async function formRequestMeta(_container: Container): Promise<RequestMeta> {
  const [requestHeaders, locale] = await Promise.all([headers(), getLocale()]);
  const { ipAddress, requestId } = pageRequestMeta(requestHeaders);
  return {
    locale,
    ipAddress,
    userAgent: requestHeaders.get("user-agent") ?? undefined,
    requestId,
  };
}
