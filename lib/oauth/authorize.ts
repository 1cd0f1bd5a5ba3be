/**
 * The authorization endpoint (OAuth 2.1 §4.1.1, §3.1) and its resume path.
 *
 *   GET|POST /oauth/authorize          validate -> (signed in, consented) code | interaction -> /login or /consent
 *                                      | prompt=none that needs the user -> login_required, consent_required
 *   GET      /oauth/authorize/resume   interaction -> next page | consume and respond (code or access_denied)
 *
 * prompt, max_age, id_token_hint, acr_values and the claims parameter (OIDC Core §3.1.2.1, §5.5)
 * are decided by InteractionService (./interaction/flow.ts) with the interaction policy
 * (lib/oidc/interaction-policy.ts).
 *
 * Errors are rendered here, not by the pipeline: an HTML page while the client or redirect URI is
 * unknown (RFC 6749 §4.1.2.1), otherwise a response to the client's redirect URI.
 */
import { z } from "zod";
import { inertResponse, isNextRouterFetch } from "../http/responses";
import type { RouteContext, RouteHandler } from "../http/types";
import { pageLocale } from "../http/page-locale";
import { randomToken } from "../security/secrets";
import { requestCookies, serializeCookie } from "../sessions/browser-session";
import { readAuthorizationParams, responseTargetOf, validateAuthorizationRequest } from "./authorization-request";
import { authorizationErrorPage, authorizationErrorResponse, authorizationResponse } from "./authorization-response";
import { OAuthError } from "./errors";
import { INTERACTION_COOKIE, isBrowserBinding } from "./interaction/browser";
import { readQuery } from "./params";
import type { Session } from "../generated/prisma/client";
import type { Container } from "../server/container";
import { BROWSER_STATE_COOKIE, computeSessionState, originOf } from "../oidc/session-state";

/**
 * Session Management 1.0 §2 and §4.1: an authentication response carries `session_state` for the
 * RP's origin (that of the redirect URI); so does an authentication failure ("Session state SHOULD
 * be returned upon an authentication failure"), computed for the browser's current state: its
 * session, or none (an empty OP browser state, which is what the check-session iframe sees without
 * the cookie). The browser-state cookie is (re)set when it does not match, and a stale one removed.
 */
function sessionStateOf(container: Container, request: Request, clientId: string, redirectUri: string, session: Session | null) {
  const browserState = session ? container.sessions.browserState(session) : "";
  const origin = originOf(redirectUri);
  const params: Record<string, string> = origin ? { session_state: computeSessionState(clientId, origin, browserState) } : {};
  const headers: Record<string, string> = {};
  const current = requestCookies(request).get(BROWSER_STATE_COOKIE)?.value;
  if (session && current !== browserState) {
    const remaining = Math.floor((session.expiresAt.getTime() - container.clock.nowMs()) / 1000);
    headers["set-cookie"] = serializeCookie(BROWSER_STATE_COOKIE, browserState, container.sessions.browserStateCookieOptions(Math.max(0, remaining)));
  } else if (!session && current !== undefined) {
    headers["set-cookie"] = serializeCookie(BROWSER_STATE_COOKIE, "", container.sessions.browserStateCookieOptions(0));
  }
  return { params, headers };
}

export const authorizeHandler: RouteHandler = async (request, { container, requestId }) => {
  if (isNextRouterFetch(request)) return inertResponse();
  const { config } = container;
  const locale = pageLocale(request, config.defaultLocale);

  const read = await readAuthorizationParams(request);
  const result = await validateAuthorizationRequest(read, container);
  if (result.kind === "error_page") return authorizationErrorPage(result.error, { kind: "invalid_request", locale, requestId });
  if (result.kind === "error_redirect") return authorizationErrorResponse(result.target, result.error, config.issuer, locale);

  const { client, request: authorization } = result;
  // OIDC Core §3.1.2.1 ui_locales: the language of what we render from here on (form_post pages).
  const uiLocale = authorization.uiLocales ? pageLocale(request, config.defaultLocale, authorization.uiLocales) : locale;
  const session = await container.sessions.fromRequest(request);
  const next = await container.interactions.nextPrompt(client, authorization, session);
  if (next.kind === "error") {
    // OIDC Core §3.1.2.6 (prompt=none: login_required, consent_required), §5.5.1.1 (access_denied).
    const state = sessionStateOf(container, request, client.clientId, authorization.redirectUri, session);
    return authorizationErrorResponse(responseTargetOf(authorization), next.error, config.issuer, uiLocale, state.headers, state.params);
  }
  if (next.kind === "code") {
    // Signed in and consented before: answer at once (OAuth 2.1 §4.1.2; OIDC Core §3.1.2.1 prompt=none).
    const code = await container.interactions.issueCode(client, authorization, session!);
    const state = sessionStateOf(container, request, client.clientId, authorization.redirectUri, session!);
    return authorizationResponse(responseTargetOf(authorization), { code, ...state.params }, config.issuer, uiLocale, state.headers);
  }

  // Bind the interaction to this browser; an existing binding cookie is reused so parallel tabs work.
  const headers: Record<string, string> = { "cache-control": "no-store" };
  // Over https `__Host-authly_interaction`: no subdomain can plant a binding of its own.
  const bindingCookie = container.sessions.hostOnly(INTERACTION_COOKIE);
  let binding = requestCookies(request).get(bindingCookie)?.value;
  if (!isBrowserBinding(binding)) {
    binding = randomToken(32);
    headers["set-cookie"] = serializeCookie(bindingCookie, binding, {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      secure: config.issuer.startsWith("https:"),
    });
  }
  const started = await container.interactions.start(client, authorization, session, binding, next.prompt);
  return new Response(null, { status: 303, headers: { ...headers, location: started.location } });
};

const resumeQuerySchema = z.object({ interaction: z.string().max(128) });

/** GET /oauth/authorize/resume?interaction=<id>: where the login and consent pages send the browser next. */
export const resumeHandler: RouteHandler = async (request, ctx: RouteContext) => {
  if (isNextRouterFetch(request)) return inertResponse();
  const { container, requestId } = ctx;
  const { config } = container;
  const locale = pageLocale(request, config.defaultLocale);
  const expired = (description: string) =>
    authorizationErrorPage(new OAuthError("invalid_request", description), { kind: "expired", locale, requestId });

  let query: Map<string, string>;
  try {
    query = readQuery(request);
  } catch {
    return expired("the interaction parameter is malformed");
  }
  const parsed = resumeQuerySchema.safeParse(Object.fromEntries(query));
  if (!parsed.success) return expired("the interaction parameter is missing or malformed");

  const binding = requestCookies(request).get(container.sessions.hostOnly(INTERACTION_COOKIE))?.value;
  const session = await container.sessions.fromRequest(request);
  const step = await container.interactions.resume(parsed.data.interaction, binding, session);
  switch (step.kind) {
    case "invalid":
      return expired(`the authorization request is no longer valid (${step.reason.replace("_", " ")})`);
    case "redirect":
      return new Response(null, { status: 303, headers: { location: step.location, "cache-control": "no-store" } });
    case "respond": {
      const target = responseTargetOf(step.request);
      const uiLocale = step.request.uiLocales ? pageLocale(request, config.defaultLocale, step.request.uiLocales) : locale;
      const state = sessionStateOf(container, request, step.client.clientId, step.request.redirectUri, session);
      if (!("code" in step.outcome)) return authorizationErrorResponse(target, step.outcome.error, config.issuer, uiLocale, state.headers, state.params);
      return authorizationResponse(target, { code: step.outcome.code, ...state.params }, config.issuer, uiLocale, state.headers);
    }
  }
};
