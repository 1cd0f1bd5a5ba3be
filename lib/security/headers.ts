/**
 * Security headers, decided in one place for every response of both doors:
 *
 * - Protocol endpoints (the route table, lib/http/pipeline.ts) get `securityHeaders`, unless the
 *   response sets a header itself (handler-rendered pages send their own, stricter CSP).
 * - Next.js responses (pages, server actions, static files) get `pageSecurityHeaders` from the one
 *   Next proxy (proxy.ts): a Content-Security-Policy with a fresh nonce per request, which Next
 *   puts on every script it renders, so no inline script runs without it (CSP Level 3 §8.2
 *   'strict-dynamic' lets those scripts load the page's chunks).
 *
 * Nothing may be framed (X-Frame-Options DENY, frame-ancestors 'none'), with one exception: the
 * OIDC check_session iframe (lib/oidc/check-session.ts), a route marked `frameable`
 * (lib/http/types.ts), which sends its own CSP whose frame-ancestors lists the relying parties.
 */
export interface SecurityHeaderOptions {
  /** Send HSTS (only when the issuer is https). */
  https: boolean;
}

/** Protocol responses: JSON, redirects and a few self-contained HTML pages without scripts. */
const protocolPolicy = [
  "default-src 'self'",
  "script-src 'none'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The headers every response gets, whatever it is. */
function commonHeaders(options: SecurityHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    // Identity pages carry interaction ids, codes and tokens in their URLs: no other site (a
    // client's logo host, its policy page) learns them. Same-origin form posts then carry
    // "Origin: null" (Fetch §3.2.5); proxy.ts vouches for them with Sec-Fetch-Site.
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
  };
  // RFC 6797 §6.1: two years, subdomains included; only over https (§7.2: ignored over http anyway).
  if (options.https) headers["strict-transport-security"] = "max-age=63072000; includeSubDomains";
  return headers;
}

export function securityHeaders(options: SecurityHeaderOptions): Record<string, string> {
  return { "content-security-policy": protocolPolicy, ...commonHeaders(options) };
}

export interface PageSecurityOptions extends SecurityHeaderOptions {
  /** The per-request nonce (base64, >= 128 bits: CSP Level 3 §7.1). */
  nonce: string;
  /** next dev needs eval for React Refresh; never in production. */
  development?: boolean;
}

/** The CSP of a Next.js response: scripts only with this request's nonce (no 'unsafe-inline'). */
export function pagePolicy(options: Pick<PageSecurityOptions, "nonce" | "development">): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.development ? " 'unsafe-eval'" : ""}`,
    // React sets style attributes; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    // Client logos (client metadata logo_uri) and the tenant logo may live on other https hosts.
    "img-src 'self' data: https:",
    "font-src 'self'",
    `connect-src 'self'${options.development ? " ws: wss:" : ""}`,
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function pageSecurityHeaders(options: PageSecurityOptions): Record<string, string> {
  return { "content-security-policy": pagePolicy(options), ...commonHeaders(options) };
}

/** A fresh CSP nonce: 128 random bits, base64. */
export function createNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/** Accepts a caller's request id if it is short and plain, else makes one. */
export function requestIdFrom(header: string | null | undefined): string {
  if (header && /^[A-Za-z0-9._:-]{1,128}$/.test(header)) return header;
  return crypto.randomUUID();
}
