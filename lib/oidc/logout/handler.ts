/**
 * The end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0). Ending the session is
 * LogoutService's (./service.ts); the confirmation form's CSRF token is ./csrf.ts's.
 *
 *   GET|POST /oidc/logout   id_token_hint, logout_hint, client_id, post_logout_redirect_uri, state, ui_locales
 *     invalid hint / client mismatch / unknown client     -> error page (400), no redirect
 *     POST, no session                                    -> 303 to GET /oidc/logout with the same parameters
 *     GET, no session                                     -> redirect (registered URI) or "signed out" page
 *     hint tied to this session, or confirmed (CSRF)      -> end session -> clear cookies -> redirect or page (+ iframes)
 *     otherwise                                           -> "Sign out of Authly?" confirmation page
 *   The session cookies are cleared only in a response that ended the session they name: a
 *   request that did not end one (a forged cross-site POST among them) leaves the browser's cookies alone.
 */
import { z } from "zod";
import type { Client, Session } from "../../generated/prisma/client";
import { pageLocale } from "../../http/page-locale";
import { inertResponse, isNextRouterFetch } from "../../http/responses";
import type { RouteHandler } from "../../http/types";
import { OAuthError } from "../../oauth/errors";
import { readFormBody, readQuery } from "../../oauth/params";
import { isUiLocalesValue } from "../../../i18n/locales";
import type { FrontchannelTarget } from "../frontchannel-logout";
import type { IdTokenHint } from "../id-token";
import { logoutErrorPage, signedOutPage } from "../logout-pages";
import { isValidLogoutCsrfToken } from "./csrf";

/** The confirmation page (app/(auth)/logout/page.tsx) and the "signed out" page (app/(auth)/logout/done/page.tsx). */
export const CONFIRM_LOGOUT_PATH = "/logout";
export const SIGNED_OUT_PATH = "/logout/done";

/** RP-Initiated Logout 1.0 §2 request parameters; others are ignored. */
const logoutParamsSchema = z.object({
  id_token_hint: z.string().max(8192).optional(),
  // §2: a hint about the user; Authly has one session per browser, so it is not needed (ignored).
  logout_hint: z.string().max(1024).optional(),
  client_id: z.string().max(255).optional(),
  post_logout_redirect_uri: z.string().max(2048).optional(),
  state: z.string().max(2048).optional(),
  ui_locales: z.string().max(256).optional(),
  /** Our confirmation form's CSRF token. */
  csrf_token: z.string().max(128).optional(),
});
type LogoutParams = z.infer<typeof logoutParamsSchema>;

/**
 * Ties the request to the current browser session: an ID token of ours, issued in this session
 * (its `sid`) to this user (its `sub`, as the hint's client sees the user, OIDC Core §8).
 */
function isTiedToSession(hint: IdTokenHint | null, client: Client | null, session: Session, subjectFor: (client: Client, userId: string) => string): boolean {
  return hint !== null && client !== null && hint.sid === session.id && hint.sub === subjectFor(client, session.userId);
}

/** RP-Initiated Logout 1.0 §3: the registered post-logout redirect URI with `state` added. */
function redirectTarget(uri: string, state: string | undefined): string {
  if (state === undefined) return uri;
  return uri + (uri.includes("?") ? "&" : "?") + new URLSearchParams({ state }).toString();
}

