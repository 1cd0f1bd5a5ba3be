/**
 * RFC 8414 authorization server metadata: the document's members. Served precomputed
 * (./discovery-documents.ts) at /.well-known/oauth-authorization-server (./metadata-handler.ts);
 * lib/oidc/discovery.ts adds the OpenID Connect members.
 */
import { assertionSigningAlgorithms } from "./client-auth";

/** Client authentication methods at the token, revocation and introspection endpoints. */
export const tokenEndpointAuthMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"] as const;
/** Introspection needs a client that can authenticate (RFC 7662 §2.1). */
const introspectionAuthMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt"] as const;

export const endpointPaths = {
  authorization: "/oauth/authorize",
  token: "/oauth/token",
  revocation: "/oauth/revoke",
  introspection: "/oauth/introspect",
  jwks: "/oauth/jwks",
} as const;

/** RFC 8414 §2 authorization server metadata: exactly what this server implements. */
export function authorizationServerMetadata(issuer: string, scopes: readonly string[]): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: issuer + endpointPaths.authorization,
    token_endpoint: issuer + endpointPaths.token,
    jwks_uri: issuer + endpointPaths.jwks,
    scopes_supported: scopes,
    response_types_supported: ["code"],
    response_modes_supported: ["query", "form_post"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    token_endpoint_auth_methods_supported: tokenEndpointAuthMethods,
    token_endpoint_auth_signing_alg_values_supported: assertionSigningAlgorithms,
    revocation_endpoint: issuer + endpointPaths.revocation,
    // RFC 7009 §2.1: public clients revoke their own tokens with client_id alone.
    revocation_endpoint_auth_methods_supported: tokenEndpointAuthMethods,
    revocation_endpoint_auth_signing_alg_values_supported: assertionSigningAlgorithms,
    introspection_endpoint: issuer + endpointPaths.introspection,
    introspection_endpoint_auth_methods_supported: introspectionAuthMethods,
    introspection_endpoint_auth_signing_alg_values_supported: assertionSigningAlgorithms,
    code_challenge_methods_supported: ["S256"], // RFC 7636; plain is refused (OAuth 2.1 §4.1.1)
    authorization_response_iss_parameter_supported: true, // RFC 9207 §3
    // RFC 9068 access tokens are signed with RS256.
    access_token_signing_alg_values_supported: ["RS256"],
  };
}
