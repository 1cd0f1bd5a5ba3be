import { z } from "zod";
import { hashSecret } from "../../security/secrets";
import { resolveAudience } from "../access-token";
import { OAuthError } from "../errors";
import { parseScope } from "../params";
import type { GrantHandler } from "./types";
import { issueUserTokens } from "./user-tokens";

const refreshParams = z.object({
  refresh_token: z.string({ error: "refresh_token is required" }).min(1).max(512),
  scope: z.string().optional(),
  resource: z.string().optional(),
});

/**
 * OAuth 2.1 §4.3: exchange a refresh token for new tokens. Every use rotates the refresh token
 * (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2); presenting a rotated one revokes its whole family.
 */
export const refreshTokenGrant: GrantHandler = async ({ container, client, params, requestId, clientIp }) => {
  const parsed = refreshParams.safeParse(Object.fromEntries(params));
  if (!parsed.success) throw new OAuthError("invalid_request", parsed.error.issues[0]!.message);
  const p = parsed.data;
  const { prisma, clock, audit, tokenRevoker } = container;

  const token = await prisma.refreshToken.findUnique({ where: { tokenHash: hashSecret(p.refresh_token) } });
  // RFC 6749 §6: the refresh token must have been issued to the authenticated client.
  if (!token || token.clientId !== client.id || token.tenantId !== client.tenantId) {
    throw new OAuthError("invalid_grant", "the refresh token is invalid");
  }
  if (token.revokedAt) throw new OAuthError("invalid_grant", "the refresh token has been revoked");
  const now = clock.now();

  const reuse = async () => {
    // RFC 9700 §4.14.2: a rotated refresh token presented again means it leaked: revoke the family.
    await tokenRevoker.revokeFamily(token.familyId, "reuse_detected");
    await audit.record({
      type: "token.refresh_reuse_detected",
      actorType: "client",
      actorId: client.clientId,
      targetType: "refresh_token_family",
      targetId: token.familyId,
      outcome: "failure",
      ipAddress: clientIp,
      requestId,
    });
    return new OAuthError("invalid_grant", "the refresh token has already been used");
  };
  if (token.rotatedAt) throw await reuse();
  if (token.expiresAt.getTime() <= now.getTime() || (token.idleExpiresAt && token.idleExpiresAt.getTime() <= now.getTime())) {
    throw new OAuthError("invalid_grant", "the refresh token has expired");
  }

  // RFC 6749 §6: the requested scope must not include any scope not originally granted.
  const requested = p.scope === undefined ? token.scopes : parseScope(p.scope);
  if (!requested.every((s) => token.scopes.includes(s))) throw new OAuthError("invalid_scope", "the scope exceeds what was originally granted");
  const audience = resolveAudience(p.resource, token.resources.length > 0 ? token.resources : client.resources, container.config.issuer);
  if (p.resource !== undefined && token.resources.length > 0 && !audience.every((a) => token.resources.includes(a))) {
    throw new OAuthError("invalid_target", "the resource was not part of the original grant"); // RFC 8707 §2.2
  }

  if (token.userId) {
    const user = await prisma.user.findUnique({ where: { id: token.userId }, select: { status: true } });
    if (!user || user.status !== "active") throw new OAuthError("invalid_grant", "the user is no longer active");
  } else {
    throw new OAuthError("invalid_grant", "the refresh token is invalid");
  }
  if (token.sessionId && client.revokeRefreshTokensOnLogout) {
    const session = await prisma.session.findUnique({ where: { id: token.sessionId }, select: { endedAt: true } });
    if (session?.endedAt) throw new OAuthError("invalid_grant", "the session of this refresh token has ended");
  }

  // Rotate atomically: of two concurrent uses of one token only one succeeds; the other is reuse.
  const rotated = await prisma.refreshToken.updateMany({ where: { id: token.id, rotatedAt: null, revokedAt: null }, data: { rotatedAt: now } });
  if (rotated.count !== 1) throw await reuse();

  return issueUserTokens(container, {
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
    claims: token.claims,
    nonce: null,
    authorizationCodeId: token.authorizationCodeId,
    refresh: { familyId: token.familyId, expiresAt: token.expiresAt, rotatedFromId: token.id },
  });
};
