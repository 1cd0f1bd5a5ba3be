/**
 * Validation of an authorization request (OAuth 2.1 §4.1.1), as a chain of small checks in the
 * order node-oidc-provider uses: the client, then the redirect URI, and only then everything
 * else. Until the client and its redirect URI are established, an error is shown to the user
 * and never redirected (RFC 6749 §4.1.2.1, OAuth 2.1 §4.1.2.1); after that, errors go back to
 * the client's redirect URI in the requested response mode.
 */
import { z } from "zod";
import type { Client } from "../generated/prisma/client";
import { isAbsoluteUriWithoutFragment, matchRedirectUri } from "../clients/redirect-uri";
import type { ClientService } from "../clients/client-service";
import type { ScopeService } from "../scopes/scope-service";
import { claimsRequestSchema, type ClaimsRequest } from "../oidc/claims";
import { parsePrompt, restrictClaimsRequest } from "../oidc/authentication-request";
import type { IdTokenService } from "../oidc/id-token";
import { RateLimitExceeded, type ProtocolRateLimits } from "../security/rate-limits";
import { isAcceptableParam, isAcceptableText } from "../http/input";
import { isResponseMode, type ResponseMode } from "../protocol/constants";
import { OAuthError, tooManyRequests } from "./errors";
import { MAX_PARAM_LENGTH, parseScope, readFormBody, readQuery } from "./params";
import { CODE_CHALLENGE_METHOD, isValidCodeChallenge } from "./pkce";

/** A validated authorization request, as stored in an Interaction and used to issue the code. */
export interface AuthorizationRequest {
  /** The public client_id. */
  clientId: string;
  /** Where the response goes: the matched redirect URI (for loopback native clients, with the requested port). */
  redirectUri: string;
  /** The redirect_uri parameter exactly as sent, or null when omitted (OAuth 2.1 §4.1.3 needs to know). */
  redirectUriParam: string | null;
  responseMode: ResponseMode;
  /** Requested scopes the client may have; unknown and not allowed ones are dropped (RFC 6749 §3.3). */
  scopes: string[];
  /** RFC 8707 resource indicators. */
  resources: string[];
  state?: string;
  codeChallenge: string;
  codeChallengeMethod: typeof CODE_CHALLENGE_METHOD;
  // OpenID Connect (OIDC Core §3.1.2.1), checked here for syntax; lib/oidc/authentication-request.ts
  // decides what they mean for login and consent.
  nonce?: string;
  /** Space-separated, valid (parsePrompt). */
  prompt?: string;
  maxAge?: number;
  loginHint?: string;
  uiLocales?: string;
  acrValues?: string;
  /** The `claims` request (OIDC Core §5.5), valid per claimsRequestSchema. */
  claims?: ClaimsRequest;
  /** The `sub` of a verified `id_token_hint` issued to this client (the token itself is not kept). */
  idTokenHintSub?: string;
}

/** Where an authorization response, success or error, is sent. */
export interface ResponseTarget {
  redirectUri: string;
  responseMode: ResponseMode;
  state?: string;
}

export type AuthorizationRequestResult =
  | { kind: "valid"; client: Client; request: AuthorizationRequest }
  /** The client or the redirect URI is not established: tell the user, never redirect. */
  | { kind: "error_page"; error: OAuthError }
  /** The redirect URI is established: the error goes back to the client. */
  | { kind: "error_redirect"; error: OAuthError; target: ResponseTarget };

/** The parameters of a GET (query) or POST (form body) authorization request. */
export type ParamsRead =
  | { ok: true; params: Map<string, string> }
  /** Unparseable as a whole (duplicates, oversize): `lenient` still holds what could be read, if anything. */
  | { ok: false; error: OAuthError; lenient?: URLSearchParams };

const MAX_STATE_LENGTH = 2048;

/**
 * Reads the request's parameters with the shared RFC 6749 §3.1 rules (no repeated parameters
 * except `resource`, size limits). OAuth 2.1 §4.1.1: GET must be supported, POST may be (form body).
 */
export async function readAuthorizationParams(request: Request): Promise<ParamsRead> {
  if (request.method === "POST") {
    const copy = request.clone();
    try {
      return { ok: true, params: await readFormBody(request) };
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      // Wrong content type or oversized body: nothing can be trusted.
      if (error.status === 415 || error.status === 413) {
        // Not awaited: a tee branch's cancel settles only once the other branch is cancelled too.
        void copy.body?.cancel().catch(() => undefined);
        return { ok: false, error };
      }
      return { ok: false, error, lenient: new URLSearchParams(await copy.text().catch(() => "")) };
    }
  }
  try {
    return { ok: true, params: readQuery(request) };
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    const url = request.url;
    const q = url.indexOf("?");
    const query = q < 0 ? "" : url.slice(q + 1).split("#", 1)[0]!;
    return query.length > 64 * 1024 ? { ok: false, error } : { ok: false, error, lenient: new URLSearchParams(query) };
  }
}

