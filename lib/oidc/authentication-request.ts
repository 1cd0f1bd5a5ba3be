/**
 * The OpenID Connect authentication request parameters that decide what the authorization
 * endpoint asks of the user (OIDC Core 1.0 §3.1.2.1): `prompt`, `max_age` (and the client's
 * `default_max_age`), `id_token_hint`, `acr_values` and an essential `acr` in the `claims`
 * parameter (§5.5.1.1), and the individually requested user claims (§5.5) that consent must
 * cover. Small pure functions: no I/O, time passed in. The decision they feed is the interaction
 * policy (./interaction-policy.ts).
 */
import { claimsOfScopes, isStandardUserClaim, scopeClaims, type ClaimsRequest } from "./claims";

/**
 * The Authentication Context Class References this server can satisfy (Discovery §3
 * `acr_values_supported`). Authly authenticates with passwords only.
 */
export const PASSWORD_ACR = "urn:authly:acr:password";
export const SUPPORTED_ACR_VALUES: readonly string[] = [PASSWORD_ACR];

/** OIDC Core §3.1.2.1: the defined `prompt` values. */
export const PROMPT_VALUES = ["none", "login", "consent", "select_account"] as const;
export type PromptValue = (typeof PROMPT_VALUES)[number];

const isPromptValue = (value: string): value is PromptValue => (PROMPT_VALUES as readonly string[]).includes(value);

export type PromptParse = { ok: true; values: PromptValue[] } | { ok: false; description: string };

/**
 * OIDC Core §3.1.2.1: `prompt` is a space-delimited, case-sensitive list of ASCII values. An
 * unknown value is refused (node-oidc-provider does the same), and "If this parameter contains
 * none with any other value, an error is returned" (invalid_request).
 */
export function parsePrompt(value: string | undefined): PromptParse {
  if (value === undefined) return { ok: true, values: [] };
  const tokens = value.split(" ").filter((t) => t !== "");
  const values: PromptValue[] = [];
  for (const token of tokens) {
    if (!isPromptValue(token)) return { ok: false, description: "prompt contains an unsupported value" };
    if (!values.includes(token)) values.push(token);
  }
  if (values.includes("none") && values.length > 1) return { ok: false, description: "prompt=none cannot be combined with other values" };
  return { ok: true, values };
}

/** OIDC Core §3.1.2.1: `acr_values` is a space-separated string, in order of preference. */
export function parseAcrValues(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [...new Set(value.split(" ").filter((t) => t !== ""))];
}

/**
 * The `acr` of a new sign-in: the first requested value that this server supports, else the
 * password class (OIDC Core §3.1.2.1: acr_values are voluntary, "in order of preference").
 * `required` (an essential acr request, §5.5.1.1) narrows the choice to its values when given.
 */
export function chooseAcr(requested: readonly string[], required: readonly string[] | null = null): string {
  const acceptable = (acr: string) => SUPPORTED_ACR_VALUES.includes(acr) && (required === null || required.includes(acr));
  return requested.find(acceptable) ?? (required ?? []).find(acceptable) ?? PASSWORD_ACR;
}

/**
 * An essential `acr` request in the claims parameter's id_token member (OIDC Core §5.5.1.1):
 * `{"essential": true}` with optional `value` or `values`. Returns null when there is none;
 * `values: null` when any acr will do.
 */
export function essentialAcrRequest(claims: ClaimsRequest | undefined | null): { values: string[] | null } | null {
  const request = claims?.id_token?.acr;
  if (!request || request.essential !== true) return null;
  const values: string[] = [];
  if (typeof request.value === "string") values.push(request.value);
  if (Array.isArray(request.values)) for (const v of request.values) if (typeof v === "string") values.push(v);
  const anyRequested = request.value !== undefined || request.values !== undefined;
  return { values: anyRequested ? values : null };
}

/**
 * Whether an essential acr request can be met at all. OIDC Core §5.5.1.1: "If this is an
 * Essential Claim and the requirement cannot be met, then the Authorization Server MUST treat
 * that outcome as a failed authentication attempt" (access_denied).
 */
export function canSatisfyAcr(essential: { values: string[] | null } | null): boolean {
  if (!essential || essential.values === null) return true;
  return essential.values.some((v) => SUPPORTED_ACR_VALUES.includes(v));
}

/**
 * The max_age in force: the request's, else the client's registered default (OIDC Registration
 * §2 default_max_age: "The max_age request parameter overrides this default value").
 */
