import { NextResponse, type NextRequest } from "next/server";
import { UI_LOCALES_HEADER, isUiLocalesValue } from "./i18n/locales";

/**
 * The sign-in and consent pages are rendered in the language the relying party asked for with
 * `ui_locales` (OIDC Core §3.1.2.1), which the authorization endpoint carries in the page URL.
 * The i18n configuration (i18n/request.ts) reads it from an internal request header, set here and
 * only here: a value sent by the browser is always replaced or removed.
 */
export function proxy(request: NextRequest): NextResponse {
  const headers = new Headers(request.headers);
  headers.delete(UI_LOCALES_HEADER);
  const uiLocales = request.nextUrl.searchParams.get("ui_locales");
  if (isUiLocalesValue(uiLocales)) headers.set(UI_LOCALES_HEADER, uiLocales);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/login", "/consent"] };
