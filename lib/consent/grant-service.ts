/**
 * Consent: the current `Grant` per user and client (which scopes and which individually requested
 * claims, OIDC Core §5.5, the user allowed), and the append-only `ConsentRecord` history of
 * every decision (GDPR Art. 7(1): the controller must be able to demonstrate consent).
 */
import type { Grant, PrismaClient } from "../generated/prisma/client";
import type { Clock } from "../server/clock";
import { claimsOfScopes } from "../oidc/claims";

/**
 * Version of the consent screen's wording; stored with every grant and record, so the history
 * shows which text each decision was made on. Bump it whenever the consent page's messages change
 * in meaning. 2: the page lists individually requested claims and asks only for what is new.
 */
export const CONSENT_TEXT_VERSION = "2";

export class GrantService {
  constructor(private readonly deps: { prisma: PrismaClient; clock: Clock; tenantId: string }) {}

  /** The user's active (not withdrawn) grant for this client (Client.id), or null. */
  async findActive(userId: string, clientRowId: string): Promise<Grant | null> {
    const grant = await this.deps.prisma.grant.findUnique({
      where: { tenantId_userId_clientId: { tenantId: this.deps.tenantId, userId, clientId: clientRowId } },
    });
    return grant && !grant.revokedAt ? grant : null;
  }

  /**
   * Whether an active grant already covers every requested scope and every individually requested
   * user claim (OIDC Core §5.5); a claim is also covered by a granted scope that releases it
   * (§5.4). An empty request is covered by any grant.
   */
  static covers(grant: Grant | null, scopes: readonly string[], claims: readonly string[] = []): boolean {
    if (!grant || grant.revokedAt) return false;
    const granted = new Set(grant.scopes);
    if (!scopes.every((s) => granted.has(s))) return false;
    if (claims.length === 0) return true;
    const grantedClaims = new Set([...grant.claims, ...claimsOfScopes(grant.scopes)]);
    return claims.every((c) => grantedClaims.has(c));
  }

  /**
   * Records an "allow": creates the grant or extends it with the new scopes and claims (a
   * withdrawn grant starts over with just these), and appends a "granted" ConsentRecord of what
   * was asked this time, in one transaction.
   */
  async allow(userId: string, clientRowId: string, scopes: readonly string[], claims: readonly string[] = []): Promise<Grant> {
    const now = this.deps.clock.now();
    const tenantId = this.deps.tenantId;
    return this.deps.prisma.$transaction(async (tx) => {
      const key = { tenantId_userId_clientId: { tenantId, userId, clientId: clientRowId } };
      const existing = await tx.grant.findUnique({ where: key });
      const active = existing && !existing.revokedAt;
      const merged = active ? [...new Set([...existing.scopes, ...scopes])] : [...new Set(scopes)];
      const mergedClaims = active ? [...new Set([...existing.claims, ...claims])] : [...new Set(claims)];
      const grant = existing
        ? await tx.grant.update({
            where: { id: existing.id },
            data: {
              scopes: merged,
              claims: mergedClaims,
              consentTextVersion: CONSENT_TEXT_VERSION,
              revokedAt: null,
              ...(existing.revokedAt ? { grantedAt: now } : {}),
              updatedAt: now,
            },
          })
        : await tx.grant.create({
            data: {
              tenantId,
              userId,
              clientId: clientRowId,
              scopes: merged,
              claims: mergedClaims,
              consentTextVersion: CONSENT_TEXT_VERSION,
              grantedAt: now,
              updatedAt: now,
            },
          });
      await tx.consentRecord.create({
        data: { tenantId, userId, clientId: clientRowId, grantId: grant.id, action: "granted", scopes: [...scopes], claims: [...claims], consentTextVersion: CONSENT_TEXT_VERSION, createdAt: now },
      });
      return grant;
    });
  }

  /** Records a "deny" decision in the history; the current grant is left as it was. */
  async recordDenial(userId: string, clientRowId: string, scopes: readonly string[], claims: readonly string[] = []): Promise<void> {
    await this.deps.prisma.consentRecord.create({
      data: {
        tenantId: this.deps.tenantId,
        userId,
        clientId: clientRowId,
        action: "denied",
        scopes: [...scopes],
        claims: [...claims],
        consentTextVersion: CONSENT_TEXT_VERSION,
        createdAt: this.deps.clock.now(),
      },
    });
  }

  /**
   * Withdraws the user's consent for a client (GDPR Art. 7(3): as easy as giving it): marks the
   * active grant revoked and appends a "withdrawn" ConsentRecord of what it covered, in one
   * transaction. Returns the withdrawn grant, or null when there was no active grant (nothing
   * done). The client's next authorization request asks for consent again. Tokens already issued
   * are the caller's business (lib/account/applications-service.ts revokes them).
   */
  async withdraw(userId: string, clientRowId: string): Promise<Grant | null> {
    const now = this.deps.clock.now();
    const tenantId = this.deps.tenantId;
    return this.deps.prisma.$transaction(async (tx) => {
      const grant = await tx.grant.findUnique({ where: { tenantId_userId_clientId: { tenantId, userId, clientId: clientRowId } } });
      if (!grant || grant.revokedAt) return null;
      // Only the request that actually revokes it records the withdrawal (two tabs at once).
      const revoked = await tx.grant.updateMany({ where: { id: grant.id, revokedAt: null }, data: { revokedAt: now, updatedAt: now } });
      if (revoked.count !== 1) return null;
      await tx.consentRecord.create({
        data: {
          tenantId,
          userId,
          clientId: clientRowId,
          grantId: grant.id,
          action: "withdrawn",
          scopes: grant.scopes,
          claims: grant.claims,
          consentTextVersion: grant.consentTextVersion,
          createdAt: now,
        },
      });
      return { ...grant, revokedAt: now, updatedAt: now };
    });
  }
}
