/**
 * Authorization responses (OAuth 2.1 §4.1.2, §4.1.2.1) in the two supported response modes, and
 * the error page shown when the client or its redirect URI cannot be trusted. These are rendered
 * by the protocol handler itself (no Next.js render): plain, self-contained HTML.
 */
import { createHash } from "node:crypto";
import { catalogs } from "../../messages/catalogs";
import { LOCALE_COOKIE, type Locale } from "../../i18n/locales";
import { negotiateLocale } from "../../i18n/negotiate-locale";
import { parseCookieHeader } from "../sessions/browser-session";
import { type OAuthError, safeDescription } from "./errors";
import type { ResponseTarget } from "./authorization-request";

/** The message catalogues, for pages rendered outside Next.js (handler-rendered HTML). */
export { catalogs };

/** The UI language for a handler-rendered page: the same negotiation the Next pages use (without ui_locales). */
export function pageLocale(request: Request, fallback: Locale, uiLocales?: string): Locale {
  return negotiateLocale({
    uiLocales: uiLocales ?? null,
    cookie: parseCookieHeader(request.headers.get("cookie")).get(LOCALE_COOKIE),
    acceptLanguage: request.headers.get("accept-language"),
    fallback,
  });
}

const noStore = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * Sends authorization response parameters to the client. `iss` (RFC 9207 §2) is added to every
 * response, success or error; `state` exactly as received when the request had one
 * (RFC 6749 §4.1.2, §4.1.2.1).
 */
export function authorizationResponse(
  target: ResponseTarget,
  params: Record<string, string>,
  issuer: string,
  locale: Locale,
  extraHeaders: Record<string, string> = {},
): Response {
  const fields: [string, string][] = Object.entries(params);
  if (target.state !== undefined) fields.push(["state", target.state]);
  fields.push(["iss", issuer]);
  if (target.responseMode === "form_post") return formPostPage(target.redirectUri, fields, locale, extraHeaders);
  // RFC 6749 §3.1.2: keep the redirect URI's own query and add ours to it (no re-encoding of theirs).
  const query = new URLSearchParams(fields).toString();
  const location = target.redirectUri + (target.redirectUri.includes("?") ? "&" : "?") + query;
  // RFC 9700 §4.12: 303, so that a POSTed authorization request is never re-posted to the client.
  return new Response(null, { status: 303, headers: { location, ...noStore, ...extraHeaders } });
}

/** An error response to the client (RFC 6749 §4.1.2.1): error, error_description, state, iss. */
export function authorizationErrorResponse(
  target: ResponseTarget,
  error: OAuthError,
  issuer: string,
  locale: Locale,
  extraHeaders: Record<string, string> = {},
  extraParams: Record<string, string> = {},
): Response {
  const params: Record<string, string> = { error: error.error };
  if (error.description) params.error_description = safeDescription(error.description);
  Object.assign(params, extraParams);
  return authorizationResponse(target, params, issuer, locale, extraHeaders);
}

// Form Post Response Mode §2: an auto-submitting HTML form. The one inline script is allowed by
// its hash, so the page works under a strict policy of its own (and under the site-wide one).
const autoSubmitScript = "document.forms[0].submit();";
const autoSubmitHash = `'sha256-${createHash("sha256").update(autoSubmitScript).digest("base64")}'`;
const formPostPolicy = ["default-src 'none'", `script-src ${autoSubmitHash}`, "style-src 'unsafe-inline'", "base-uri 'none'", "frame-ancestors 'none'"].join("; ");

function formPostPage(action: string, fields: [string, string][], locale: Locale, extraHeaders: Record<string, string>): Response {
  const t = catalogs[locale].FormPost;
  const inputs = fields.map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join("");
  const body = `<div class="card"><h1>${escapeHtml(t.title)}</h1><p>${escapeHtml(t.lead)}</p>
<form method="post" action="${escapeHtml(action)}">${inputs}<noscript><p>${escapeHtml(t.noscript)}</p><button type="submit">${escapeHtml(t.continue)}</button></noscript></form></div>
<script>${autoSubmitScript}</script>`;
  return new Response(htmlDocument(locale, t.title, body), {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": formPostPolicy,
      // The client's URL must not learn ours.
      "referrer-policy": "no-referrer",
      ...noStore,
      ...extraHeaders,
    },
  });
}

export type ErrorPageKind = "invalid_request" | "expired";

