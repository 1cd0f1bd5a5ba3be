import { z } from "zod";
import { makeResponse } from "../http/responses";
import type { RouteHandler } from "../http/types";
import { oauthPaths } from "../protocol/paths";
import { hashSecret } from "../security/secrets";
import { OAuthError } from "./errors";
import { readFormBody } from "./params";

const revocationParams = z.object({
  token: z.string({ error: "token is required" }).min(1, { error: "token is required" }).max(8192, { error: "token is too long" }),
  token_type_hint: z.string().max(64).optional(),
});

/**
 * RFC 7009 token revocation. Access tokens are JWTs: revoking one puts its jti on the revocation
 * list until it expires. Revoking a refresh token revokes its family and the access tokens issued
 * from it (RFC 7009 §2.1 "SHOULD"; RFC 9700 §4.14.2). Unknown or invalid tokens answer 200 (§2.2).
 */
export const revocationHandler: RouteHandler = async (request, { container, requestId, clientIp }) => {
  const params = await readFormBody(request);
  const { client } = await container.clientAuth.authenticate(request, params, "revoke", container.config.issuer + oauthPaths.revocation);
  const parsed = revocationParams.safeParse(Object.fromEntries(params));
  if (!parsed.success) throw new OAuthError("invalid_request", parsed.error.issues[0]!.message);
  const { token, token_type_hint: hint } = parsed.data;
  // RFC 7009 §2.2: "An invalid token type hint value is ignored"; both types are searched anyway.
  const { tokenStore, accessTokens, tokenRevoker, audit } = container;

  const tryAccess = async (): Promise<boolean> => {
    if (token.split(".").length !== 3) return false;
    const claims = await accessTokens.decodeOwn(token);
    if (!claims) return false;
    // RFC 7009 §2.1: the token must have been issued to the requesting client.
    if (claims.client_id !== client.clientId) throw new OAuthError("unauthorized_client", "the token was not issued to this client");
    // Recorded in the database (the revocation list's record) and added to this instance's list.
    await tokenRevoker.revokeAccessToken(claims.jti, new Date(claims.exp * 1000));
    await audit.record({ type: "token.revoked", actorType: "client", actorId: client.clientId, targetType: "access_token", targetId: claims.jti, ipAddress: clientIp, requestId });
    return true;
  };
  const tryRefresh = async (): Promise<boolean> => {
    if (token.includes(".")) return false;
    const row = await tokenStore.findRefreshToken(hashSecret(token));
    if (!row) return false;
    if (row.clientId !== client.id) throw new OAuthError("unauthorized_client", "the token was not issued to this client");
    await tokenRevoker.revokeFamily(row.familyId, "revoked");
    await audit.record({ type: "token.revoked", actorType: "client", actorId: client.clientId, targetType: "refresh_token_family", targetId: row.familyId, ipAddress: clientIp, requestId });
    return true;
  };
  // RFC 7009 §2.1: the hint is a lookup optimisation; search the other type when it does not match.
  const order = hint === "refresh_token" ? [tryRefresh, tryAccess] : [tryAccess, tryRefresh];
  for (const attempt of order) if (await attempt()) break;
  // RFC 7009 §2.2: 200 whether or not the token was valid; the body is ignored by clients.
  return makeResponse(null, 200, { "cache-control": "no-store" });
};