const DUPLICATE = Symbol("duplicate");
const MALFORMED = Symbol("malformed");

/**
 * One value of a parameter: from the parsed map, or from the lenient parse when it occurs exactly
 * once there. DUPLICATE when it repeats, MALFORMED when it is oversized or breaks the edge text
 * rule (lib/http/input.ts, as the strict reader would have); either way it cannot be used, looked
 * up or echoed.
 */
function single(read: ParamsRead, name: string): string | undefined | typeof DUPLICATE | typeof MALFORMED {
  if (read.ok) return read.params.get(name);
  if (!read.lenient) return undefined;
  const values = read.lenient.getAll(name).filter((v) => v !== "");
  if (values.length > 1) return DUPLICATE;
  const value = values[0];
  if (value === undefined) return undefined;
  return value.length <= MAX_PARAM_LENGTH && isAcceptableParam(name, value) ? value : MALFORMED;
}

/** True when every string of a parsed JSON value, member names included, passes the edge text rule. */
function allTextAcceptable(value: unknown): boolean {
  if (typeof value === "string") return isAcceptableText(value);
  if (Array.isArray(value)) return value.every(allTextAcceptable);
  if (typeof value === "object" && value !== null) return Object.entries(value).every(([k, v]) => isAcceptableText(k) && allTextAcceptable(v));
  return true;
}

/**
 * Sizes and types of every parameter we read (zod). Unrecognized parameters are ignored
 * (RFC 6749 §3.1: "The authorization server MUST ignore unrecognized request parameters").
 */
const paramsSchema = z.object({
  client_id: z.string().max(255),
  redirect_uri: z.string().max(2048).optional(),
  response_type: z.string().max(128).optional(),
  response_mode: z.string().max(64).optional(),
  scope: z.string().max(2048).optional(),
  state: z.string().max(MAX_STATE_LENGTH).optional(),
  code_challenge: z.string().max(256).optional(),
  code_challenge_method: z.string().max(64).optional(),
  // Repeated values arrive joined by single spaces (lib/oauth/params.ts).
  resource: z.string().max(4096).optional(),
  nonce: z.string().max(512).optional(),
  prompt: z.string().max(128).optional(),
  // OIDC Core §3.1.2.1: max_age is a number of seconds.
  max_age: z.string().regex(/^\d{1,9}$/, { error: "must be a non-negative integer" }).optional(),
  login_hint: z.string().max(512).optional(),
  ui_locales: z.string().max(256).optional(),
  acr_values: z.string().max(512).optional(),
  claims: z.string().max(4096).optional(),
  // OIDC Core §3.1.2.1; our ID tokens are far smaller than this.
  id_token_hint: z.string().max(8192).optional(),
  request: z.string().optional(),
  request_uri: z.string().optional(),
});

export interface AuthorizationRequestDeps {
  config: { issuer: string };
  clients: ClientService;
  scopes: ScopeService;
  rateLimits: ProtocolRateLimits;
  oidc: { idTokens: Pick<IdTokenService, "verifyHint"> };
}

