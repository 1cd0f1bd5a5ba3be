/**
 * OpenID Connect Session Management 1.0 §3.2: the OP iframe (`check_session_iframe`, §3.3).
 *
 *   GET /oidc/check-session   a tiny self-contained HTML page with one inline script
 *
 * The relying party embeds this page in a hidden iframe and posts `"<client_id> <session_state>"`
 * to it; the script recomputes the session_state from the OP browser state cookie
 * (`authly_browser_state`, lib/oidc/session-state.ts) and the message's origin, and answers
 * `"unchanged"`, `"changed"` or `"error"`. The server learns nothing from the polling: every check
 * runs in the browser.
 *
 * The only page of the server that may be framed (lib/http/types.ts `Route.frameable`): its own
 * CSP names the pages that may embed it, the origins of the registered redirect URIs of the
 * enabled authorization-code clients, and nothing else.
 */
import { createHash } from "node:crypto";
import { makeResponse } from "../http/responses";
import type { RouteHandler } from "../http/types";
import { BROWSER_STATE_COOKIE } from "./session-state";

/**
 * The OP iframe's script (ES2017, no dependencies). Kept readable; its SHA-256 goes into the
 * page's CSP, so any change here changes the hash with it.
 *
 * - §3.2: "The OP iframe MUST enforce that the caller has the same origin as its parent frame. It
 *   MUST reject postMessage requests from any other source origin." The parent's origin is
 *   `location.ancestorOrigins[0]` where the browser offers it (Chromium, WebKit); without it the
 *   frame-ancestors policy and the origin bound into the hash below do that work. Messages from an
 *   unembedded page (a popup) or from another origin get no answer at all.
 * - §3.2: the message is `client_id + " " + session_state`; a message that is not of that shape
 *   gets `"error"`.
 * - §2, §3.2: session_state = hex(SHA-256(client_id " " origin " " opbs " " salt)) "." salt, with
 *   the origin of the message (event.origin), so an answer is only ever "unchanged" for the origin
 *   the state was issued to. Without the cookie opbs is "": the signed-out state, which matches
 *   only a session_state issued to a browser without a session (an authentication failure, §4.1).
 * - §3.2: the answer goes to `event.source` for `event.origin` only.
 */
export const checkSessionScript = `(function () {
  "use strict";
  var COOKIE = "${BROWSER_STATE_COOKIE}";
  function browserState() {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      var eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq) === COOKIE) {
        try { return decodeURIComponent(part.slice(eq + 1)); } catch (e) { return ""; }
      }
    }
    return "";
  }
  function parentOrigin() {
    var ancestors = window.location.ancestorOrigins;
    var origin = ancestors && ancestors.length > 0 ? ancestors[0] : null;
    return origin && origin !== "null" ? origin : null;
  }
  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }
  var shape = /^([^ ]{1,255}) ([0-9a-f]{64})[.]([^ .]{1,128})$/;
  window.addEventListener("message", function (event) {
    if (window.parent === window || !event.source || !event.origin || event.origin === "null") return;
    var parent = parentOrigin();
    if (parent !== null && event.origin !== parent) return;
    var source = event.source, origin = event.origin;
    function reply(answer) { source.postMessage(answer, origin); }
    var m = typeof event.data === "string" ? shape.exec(event.data) : null;
    if (!m || !window.crypto || !window.crypto.subtle || typeof TextEncoder !== "function") { reply("error"); return; }
    var input = new TextEncoder().encode(m[1] + " " + origin + " " + browserState() + " " + m[3]);
    window.crypto.subtle.digest("SHA-256", input).then(function (digest) {
      reply(hex(digest) === m[2] ? "unchanged" : "changed");
    }, function () { reply("error"); });
  });
})();`;

/** The CSP source expression allowing exactly that script (CSP Level 3 §2.3.1 hash-source). */
export const checkSessionScriptHash = `'sha256-${createHash("sha256").update(checkSessionScript).digest("base64")}'`;

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>check_session_iframe</title></head>
<body><script>${checkSessionScript}</script></body></html>`;

/**
 * A registered origin as a CSP host-source (CSP Level 3 §2.3.1): scheme, host and port only.
 * WHATWG URL hosts may contain characters such as ";" or "," that would end the directive, so
 * anything but plain DNS names and loopback IP literals is left out rather than escaped.
 */
const cspOrigin = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** The page's Content-Security-Policy for the given embedding origins. */
export function checkSessionPolicy(origins: readonly string[]): string {
  const ancestors = origins.filter((o) => cspOrigin.test(o));
  return [
    "default-src 'none'",
    `script-src ${checkSessionScriptHash}`,
    "base-uri 'none'",
    "form-action 'none'",
    // CSP Level 3 §6.4.2: only the relying parties' own pages may embed the OP iframe.
    `frame-ancestors ${ancestors.length > 0 ? ancestors.join(" ") : "'none'"}`,
  ].join("; ");
}

/** GET /oidc/check-session (HEAD alike): the OP iframe page. */
export const checkSessionHandler: RouteHandler = async (_request, { container }) => {
  const origins = await container.clients.authorizationCodeOrigins();
  return makeResponse(page, 200, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": checkSessionPolicy(origins),
    // The embedding origins change whenever a client changes.
    "cache-control": "no-store",
    // The page loads nothing and links nowhere; no referrer either way.
    "referrer-policy": "no-referrer",
  });
};
