import type { Endpoint } from "../http/endpoint";
import { isGrantType, type GrantType } from "../protocol/constants";
import { oauthPaths } from "../protocol/paths";
import type { ClientAuthenticator } from "./client-auth";
import { OAuthError, oauthJson } from "./errors";
import { readFormBody } from "./params";
import * as authorizationCode from "./token/authorization-code";
import * as clientCredentials from "./token/client-credentials";
import { bindGrant, type BoundGrant } from "./token/grant";
import * as refreshToken from "./token/refresh-token";

/** What the token endpoint needs: client authentication, and each grant's own dependencies. */
export interface TokenEndpointDeps {
  clientAuth: Pick<ClientAuthenticator, "authenticate">;
  issuer: string;
  grants: {
    authorization_code: authorizationCode.AuthorizationCodeGrantDeps;
    refresh_token: refreshToken.RefreshTokenGrantDeps;
    client_credentials: clientCredentials.ClientCredentialsGrantDeps;
  };
}

/** The token endpoint (RFC 6749 §3.2, OAuth 2.1 §3.2): POST, form-encoded, client-authenticated. */
export function tokenEndpoint(deps: TokenEndpointDeps): Endpoint {
  // One handler per grant type (OAuth 2.1 §4; the implicit and password grants do not exist in
  // OAuth 2.1), each from its module's `grantType`, `parameters` and `handler`.
  const grants: Record<GrantType, BoundGrant> = {
    [authorizationCode.grantType]: bindGrant(authorizationCode, deps.grants.authorization_code),
    [refreshToken.grantType]: bindGrant(refreshToken, deps.grants.refresh_token),
    [clientCredentials.grantType]: bindGrant(clientCredentials, deps.grants.client_credentials),
  };
  const endpointUrl = deps.issuer + oauthPaths.token;

  return async (request, { requestId, clientIp }) => {
    const params = await readFormBody(request);
    const grantType = params.get("grant_type");
    if (!grantType) throw new OAuthError("invalid_request", "grant_type is required");
    const grant = isGrantType(grantType) ? grants[grantType] : undefined;
    if (!grant) throw new OAuthError("unsupported_grant_type", "this grant type is not supported"); // RFC 6749 §5.2
    const { client } = await deps.clientAuth.authenticate(request, params, "token", endpointUrl);
    // RFC 6749 §5.2: the client is not authorized to use this grant type.
    if (!client.grantTypes.includes(grantType)) throw new OAuthError("unauthorized_client", "the client may not use this grant type");
    const body = await grant({ client, params, requestId, clientIp });
    // RFC 6749 §5.1: Cache-Control: no-store, Pragma: no-cache.
    return oauthJson(body);
  };
}
