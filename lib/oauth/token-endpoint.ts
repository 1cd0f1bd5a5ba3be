import type { RouteHandler } from "../http/types";
import { OAuthError, oauthJson } from "./errors";
import { readFormBody } from "./params";
import { authorizationCodeGrant } from "./token/authorization-code";
import { clientCredentialsGrant } from "./token/client-credentials";
import { refreshTokenGrant } from "./token/refresh-token";
import type { GrantHandler } from "./token/types";

/** One handler per grant type (OAuth 2.1 §4; the implicit and password grants do not exist in OAuth 2.1). */
const grants: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
};

/** The token endpoint (RFC 6749 §3.2, OAuth 2.1 §3.2): POST, form-encoded, client-authenticated. */
export const tokenHandler: RouteHandler = async (request, { container, requestId, clientIp }) => {
  const params = await readFormBody(request);
  const grantType = params.get("grant_type");
  if (!grantType) throw new OAuthError("invalid_request", "grant_type is required");
  const grant = Object.hasOwn(grants, grantType) ? grants[grantType] : undefined;
  if (!grant) throw new OAuthError("unsupported_grant_type", "this grant type is not supported"); // RFC 6749 §5.2
  const { client } = await container.clientAuth.authenticate(request, params, "token", `${container.config.issuer}/oauth/token`);
  // RFC 6749 §5.2: the client is not authorized to use this grant type.
  if (!client.grantTypes.includes(grantType)) throw new OAuthError("unauthorized_client", "the client may not use this grant type");
  const body = await grant({ container, client, params, requestId, clientIp });
  // RFC 6749 §5.1: Cache-Control: no-store, Pragma: no-cache.
  return oauthJson(body);
};
