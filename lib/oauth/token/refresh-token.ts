import { z } from "zod";
import type { AuditLog } from "../../audit/audit-log";
import type { Prisma } from "../../generated/prisma/client";
import { hashSecret } from "../../security/secrets";
import { resolveAudience } from "../access-token";
import { OAuthError } from "../errors";
import type { IssuedTokenRevoker, RevocationCount } from "../issued-tokens";
import { parseScope } from "../params";
import type { TokenStore } from "../token-store/interface";
import type { GrantRequest, TokenResponse } from "./grant";
import { planUserTokens, type UserTokenDeps } from "./user-grant-tokens";

export const grantType = "refresh_token" as const;

/** Parameters of the refresh_token grant (RFC 6749 §6, OAuth 2.1 §4.3.1). */
export const parameters = z.object({
  refresh_token: z.string({ error: "refresh_token is required" }).min(1).max(512),
  scope: z.string().optional(),
  resource: z.string().optional(),
});

/** What rotating a refresh token needs. */
export interface RefreshTokenGrantDeps extends UserTokenDeps {
  tokens: Pick<TokenStore, "findRefreshToken" | "rotateRefreshToken">;
  revoker: Pick<IssuedTokenRevoker, "revokeFamily" | "announce">;
  audit: Pick<AuditLog, "record">;
  /** The issuer: the audience of tokens for Authly's own APIs (RFC 8707). */
  issuer: string;
}

/**
 * OAuth 2.1 §4.3: exchange a refresh token for new tokens. Every use rotates the refresh token
 * (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2): the rotation and the new tokens are one transaction that
 * locks the family (lib/oauth/token-store/). Presenting a token that was rotated already, revoked
 * since or not, is reuse and revokes the whole family with every access token issued from it.
 */
export async function handler(deps: RefreshTokenGrantDeps, { client, params: p, requestId, clientIp }: GrantRequest<z.infer<typeof parameters>>): Promise<TokenResponse> {
  const { clock, audit, revoker, tokens } = deps;

  // One statement: the token with its family's revocation, its user's status and its session's end.
  const token = await tokens.findRefreshToken(hashSecret(p.refresh_token));
  // RFC 6749 §6: the refresh token must have been issued to the authenticated client.
  if (!token || token.clientId !== client.id || token.tenantId !== client.tenantId) {
    throw new OAuthError("invalid_grant", "the refresh token is invalid");
  }
  const now = clock.now();

  const reuse = async (revoked: RevocationCount) => {
    await audit.record({
      type: "token.refresh_reuse_detected",
      actorType: "client",
      actorId: client.clientId,
      targetType: "refresh_token_family",
      targetId: token.familyId,
      outcome: "failure",
      ipAddress: clientIp,
      requestId,
      details: { revokedFamilies: revoked.families, revokedAccess: revoked.accessTokens },
    });
    return new OAuthError("invalid_grant", "the refresh token has already been used");
  };
  // RFC 9700 §4.14.2: a rotated token presented again means it leaked, whether or not its family
  // was revoked meanwhile: revoke the family (again: idempotent) and record it.
  if (token.rotatedAt) throw await reuse(await revoker.revokeFamily(token.familyId, "reuse_detected"));
  if (token.revokedAt || token.familyRevokedAt) throw new OAuthError("invalid_grant", "the refresh token has been revoked");
  if (token.expiresAt.getTime() <= now.getTime() || (token.idleExpiresAt && token.idleExpiresAt.getTime() <= now.getTime())) {
    throw new OAuthError("invalid_grant", "the refresh token has expired");
  }

  // RFC 6749 §6: the requested scope must not include any scope not originally granted.
  const requested = p.scope === undefined ? token.scopes : parseScope(p.scope);
  if (!requested.every((s) => token.scopes.includes(s))) throw new OAuthError("invalid_scope", "the scope exceeds what was originally granted");
  const audience = resolveAudience(p.resource, token.resources.length > 0 ? token.resources : client.resources, deps.issuer);
  if (p.resource !== undefined && token.resources.length > 0 && !audience.every((a) => token.resources.includes(a))) {
    throw new OAuthError("invalid_target", "the resource was not part of the original grant"); // RFC 8707 §2.2
  }

  if (!token.userId) throw new OAuthError("invalid_grant", "the refresh token is invalid");
  if (token.userStatus !== "active") throw new OAuthError("invalid_grant", "the user is no longer active");
  if (token.sessionId && client.revokeRefreshTokensOnLogout && token.sessionEndedAt) {
    throw new OAuthError("invalid_grant", "the session of this refresh token has ended");
  }

  const planned = planUserTokens(deps, {
    client,
    userId: token.userId,
    // RFC 6749 §6: the new refresh token keeps the original scope; the access token may be narrower.
    scopes: token.scopes,
    accessScopes: requested,
    resources: token.resources,
    audience,
    sessionId: token.sessionId,
    authTime: token.authTime,
    acr: token.acr,
    amr: token.amr,
    claims: token.claims as Prisma.JsonValue,
    nonce: null,
    authorizationCodeId: token.authorizationCodeId,
    refresh: { familyId: token.familyId, expiresAt: token.expiresAt },
  });
  const rotation = await tokens.rotateRefreshToken({ id: token.id, familyId: token.familyId }, now, {
    ...planned.records,
    refreshToken: planned.records.refreshToken!,
  });
  // Of concurrent uses of one token exactly one rotates; every other one is reuse.
  if (rotation.outcome === "reused") throw await reuse(await revoker.announce(rotation.revoked));
  if (rotation.outcome === "revoked") throw new OAuthError("invalid_grant", "the refresh token has been revoked");
  return planned.respond();
}
