import type { PrismaClient } from "../generated/prisma/client";
import type { AuditLog } from "../audit/audit-log";
import type { Clock } from "../server/clock";
import type { RevocationList } from "./revocation-list";

/**
 * Revokes what was issued together: a refresh token family with its access tokens, or everything
 * issued from one authorization code. Used by code replay detection (RFC 6749 §4.1.2, OAuth 2.1
 * §4.1.3), refresh token reuse detection (RFC 9700 §4.14.2) and revocation (RFC 7009 §2.1).
 */
export class IssuedTokenRevoker {
  constructor(
    private readonly deps: { prisma: PrismaClient; clock: Clock; revocations: RevocationList; audit: AuditLog; tenantId: string },
  ) {}

  /** Revokes every refresh token of the family and every access token issued from it. */
  async revokeFamily(familyId: string, reason: string): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now, revokedReason: reason } });
    await this.revokeAccessTokens({ familyId }, now);
  }

  /** Revokes the refresh token families and access tokens issued from an authorization code. */
  async revokeIssuedFromCode(authorizationCodeId: string, reason: string): Promise<void> {
    const now = this.deps.clock.now();
    const families = await this.deps.prisma.refreshToken.findMany({
      where: { authorizationCodeId },
      select: { familyId: true },
      distinct: ["familyId"],
    });
    for (const { familyId } of families) await this.revokeFamily(familyId, reason);
    await this.revokeAccessTokens({ authorizationCodeId }, now);
  }

  /**
   * Takes back everything a client holds for a user (a withdrawn consent): every refresh token
   * family with its access tokens, access tokens issued without a refresh token, and codes not yet
   * redeemed (they would still give tokens). Returns how many families and how many further live
   * access tokens were revoked.
   */
  async revokeAllOfClientForUser(userId: string, clientRowId: string, reason: string): Promise<{ families: number; accessTokens: number }> {
    const { prisma, tenantId } = this.deps;
    const families = await prisma.refreshToken.findMany({
      where: { tenantId, userId, clientId: clientRowId, revokedAt: null },
      select: { familyId: true },
      distinct: ["familyId"],
    });
    for (const { familyId } of families) await this.revokeFamily(familyId, reason);
    const now = this.deps.clock.now();
    const accessTokens = await this.revokeAccessTokens({ tenantId, userId, clientId: clientRowId }, now);
    await prisma.authorizationCode.updateMany({ where: { tenantId, userId, clientId: clientRowId, consumedAt: null, expiresAt: { gt: now } }, data: { expiresAt: now } });
    return { families: families.length, accessTokens };
  }

  /** Revokes the matching access tokens; the live ones also go on the revocation list. Returns how many were live. */
  private async revokeAccessTokens(
    where: { familyId: string } | { authorizationCodeId: string } | { tenantId: string; userId: string; clientId: string },
    now: Date,
  ): Promise<number> {
    const live = await this.deps.prisma.accessToken.findMany({
      where: { ...where, revokedAt: null, expiresAt: { gt: now } },
      select: { jti: true, expiresAt: true },
    });
    await this.deps.prisma.accessToken.updateMany({ where: { ...where, revokedAt: null }, data: { revokedAt: now } });
    await this.deps.revocations.revoke(live);
    return live.length;
  }
}
