import { NextResponse, type NextRequest } from "next/server";
import { UI_LOCALES_HEADER, isUiLocalesValue } from "./i18n/locales";
import { createNonce, pageSecurityHeaders } from "./lib/security/headers";
import { pagePaths } from "./lib/protocol/paths";

/**
 * The one Next.js proxy: every request Next.js serves (pages, server actions, static files) passes
 * here; protocol endpoints in the route table never reach Next.js and get the same headers from
 * lib/http/pipeline.ts. It
 *
 * 1. sets the security headers of the response, with a Content-Security-Policy whose script nonce
 *    is new for every request. The nonce also goes on the request's own CSP header, where Next.js
 *    reads it and stamps it on every script tag it renders.
 * 2. refuses cross-site state-changing requests (CSRF defence for server actions and forms, on top
 *    of Next.js's own Origin check), using the browser's Fetch Metadata (Sec-Fetch-Site).
 * 3. passes the OIDC `ui_locales` of the sign-in and consent pages (OIDC Core §3.1.2.1) to the i18n
 *    configuration through an internal request header, set here and only here.
 */
/** Pages that a relying party sends the browser to, so they honour its ui_locales (OIDC Core §3.1.2.1, RP-Initiated Logout 1.0 §2). */
const UI_LOCALES_PAGES = new Set<string>([pagePaths.login, pagePaths.consent, pagePaths.confirmLogout, pagePaths.signedOut]);

/**
 * Protocol endpoints (the route table, lib/http/routes.ts). In production they never reach Next.js;
 * under `next dev` they do, and keep their own headers from the pipeline (the check_session iframe's
 * frame-ancestors, for one) and accept cross-site posts from relying parties (RP-initiated logout).
 */
const PROTOCOL_PATH = /^\/(?:oauth|oidc|\.well-known|api)\//;

export function proxy(request: NextRequest): NextResponse {
  if (PROTOCOL_PATH.test(request.nextUrl.pathname)) return NextResponse.next();
  const https = request.nextUrl.protocol === "https:" || (process.env.AUTHLY_ISSUER ?? "").startsWith("https:");
  const nonce = createNonce();
  const security = pageSecurityHeaders({ nonce, https, development: process.env.NODE_ENV === "development" });

  const unsafe = request.method !== "GET" && request.method !== "HEAD" && request.method !== "OPTIONS";
  const site = request.headers.get("sec-fetch-site");
  if (unsafe && site !== null && site !== "same-origin" && site !== "none") {
    // Fetch Metadata (W3C Fetch Metadata §2.1): a request another site started. Nothing Next.js
    // serves accepts one (relying parties post only to protocol endpoints).
    return withHeaders(new NextResponse("Cross-site request refused", { status: 403, headers: { "content-type": "text/plain; charset=utf-8" } }), security);
  }

  const headers = new Headers(request.headers);
  headers.set("content-security-policy", security["content-security-policy"]!);
  headers.delete(UI_LOCALES_HEADER);
  const uiLocales = request.nextUrl.searchParams.get("ui_locales");
  if (isUiLocalesValue(uiLocales) && UI_LOCALES_PAGES.has(request.nextUrl.pathname)) {
    headers.set(UI_LOCALES_HEADER, uiLocales);
  }
  if (unsafe && request.headers.get("origin") === "null" && site === "same-origin") {
    // Referrer-Policy: no-referrer makes browsers send "Origin: null" on same-origin form posts
    // (Fetch §3.2.5). The browser's Sec-Fetch-Site says it is same-origin, so restore the origin
    // that Next.js's server-action check compares with the Host header.
    // The host Next.js compares with (x-forwarded-host, else host), not the server's own hostname.
    const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host") ?? request.nextUrl.host;
    headers.set("origin", `${request.nextUrl.protocol}//${host}`);
  }
  return withHeaders(NextResponse.next({ request: { headers } }), security);
}

function withHeaders(response: NextResponse, headers: Record<string, string>): NextResponse {
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

// Every path Next.js serves. (Route-table paths are answered before Next.js in production.)
export const config = { matcher: "/:path*" };