export const endSessionHandler: RouteHandler = async (request, { container, requestId, clientIp }) => {
  if (isNextRouterFetch(request)) return inertResponse();
  const { config } = container;
  const fail = (description: string, locale = pageLocale(request, config.defaultLocale), status?: number) =>
    logoutErrorPage(new OAuthError("invalid_request", description, status ? { status } : {}), { locale, requestId });

  // RP-Initiated Logout 1.0 §2: GET with a query, or POST with a form body; parameters at most
  // once (RFC 6749 §3.1 rules, shared readers).
  let raw: Map<string, string>;
  try {
    raw = request.method === "POST" ? await readFormBody(request) : readQuery(request);
  } catch (error) {
    if (error instanceof OAuthError) return fail(error.description ?? "the request is malformed", undefined, error.status);
    throw error;
  }
  const parsed = logoutParamsSchema.safeParse(Object.fromEntries(raw));
  if (!parsed.success) {
    // The path is one of the schema's own keys, safe to name.
    const field = parsed.error.issues[0]?.path[0];
    return fail(`the ${typeof field === "string" ? field : "request"} parameter is malformed or too long`);
  }
  const p: LogoutParams = parsed.data;
  const locale = pageLocale(request, config.defaultLocale, p.ui_locales);

  // §2: id_token_hint is an ID token we issued; expired ones are accepted. §4: one that fails
  // validation is not used at all (no redirect, no logout on its strength).
  let hint: IdTokenHint | null = null;
  if (p.id_token_hint !== undefined) {
    hint = await container.oidc.idTokens.verifyHint(p.id_token_hint);
    if (!hint) return fail("id_token_hint is not a valid ID token issued by this server", locale);
  }
  // §2: "When both client_id and id_token_hint are present, the OP MUST verify that the Client
  // Identifier matches the one used when issuing the ID Token."
  if (hint && p.client_id !== undefined && p.client_id !== hint.clientId) return fail("client_id does not match the id_token_hint", locale);
  const clientId = hint?.clientId ?? p.client_id;
  let client: Client | null = null;
  if (clientId !== undefined) {
    client = await container.clients.findActive(clientId);
    if (!client) return fail("the client is unknown or disabled", locale);
  }

  // §3: redirect only to a URI registered for the identified client, compared exactly; otherwise
  // the OP MUST NOT redirect (the user stays on our "signed out" page, told why).
  let redirect: string | undefined;
  let unrecognisedRedirect = false;
  if (p.post_logout_redirect_uri !== undefined) {
    if (client && client.postLogoutRedirectUris.includes(p.post_logout_redirect_uri)) redirect = p.post_logout_redirect_uri;
    else unrecognisedRedirect = true;
  }
  const headers = new Headers();

  const finish = (frames: FrontchannelTarget[], wasSignedIn: boolean): Response => {
    const target = redirect === undefined ? undefined : redirectTarget(redirect, p.state);
    if (target !== undefined && frames.length === 0) {
      headers.set("location", target);
      headers.set("cache-control", "no-store");
      headers.set("referrer-policy", "no-referrer");
      // 303: a POSTed logout request is not re-posted to the RP.
      return new Response(null, { status: 303, headers });
    }
    if (frames.length === 0) {
      // Nothing to load in iframes and nowhere to return to: the "signed out" page (a Next page).
      const done = new URLSearchParams();
      if (!wasSignedIn) done.set("signed_in", "0");
      if (unrecognisedRedirect) done.set("unrecognised_redirect", "1");
      if (p.ui_locales !== undefined && isUiLocalesValue(p.ui_locales)) done.set("ui_locales", p.ui_locales);
      headers.set("location", `${SIGNED_OUT_PATH}${done.size ? `?${done}` : ""}`);
      headers.set("cache-control", "no-store");
      return new Response(null, { status: 303, headers });
    }
    // Front-Channel Logout 1.0 §4: the page that holds the RPs' iframes sends its own CSP (their origins in frame-src).
    return signedOutPage({ locale, frames, redirectTo: target, wasSignedIn, unrecognisedRedirect, headers });
  };

  const session = await container.sessions.fromRequest(request);
  if (!session && request.method === "POST") {
    // A cross-site form post (a relying party's, or a forged one) arrives without the session
    // cookie: it is SameSite=Lax, so the browser withholds it (RFC 6265bis §5.6.7.1) although the
    // user may well be signed in. Nothing can be decided about that session here (and the browser
    // would accept a cookie-clearing answer to this top-level navigation): ask again as a GET
    // navigation, which carries the cookie (Lax cookies go with top-level GET navigations) and is
    // decided like any GET logout request (RP-Initiated Logout 1.0 §2 allows both methods).
    const again = new URLSearchParams();
    for (const name of ["id_token_hint", "logout_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales"] as const) {
      if (p[name] !== undefined) again.set(name, p[name]);
    }
    // §3: a redirect URI that is not registered for the client is never used, so it is not carried
    // either (no Location of ours names it); the GET then ends on the "signed out" page.
    if (unrecognisedRedirect) again.delete("post_logout_redirect_uri");
    // Referrer-Policy: the query may hold the ID token; the next hop must not see this URL.
    const location = `${new URL(request.url).pathname}${again.size ? `?${again}` : ""}`;
    return new Response(null, { status: 303, headers: { location, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
  }
  // No session: nothing to end, nothing to clear; the RP still gets its (validated) redirect.
  if (!session) return finish([], false);

  const subjectFor = (c: Client, userId: string) => container.oidc.subjects.subjectFor(c, userId);
  const confirmed = request.method === "POST" && isValidLogoutCsrfToken(container.cookieSecret, session.id, p.csrf_token);
  if (!isTiedToSession(hint, client, session, subjectFor) && !confirmed) {
    // §2 ("the OP SHOULD ask the End-User whether to log out of the OP as well") and §6 (a request
    // that cannot be tied to this session may be forged): ask on the confirmation page, which posts
    // the validated parameters back here with a CSRF token bound to this session; keep the session for now.
    const fields = new URLSearchParams();
    if (client) fields.set("client_id", client.clientId);
    if (redirect !== undefined) {
      fields.set("post_logout_redirect_uri", redirect);
      if (p.state !== undefined) fields.set("state", p.state);
    }
    if (p.ui_locales !== undefined && isUiLocalesValue(p.ui_locales)) fields.set("ui_locales", p.ui_locales);
    if (unrecognisedRedirect) fields.set("unrecognised_redirect", "1");
    return new Response(null, { status: 303, headers: { location: `${CONFIRM_LOGOUT_PATH}${fields.size ? `?${fields}` : ""}`, "cache-control": "no-store" } });
  }

  const ended = await container.logout.endSession(session.id, {
    reason: "logout",
    ...(client && { initiatingClient: client }),
    ipAddress: clientIp,
    userAgent: request.headers.get("user-agent") ?? undefined,
    requestId,
  });
  // The session named by this browser's cookie is over (ended by this request, or by a concurrent
  // one when `ended.ended` is false): now, and only now, the browser forgets its session cookies.
  for (const cookie of container.sessions.clearCookieHeaders()) headers.append("set-cookie", cookie);
  return finish(ended.frontchannel, true);
};