/** Runs the checks; never throws for bad input. */
export async function validateAuthorizationRequest(read: ParamsRead, deps: AuthorizationRequestDeps): Promise<AuthorizationRequestResult> {
  const page = (error: OAuthError): AuthorizationRequestResult => ({ kind: "error_page", error });
  if (!read.ok && !read.lenient) return page(read.error);

  // check_client. RFC 6749 §4.1.2.1: a missing or invalid client_id is reported to the user, not redirected.
  const clientId = single(read, "client_id");
  if (clientId === DUPLICATE) return page(new OAuthError("invalid_request", "client_id is included more than once"));
  if (clientId === MALFORMED) return page(new OAuthError("invalid_request", "client_id is malformed"));
  if (clientId === undefined) return page(new OAuthError("invalid_request", "client_id is missing"));
  const client = clientId.length <= 255 ? await deps.clients.findActive(clientId) : null;
  if (!client) return page(new OAuthError("invalid_client", "the client is unknown or disabled", { status: 400 }));

  // check_redirect_uri. OAuth 2.1 §4.1.1: redirect_uri is optional only when the client registered
  // exactly one; a mismatching one is never redirected to (RFC 6749 §4.1.2.1, RFC 9700 §4.1.3).
  const registered = client.redirectUris;
  if (registered.length === 0) return page(new OAuthError("unauthorized_client", "the client has no registered redirect URI"));
  const redirectParam = single(read, "redirect_uri");
  if (redirectParam === DUPLICATE) return page(new OAuthError("invalid_request", "redirect_uri is included more than once"));
  if (redirectParam === MALFORMED) return page(new OAuthError("invalid_request", "redirect_uri is malformed"));
  let redirectUri: string;
  if (redirectParam === undefined) {
    if (registered.length > 1) return page(new OAuthError("invalid_request", "redirect_uri is required: the client registered more than one"));
    redirectUri = registered[0]!;
  } else {
    if (redirectParam.length > 2048 || matchRedirectUri(redirectParam, registered, client.applicationType) === undefined) {
      return page(new OAuthError("invalid_request", "redirect_uri does not match a registered redirect URI"));
    }
    // RFC 8252 §7.3: respond to the port the native app is listening on, i.e. the URI as requested.
    redirectUri = redirectParam;
  }

  // From here on errors are redirected, in the requested response mode when it is a valid one.
  const stateValue = single(read, "state");
  // A state that repeats, is too long or is malformed is not echoed (nothing of it can be trusted).
  const state = typeof stateValue === "string" && stateValue.length <= MAX_STATE_LENGTH ? stateValue : undefined;
  const modeValue = single(read, "response_mode");
  const target: ResponseTarget = { redirectUri, responseMode: modeValue === "form_post" ? "form_post" : "query", state };
  const fail = (error: OAuthError): AuthorizationRequestResult => ({ kind: "error_redirect", error, target });

  if (!read.ok) return fail(read.error);

  // Per-client limit (the per-IP one runs in the pipeline). RFC 6749 §4.1.2.1: temporarily_unavailable.
  try {
    const limited = deps.rateLimits.checkClient("authorize", client.clientId);
    if (limited) await limited; // synchronous with the in-process cache
  } catch (error) {
    if (error instanceof RateLimitExceeded) return fail(tooManyRequests(error));
    throw error;
  }

  const parsed = paramsSchema.safeParse(Object.fromEntries(read.params));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(new OAuthError("invalid_request", `parameter ${String(issue.path[0] ?? "")} is invalid: ${issue.message}`));
  }
  // Everything read here is stored (Interaction.params is jsonb, AuthorizationCode.nonce is text);
  // the reader has already refused NUL and other text PostgreSQL cannot store (lib/http/input.ts).
  const p = parsed.data;

  // check_response_type. RFC 6749 §4.1.1 / OAuth 2.1 §4.1.1: response_type is REQUIRED and "code".
  if (p.response_type === undefined) return fail(new OAuthError("invalid_request", "response_type is missing"));
  if (p.response_type !== "code") return fail(new OAuthError("unsupported_response_type", "only response_type=code is supported"));

  // check_response_mode. OAuth 2.0 Multiple Response Types §2.1 (query) and Form Post Response Mode §2.
  if (p.response_mode !== undefined && !isResponseMode(p.response_mode)) {
    return fail(new OAuthError("invalid_request", "response_mode must be query or form_post"));
  }

  // OIDC Core §6.1 / §6.2, RFC 9101 §5: request objects are not supported.
  if (p.request !== undefined) return fail(new OAuthError("request_not_supported", "the request parameter is not supported"));
  if (p.request_uri !== undefined) return fail(new OAuthError("request_uri_not_supported", "the request_uri parameter is not supported"));

  // check_client_grant. RFC 6749 §4.1.2.1: unauthorized_client when the client may not use this flow.
  if (!client.grantTypes.includes("authorization_code") || !client.responseTypes.includes("code")) {
    return fail(new OAuthError("unauthorized_client", "the client may not use the authorization code flow"));
  }

  // check_pkce. OAuth 2.1 §4.1.1 and RFC 9700 §2.1.1: PKCE for every client; only S256
  // (RFC 7636 §4.3 would default to "plain", which is not accepted).
  if (p.code_challenge === undefined) return fail(new OAuthError("invalid_request", "code_challenge is required (PKCE)"));
  if (p.code_challenge_method !== CODE_CHALLENGE_METHOD) {
    return fail(new OAuthError("invalid_request", "code_challenge_method must be S256"));
  }
  // RFC 7636 §4.2: BASE64URL(SHA256(verifier)), 43 characters.
  if (!isValidCodeChallenge(p.code_challenge)) return fail(new OAuthError("invalid_request", "code_challenge is not a valid S256 challenge"));

  // check_scope. RFC 6749 §3.3 lets the server "fully or partially ignore the scope requested by
  // the client": scopes that are unknown, disabled, or not allowed for this client are dropped
  // (not an invalid_scope error); the token response names the granted scopes. An empty result is allowed.
  let requestedScopes: string[];
  try {
    requestedScopes = parseScope(p.scope);
  } catch (error) {
    if (error instanceof OAuthError) return fail(error);
    throw error;
  }
  const allowed = new Set(client.scopes);
  const candidates = requestedScopes.filter((s) => allowed.has(s));
  const enabled = candidates.length > 0 ? await deps.scopes.enabledNames() : new Set<string>();
  const scopes = candidates.filter((s) => enabled.has(s));

  // check_resource. RFC 8707 §2: each resource is an absolute URI without a fragment, and one the
  // client may obtain tokens for, else invalid_target: its registered resources or the issuer itself
  // (Authly's own APIs). A client with none registered cannot name another resource server.
  const resources = p.resource === undefined ? [] : [...new Set(p.resource.split(" "))];
  for (const resource of resources) {
    if (!isAbsoluteUriWithoutFragment(resource)) return fail(new OAuthError("invalid_target", "a resource must be an absolute URI without a fragment"));
    if (resource !== deps.config.issuer && !client.resources.includes(resource)) {
      return fail(new OAuthError("invalid_target", "the resource is not allowed for this client"));
    }
  }

  // OIDC Core §3.1.2.1: prompt values are defined; "none" stands alone.
  const prompt = parsePrompt(p.prompt);
  if (!prompt.ok) return fail(new OAuthError("invalid_request", prompt.description));

  // OIDC Core §5.5: claims is a JSON object whose userinfo and id_token members are objects of
  // individual claim requests (null or {essential, value, values}, §5.5.1).
  let claims: ClaimsRequest | undefined;
  if (p.claims !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(p.claims);
    } catch {
      return fail(new OAuthError("invalid_request", "claims must be a JSON object"));
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(new OAuthError("invalid_request", "claims must be a JSON object"));
    const checked = claimsRequestSchema.safeParse(value);
    if (!checked.success) return fail(new OAuthError("invalid_request", "claims is not a valid claims request"));
    // JSON escapes can smuggle in what the reader refuses (\u0000, a lone \ud800): same rule inside.
    if (!allTextAcceptable(checked.data)) return fail(new OAuthError("invalid_request", "claims contains a control character or malformed text"));
    // User claims the client may not have are dropped, like its scopes above.
    claims = restrictClaimsRequest(checked.data, client.scopes);
  }

  // OIDC Core §3.1.2.1 id_token_hint: an ID Token we issued (signature and issuer; it may have
  // expired) to this client ("the Client [...] as an audience").
  let idTokenHintSub: string | undefined;
  if (p.id_token_hint !== undefined) {
    const hint = await deps.oidc.idTokens.verifyHint(p.id_token_hint);
    if (!hint) return fail(new OAuthError("invalid_request", "id_token_hint is not a valid ID token of this server"));
    if (!hint.audiences.includes(client.clientId)) return fail(new OAuthError("invalid_request", "id_token_hint was not issued to this client"));
    idTokenHintSub = hint.sub;
  }

  const request: AuthorizationRequest = {
    clientId: client.clientId,
    redirectUri,
    redirectUriParam: redirectParam ?? null,
    responseMode: p.response_mode === "form_post" ? "form_post" : "query",
    scopes,
    resources,
    codeChallenge: p.code_challenge,
    codeChallengeMethod: CODE_CHALLENGE_METHOD,
    ...(p.state !== undefined && { state: p.state }),
    ...(p.nonce !== undefined && { nonce: p.nonce }),
    ...(p.prompt !== undefined && { prompt: p.prompt }),
    ...(p.max_age !== undefined && { maxAge: Number(p.max_age) }),
    ...(p.login_hint !== undefined && { loginHint: p.login_hint }),
    ...(p.ui_locales !== undefined && { uiLocales: p.ui_locales }),
    ...(p.acr_values !== undefined && { acrValues: p.acr_values }),
    ...(claims !== undefined && { claims }),
    ...(idTokenHintSub !== undefined && { idTokenHintSub }),
  };
  return { kind: "valid", client, request };
}

/** Where the response to a validated request goes. */
export function responseTargetOf(request: AuthorizationRequest): ResponseTarget {
  return { redirectUri: request.redirectUri, responseMode: request.responseMode, state: request.state };
}
