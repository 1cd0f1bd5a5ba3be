import { z } from "zod";
import type { AuditLog } from "../audit/audit-log";
import type { Endpoint } from "../http/endpoint";
import { makeResponse } from "../http/responses";
import { oauthPaths } from "../protocol/paths";
import { hashSecret } from "../security/secrets";
import type { AccessTokenService } from "./access-token";
import type { ClientAuthenticator } from "./client-auth";
import { OAuthError } from "./errors";
import type { IssuedTokenRevoker } from "./issued-tokens";
import { readFormBody } from "./params";
import type { TokenStore } from "./token-store/interface";

const revocationParams = z.object({
  token: z.string({ error: "token is required" }).min(1, { error: "token is required" }).max(8192, { error: "token is too long" }),
  token_type_hint: z.string().max(64).optional(),
});

/** What revocation needs. */
export interface RevocationDeps {
  clientAuth: Pick<ClientAuthenticator, "authenticate">;
  /** Reads our own access tokens, expired or revoked ones included (revoking them again is harmless). */
  accessTokens: Pick<AccessTokenService, "decodeOwn">;
  tokens: Pick<TokenStore, "findRefreshToken">;
  revoker: Pick<IssuedTokenRevoker, "revokeAccessToken" | "revokeFamily">;
  audit: Pick<AuditLog, "record">;
  issuer: string;
}

/**
 * RFC 7009 token revocation. Access tokens are JWTs: revoking one puts its jti on the revocation
 * list until it expires. Revoking a refresh token revokes its family and the access tokens issued
 * from it (RFC 7009 §2.1 "SHOULD"; RFC 9700 §4.14.2). Unknown or invalid tokens answer 200 (§2.2).
 */
export function revocationEndpoint(deps: RevocationDeps): Endpoint {
  const endpointUrl = deps.issuer + oauthPaths.revocation;
  const { clientAuth, accessTokens, tokens, revoker, audit } = deps;
  return async (request, { requestId, clientIp }) => {
    const params = await readFormBody(request);
    const { client } = await clientAuth.authenticate(request, params, "revoke", endpointUrl);
    const parsed = revocationParams.safeParse(Object.fromEntries(params));
    if (!parsed.success) throw new OAuthError("invalid_request", parsed.error.issues[0]!.message);
    const { token, token_type_hint: hint } = parsed.data;
    // RFC 7009 §2.2: "An invalid token type hint value is ignored"; both types are searched anyway.

    const tryAccess = async (): Promise<boolean> => {
      if (token.split(".").length !== 3) return false;
      const claims = await accessTokens.decodeOwn(token);
      if (!claims) return false;
      // RFC 7009 §2.1: the token must have been issued to the requesting client.
      if (claims.client_id !== client.clientId) throw new OAuthError("unauthorized_client", "the token was not issued to this client");
      // Recorded in the database (the revocation list's record) and added to this instance's list.
      await revoker.revokeAccessToken(claims.jti, new Date(claims.exp * 1000));
      await audit.record({ type: "token.revoked", actorType: "client", actorId: client.clientId, targetType: "access_token", targetId: claims.jti, ipAddress: clientIp, requestId });
      return true;
    };
    const tryRefresh = async (): Promise<boolean> => {
      if (token.includes(".")) return false;
      const row = await tokens.findRefreshToken(hashSecret(token));
      if (!row) return false;
      if (row.clientId !== client.id) throw new OAuthError("unauthorized_client", "the token was not issued to this client");
      await revoker.revokeFamily(row.familyId, "revoked");
      await audit.record({ type: "token.revoked", actorType: "client", actorId: client.clientId, targetType: "refresh_token_family", targetId: row.familyId, ipAddress: clientIp, requestId });
      return true;
    };
    // RFC 7009 §2.1: the hint is a lookup optimisation; search the other type when it does not match.
    const order = hint === "refresh_token" ? [tryRefresh, tryAccess] : [tryAccess, tryRefresh];
    for (const attempt of order) if (await attempt()) break;
    // RFC 7009 §2.2: 200 whether or not the token was valid; the body is ignored by clients.
    return makeResponse(null, 200, { "cache-control": "no-store" });
  };
}