export function effectiveMaxAge(requested: number | undefined, clientDefault: number | null | undefined): number | undefined {
  if (requested !== undefined) return requested;
  return clientDefault === null || clientDefault === undefined ? undefined : clientDefault;
}

/** Why an existing session is not good enough for this request. */
export type ReauthenticationReason = "prompt" | "max_age" | "id_token_hint" | "acr";

export interface ReauthenticationInput {
  prompts: readonly PromptValue[];
  /** Seconds (effectiveMaxAge). */
  maxAge: number | undefined;
  /** When the session's user authenticated. */
  authTimeMs: number;
  nowMs: number;
  /** The `sub` of a verified id_token_hint, as this client sees it. */
  hintSubject?: string;
  /** The session user's `sub` as this client sees it. */
  sessionSubject: string;
  /** An essential acr request (essentialAcrRequest). */
  essentialAcr: { values: string[] | null } | null;
  /** The session's acr. */
  sessionAcr: string | null;
}

/** Whether the End-User must authenticate again although a session exists, and why (null: no). */
export function reauthenticationReason(input: ReauthenticationInput): ReauthenticationReason | null {
  // OIDC Core §3.1.2.1 prompt=login: "The Authorization Server SHOULD prompt the End-User for
  // reauthentication"; select_account: "prompt the End-User to select a user account" (we ask
  // them to sign in, which lets them pick any account).
  if (input.prompts.includes("login") || input.prompts.includes("select_account")) return "prompt";
  // OIDC Core §3.1.2.1 max_age: "If the elapsed time is greater than this value, the OP MUST
  // attempt to actively re-authenticate the End-User"; "max_age=0 is equivalent to prompt=login".
  if (input.maxAge !== undefined && (input.maxAge === 0 || input.nowMs - input.authTimeMs > input.maxAge * 1000)) return "max_age";
  // OIDC Core §3.1.2.1 id_token_hint: the session must belong to the End-User the hint names.
  if (input.hintSubject !== undefined && input.hintSubject !== input.sessionSubject) return "id_token_hint";
  // OIDC Core §5.5.1.1: an essential acr the session was not authenticated with needs a new sign-in.
  const values = input.essentialAcr?.values;
  if (values && (input.sessionAcr === null || !values.includes(input.sessionAcr))) return "acr";
  return null;
}

export interface RequestedClaim {
  name: string;
  /** OIDC Core §5.5.1: `"essential": true` in either member. */
  essential: boolean;
}

/** The order in which requested claims are listed: that of the scopes releasing them (OIDC Core §5.4). */
const claimOrder: readonly string[] = Object.values(scopeClaims).flat();

/**
 * The user claims requested individually through the claims parameter (OIDC Core §5.5, its
 * userinfo and id_token members), beyond those the requested scopes already release: what the
 * consent screen must show and the grant must cover. Protocol claims (acr, auth_time...) are not
 * user data and are left out. Sorted by the order of the standard claims list.
 */
export function individuallyRequestedClaims(claims: ClaimsRequest | undefined | null, scopes: readonly string[]): RequestedClaim[] {
  if (!claims) return [];
  const byScope = claimsOfScopes(scopes);
  const requested = new Map<string, boolean>();
  for (const member of [claims.userinfo, claims.id_token]) {
    if (!member) continue;
    for (const [name, request] of Object.entries(member)) {
      if (!isStandardUserClaim(name) || byScope.has(name)) continue;
      requested.set(name, (requested.get(name) ?? false) || request?.essential === true);
    }
  }
  return [...requested].map(([name, essential]) => ({ name, essential })).sort((a, b) => claimOrder.indexOf(a.name) - claimOrder.indexOf(b.name));
}

/**
 * The claims request without the user claims that no scope allowed for the client releases: like
 * scopes the client may not have (RFC 6749 §3.3), they are ignored rather than refused, so the
 * claims parameter cannot reach data the client's registration excludes. Protocol claims (acr,
 * auth_time...) and members other than userinfo and id_token are kept as sent.
 */
export function restrictClaimsRequest(claims: ClaimsRequest, allowedScopes: readonly string[]): ClaimsRequest {
  const allowed = claimsOfScopes(allowedScopes);
  const restrict = (member: ClaimsRequest["userinfo"]) =>
    member && Object.fromEntries(Object.entries(member).filter(([name]) => !isStandardUserClaim(name) || allowed.has(name)));
  return {
    ...claims,
    ...(claims.userinfo !== undefined && { userinfo: restrict(claims.userinfo) }),
    ...(claims.id_token !== undefined && { id_token: restrict(claims.id_token) }),
  };
}
