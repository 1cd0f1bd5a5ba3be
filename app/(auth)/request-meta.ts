import { headers } from "next/headers";
import { getLocale } from "next-intl/server";
import { requestMetaOfPage } from "@/lib/http/request-meta";
import type { MailFormMeta } from "@/lib/identity/registration";
import type { Container } from "@/lib/server/container";

/**
 * Who sent a form of the registration and password pages: the page language (mails are written
 * in it), and the client address (rate limits, audit), user agent and request id (audit) as
 * lib/http/request-meta.ts reads them for pages: address and request id are the ones server.ts
 * decided for this request, never the client's own X-Forwarded-For or X-Request-Id.
 */
export async function formRequestMeta(_container: Container): Promise<MailFormMeta> {
  const [requestHeaders, locale] = await Promise.all([headers(), getLocale()]);
  return { locale, ...requestMetaOfPage(requestHeaders) };
}