/**
 * The page shown instead of redirecting (RFC 6749 §4.1.2.1: "MUST NOT automatically redirect the
 * user-agent to the invalid redirection URI"): what happened for the user, the error code and
 * description for the client's developers, and the request id for support.
 */
export function authorizationErrorPage(error: OAuthError, options: { kind: ErrorPageKind; locale: Locale; requestId: string; status?: number }): Response {
  const t = catalogs[options.locale].AuthorizeError;
  const expired = options.kind === "expired";
  const title = expired ? t.expiredTitle : t.title;
  const body = `<div class="card">
<div class="icon" aria-hidden="true"><svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"><path d="M12 9v4M12 17h.01"/><path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/></svg></div>
<h1>${escapeHtml(title)}</h1>
<p class="lead">${escapeHtml(expired ? t.expiredLead : t.lead)}</p>
<p>${escapeHtml(expired ? t.expiredAdvice : t.advice)}</p>
<div class="details"><p class="label">${escapeHtml(t.details)}</p>
<dl><dt>${escapeHtml(t.errorLabel)}</dt><dd><code>${escapeHtml(error.error)}</code>${error.description ? ` – ${escapeHtml(safeDescription(error.description))}` : ""}</dd>
<dt>${escapeHtml(t.requestIdLabel)}</dt><dd><code>${escapeHtml(options.requestId)}</code></dd></dl></div>
<p class="footer"><a href="/">← ${escapeHtml(t.backHome)}</a></p></div>`;
  return new Response(htmlDocument(options.locale, title, body), {
    status: options.status ?? (error.status >= 400 && error.status < 500 ? error.status : 400),
    headers: { "content-type": "text/html; charset=utf-8", ...noStore, ...error.headers },
  });
}

/** A complete handler-rendered page in the shared card style (also used by lib/oidc/logout-pages.ts). */
export function htmlDocument(locale: Locale, title: string, body: string): string {
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Authly</title><style>${pageStyle}</style></head>
<body><main>${body}</main></body></html>`;
}

/** The look of the Next pages' centered card (app/globals.css tokens), in a few lines. */
const pageStyle = `:root{color-scheme:light dark;--canvas:#f5f6f8;--surface:#fff;--border:#dfe3e8;--fg:#111827;--muted:#4b5563;--accent:#4338ca;--soft:#eef0ff;--soft-fg:#3730a3;--code:#f0f2f5}
@media (prefers-color-scheme:dark){:root{--canvas:#0b0d12;--surface:#12151c;--border:#262b36;--fg:#e8eaef;--muted:#a3abb9;--accent:#a5b4fc;--soft:#1e1f3b;--soft-fg:#c7d2fe;--code:#181c25}}
*{box-sizing:border-box}body{margin:0;background:var(--canvas);color:var(--fg);font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","Liberation Sans",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{display:flex;justify-content:center;padding:5rem 1rem}.card{width:100%;max-width:28rem;background:var(--surface);border:1px solid var(--border);border-radius:1rem;padding:2rem;box-shadow:0 1px 2px rgb(0 0 0/.05)}
.icon{display:flex;width:3rem;height:3rem;align-items:center;justify-content:center;border-radius:1rem;background:var(--soft);color:var(--soft-fg)}.icon svg{width:1.5rem;height:1.5rem}
h1{margin:1.5rem 0 0;font-size:1.5rem;line-height:2rem;font-weight:700;letter-spacing:-.025em}p{margin:.75rem 0 0;line-height:1.625;color:var(--muted)}p.lead{margin-top:.5rem}
.details{margin-top:1.5rem;border:1px solid var(--border);border-radius:.75rem;padding:1rem;font-size:.875rem}.details .label{margin:0;font-weight:600;color:var(--fg)}
dl{margin:.5rem 0 0;display:grid;grid-template-columns:auto 1fr;gap:.375rem .75rem;line-height:1.5}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.8125rem;background:var(--code);border-radius:.25rem;padding:.05rem .3rem}
.footer{margin-top:2rem;border-top:1px solid var(--border);padding-top:1.25rem;font-size:.875rem}a{color:var(--accent);font-weight:500;text-decoration:none}a:hover{text-decoration:underline}
button{margin-top:1rem;border:0;border-radius:.5rem;background:var(--accent);color:#fff;padding:.625rem 1rem;font:inherit;font-weight:600;cursor:pointer}`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
