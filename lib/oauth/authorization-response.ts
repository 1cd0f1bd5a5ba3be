/**
 * Authorization responses (OAuth 2.1 §4.1.2, §4.1.2.1) in the two supported response modes, and
 * the error page shown when the client or its redirect URI cannot be trusted. These are rendered
 * by the protocol handler itself (no Next.js render): plain, self-contained HTML.
 */
import { createHash } from "node:crypto";
import { catalogs } from "../../messages/catalogs";
import type { Locale } from "../../i18n/locales";
import { escapeHtml, htmlDocument } from "../http/html-page";
import { type OAuthError, safeDescription } from "./errors";
import type { ResponseTarget } from "./authorization-request";

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
