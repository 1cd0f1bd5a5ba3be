/**
 * Security headers applied to every response by the one request pipeline (both doors), unless the
 * response sets the header itself. Pages and protocol endpoints alike may not be framed, with one
 * exception: the OIDC check_session iframe (lib/oidc/check-session.ts), a route marked `frameable`
 * (lib/http/types.ts), gets no X-Frame-Options and sends its own CSP whose frame-ancestors lists
 * the registered relying-party origins.
 */
export interface SecurityHeaderOptions {
  /** Send HSTS (only when the issuer is https). */
  https: boolean;
}

const pagePolicy = [
  "default-src 'self'",
  // Next.js inlines its bootstrap scripts and styles.
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function securityHeaders(options: SecurityHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    "content-security-policy": pagePolicy,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on plain form
    // posts, which Next.js rejects for server actions. Other sites still receive no referrer.
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
  };
  if (options.https) headers["strict-transport-security"] = "max-age=63072000; includeSubDomains";
  return headers;
}

/** Accepts a caller's request id if it is short and plain, else makes one. */
export function requestIdFrom(header: string | null | undefined): string {
  if (header && /^[A-Za-z0-9._:-]{1,128}$/.test(header)) return header;
  return crypto.randomUUID();
}
