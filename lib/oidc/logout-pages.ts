/**
 * The pages of the end_session_endpoint (RP-Initiated Logout 1.0), rendered by the handler itself
 * in the shared card style: the confirmation page, the signed-out page (with the Front-Channel
 * Logout iframes), the intermediate page before a post-logout redirect, and the error page.
 *
 * Every page carries its own Content-Security-Policy: no script except the one static redirect
 * script (allowed by its hash), iframes only from the front-channel logout origins, and never
 * framed itself (frame-ancestors 'none'; the pipeline adds X-Frame-Options: DENY as well).
 */
import { createHash } from "node:crypto";
import type { Locale } from "../../i18n/locales";
import { catalogs } from "../../messages/catalogs";
import { escapeHtml, htmlDocument } from "../http/html-page";
import { type OAuthError, safeDescription } from "../oauth/errors";
import { frameSources, type FrontchannelTarget } from "./frontchannel-logout";


/** Front-Channel Logout 1.0 §4: wait for the iframes, but never longer than this, before redirecting. */
export const FRONTCHANNEL_WAIT_MS = 3000;

// The one inline script: redirect to the "Continue" link once every front-channel iframe has
// loaded, or after FRONTCHANNEL_WAIT_MS. It is static (the target comes from the link), so a hash
// allows it.
const redirectScript =
  `(function(){var a=document.getElementById("continue");if(!a)return;var f=document.querySelectorAll("iframe.fc");var n=f.length;var done=false;` +
  `function go(){if(!done){done=true;window.location.replace(a.href);}}` +
  `for(var i=0;i<f.length;i++)f[i].addEventListener("load",function(){if(--n<=0)go();});` +
  `if(n===0)go();setTimeout(go,${FRONTCHANNEL_WAIT_MS});})();`;
const redirectScriptHash = `'sha256-${createHash("sha256").update(redirectScript).digest("base64")}'`;

/** Hidden iframes still load (and run the RP's logout); they take no room and are not focusable. */
const extraStyle = `<style>iframe.fc{position:absolute;width:0;height:0;border:0;visibility:hidden}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin-top:1.5rem}.actions button{margin-top:0}
.secondary{display:inline-block;border:1px solid var(--border);border-radius:.5rem;padding:.5625rem 1rem;color:var(--fg)}
.notice{margin-top:1rem;border:1px solid var(--border);border-radius:.75rem;padding:.75rem 1rem;font-size:.875rem}</style>`;

const icon = (path: string) =>
  `<div class="icon" aria-hidden="true"><svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">${path}</svg></div>`;
const logoutIcon = icon(`<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/><path d="m16 17 5-5-5-5"/><path d="M21 12H9"/>`);
const warningIcon = icon(`<path d="M12 9v4M12 17h.01"/><path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/>`);

function policy(options: { frames?: readonly FrontchannelTarget[]; script?: boolean } = {}): string {
  return [
    "default-src 'none'",
    `script-src ${options.script ? redirectScriptHash : "'none'"}`,
    "style-src 'unsafe-inline'",
    `frame-src ${frameSources(options.frames ?? [])}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function page(locale: Locale, title: string, body: string, status: number, csp: string, headers: Headers = new Headers()): Response {
  headers.set("content-type", "text/html; charset=utf-8");
  headers.set("content-security-policy", csp);
  // Neither the RPs' iframes nor the post-logout target learn the logout URL (it may carry an ID token).
  headers.set("referrer-policy", "no-referrer");
  headers.set("cache-control", "no-store");
  headers.set("pragma", "no-cache");
  return new Response(htmlDocument(locale, title, extraStyle + body), { status, headers });
}

export interface SignedOutPageInput {
  locale: Locale;
  /** Front-Channel Logout 1.0 §4: one iframe per RP. */
  frames: readonly FrontchannelTarget[];
  /** RP-Initiated Logout 1.0 §3: the validated post-logout redirect (with state); the page then continues there. */
  redirectTo?: string;
  /** False: there was no session to end. */
  wasSignedIn: boolean;
  unrecognisedRedirect: boolean;
  /** Set-Cookie headers that clear the session. */
  headers?: Headers;
}

/**
 * After logout: the front-channel iframes and either the "signed out" message or, when the RP
 * asked for a post-logout redirect, a short "signing you out" page that continues to it once the
 * iframes loaded (at most FRONTCHANNEL_WAIT_MS), with a Continue link for browsers without script.
 */
export function signedOutPage(input: SignedOutPageInput): Response {
  const t = catalogs[input.locale].Logout;
  const frames = input.frames.map((f) => `<iframe class="fc" src="${escapeHtml(f.url)}" title="" tabindex="-1" aria-hidden="true"></iframe>`).join("");
  if (input.redirectTo !== undefined) {
    const body = `<div class="card">${logoutIcon}
<h1>${escapeHtml(t.redirectingTitle)}</h1><p class="lead">${escapeHtml(t.redirectingLead)}</p>
<noscript><p>${escapeHtml(t.noscript)}</p></noscript>
<div class="actions"><a id="continue" class="secondary" href="${escapeHtml(input.redirectTo)}">${escapeHtml(t.continue)}</a></div></div>
${frames}<script>${redirectScript}</script>`;
    return page(input.locale, t.redirectingTitle, body, 200, policy({ frames: input.frames, script: true }), input.headers);
  }
  const body = `<div class="card">${logoutIcon}
<h1>${escapeHtml(t.signedOutTitle)}</h1>
<p class="lead">${escapeHtml(input.wasSignedIn ? t.signedOutLead : t.notSignedInLead)}</p>
${input.unrecognisedRedirect ? `<p class="notice">${escapeHtml(t.unrecognisedRedirect)}</p>` : ""}
<p class="footer"><a href="/">← ${escapeHtml(t.backHome)}</a></p></div>
${frames}`;
  return page(input.locale, t.signedOutTitle, body, 200, policy({ frames: input.frames }), input.headers);
}

/**
 * RP-Initiated Logout 1.0 §4: when validation fails, nothing that failed is used (no redirect) and
 * the user sees an error page, with the error for the RP's developers and the request id.
 */
export function logoutErrorPage(error: OAuthError, options: { locale: Locale; requestId: string }): Response {
  const t = catalogs[options.locale].Logout;
  const status = error.status >= 400 && error.status < 500 ? error.status : 400;
  const body = `<div class="card">${warningIcon}
<h1>${escapeHtml(t.errorTitle)}</h1>
<p class="lead">${escapeHtml(t.errorLead)}</p>
<p>${escapeHtml(t.errorAdvice)}</p>
<div class="details"><p class="label">${escapeHtml(t.details)}</p>
<dl><dt>${escapeHtml(t.errorLabel)}</dt><dd><code>${escapeHtml(error.error)}</code>${error.description ? ` – ${escapeHtml(safeDescription(error.description))}` : ""}</dd>
<dt>${escapeHtml(t.requestIdLabel)}</dt><dd><code>${escapeHtml(options.requestId)}</code></dd></dl></div>
<p class="footer"><a href="/">← ${escapeHtml(t.backHome)}</a></p></div>`;
  return page(options.locale, t.errorTitle, body, status, policy());
}
