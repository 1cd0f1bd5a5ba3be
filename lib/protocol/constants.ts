/**
 * The protocol values Authly implements, each listed once. Client registration (its zod enums),
 * the token endpoint's dispatch table, the discovery documents and the CLI are derived from these
 * lists, so what is announced is exactly what is accepted. This module imports nothing.
 */

/** OAuth 2.1 §4 grant types (the implicit and password grants do not exist in OAuth 2.1). */
export const grantTypes = ["authorization_code", "refresh_token", "client_credentials"] as const;
export type GrantType = (typeof grantTypes)[number];

export function isGrantType(value: string): value is GrantType {
  return (grantTypes as readonly string[]).includes(value);
}

/**
 * Client authentication at the token, revocation and introspection endpoints: RFC 6749 §2.3.1
 * (Basic, form post), RFC 7523 §2.2 and OIDC Core §9 (private_key_jwt), OAuth 2.1 §2.4 ("none":
 * a public client identifies itself with client_id only).
 */
export const clientAuthMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"] as const;
export type ClientAuthMethod = (typeof clientAuthMethods)[number];

export function isClientAuthMethod(value: string): value is ClientAuthMethod {
  return (clientAuthMethods as readonly string[]).includes(value);
}

/** RFC 7662 §2.1: introspection needs a client that can authenticate, so every method but "none". */
export const introspectionAuthMethods = clientAuthMethods.filter((m): m is Exclude<ClientAuthMethod, "none"> => m !== "none");

/** JWS algorithms Authly signs with (RFC 7518 §3.1; EdDSA per RFC 8037): one key pair of each. */
export const signingAlgorithms = ["RS256", "ES256", "EdDSA"] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

/** RFC 9068 access tokens are signed with this algorithm. */
export const accessTokenSigningAlgorithm: SigningAlgorithm = "RS256";

/** ID tokens of a client that registered no id_token_signed_response_alg (OIDC Registration §2: RS256). */
export const defaultIdTokenSigningAlgorithm: SigningAlgorithm = "RS256";

/**
 * Algorithms accepted for private_key_jwt client assertions (RFC 7523 §3, RFC 7518; EdDSA per
 * RFC 8037): every algorithm Authly signs with, and PS256.
 */
export const clientAssertionAlgorithms = ["RS256", "PS256", "ES256", "EdDSA"] as const satisfies readonly (SigningAlgorithm | "PS256")[];
export type ClientAssertionAlgorithm = (typeof clientAssertionAlgorithms)[number];

/** OAuth 2.1 §3.1.1: the authorization code flow is the only response type. */
export const responseTypes = ["code"] as const;

/** OAuth 2.0 Multiple Response Types §2.1 (query) and OAuth 2.0 Form Post Response Mode §2. */
export const responseModes = ["query", "form_post"] as const;
export type ResponseMode = (typeof responseModes)[number];

export function isResponseMode(value: string): value is ResponseMode {
  return (responseModes as readonly string[]).includes(value);
}

/** RFC 7636 §4.2; OAuth 2.1 §4.1.1: S256 is required, and plain is not accepted here. */
export const codeChallengeMethods = ["S256"] as const;

/** OIDC Core §8: "public" (the user id) or "pairwise" (a value per sector identifier). */
export const subjectTypes = ["public", "pairwise"] as const;
export type SubjectType = (typeof subjectTypes)[number];
