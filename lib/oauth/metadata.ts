/**
 * RFC 8414 authorization server metadata: the document's members. Served precomputed
 * (./discovery-documents.ts) at /.well-known/oauth-authorization-server (./metadata-handler.ts);
 * lib/oidc/discovery.ts adds the OpenID Connect members.
 */
import {
  accessTokenSigningAlgorithm,
  clientAssertionAlgorithms,
  clientAuthMethods,
  codeChallengeMethods,
  grantTypes,
  introspectionAuthMethods,
  responseModes,
  responseTypes,
} from "../protocol/constants";
import { oauthPaths } from "../protocol/paths";

/** RFC 8414 §2 authorization server metadata: exactly what this server implements. */
export function authorizationServerMetadata(issuer: string, scopes: readonly string[]): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: issuer + oauthPaths.authorization,
    token_endpoint: issuer + oauthPaths.token,
    jwks_uri: issuer + oauthPaths.jwks,
    scopes_supported: scopes,
    response_types_supported: responseTypes,
    response_modes_supported: responseModes,
    grant_types_supported: grantTypes,
    token_endpoint_auth_methods_supported: clientAuthMethods,
    token_endpoint_auth_signing_alg_values_supported: clientAssertionAlgorithms,
    revocation_endpoint: issuer + oauthPaths.revocation,
    // RFC 7009 §2.1: public clients revoke their own tokens with client_id alone.
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_signing_alg_values_supported: clientAssertionAlgorithms,
    introspection_endpoint: issuer + oauthPaths.introspection,
    introspection_endpoint_auth_methods_supported: introspectionAuthMethods,
    introspection_endpoint_auth_signing_alg_values_supported: clientAssertionAlgorithms,
    code_challenge_methods_supported: codeChallengeMethods, // RFC 7636; plain is refused (OAuth 2.1 §4.1.1)
    authorization_response_iss_parameter_supported: true, // RFC 9207 §3
    // RFC 9068 access tokens are signed with RS256.
    access_token_signing_alg_values_supported: [accessTokenSigningAlgorithm],
  };
}
