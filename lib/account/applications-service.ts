/**
 * The account page's applications: the clients holding the user's consent (active grants), and
 * withdrawing it, which takes back every token and code the client holds for the user.
 */
import type { AuditLog } from "../audit/audit-log";
import type { GrantService } from "../consent/grant-service";
import type { PrismaClient } from "../generated/prisma/client";
import type { IssuedTokenRevoker } from "../oauth/issued-tokens";
import type { RequestMeta } from "../oauth/interaction/flow";

export interface ApplicationAccess {
  /** Client.id (what the revoke form posts). */
  clientRowId: string;
  /** The public client_id. */
  clientId: string;
  name: string;
  logoUri: string | null;
  clientUri: string | null;
  /** Granted scopes, with the stored description of custom ones. */
  scopes: { name: string; description: string | null }[];
  /** User claims granted one by one (OIDC Core §5.5). */
  claims: string[];
  grantedAt: Date;
}

export class ApplicationsService {
  constructor(private readonly deps: { prisma: PrismaClient; tenantId: string; audit: AuditLog; grants: GrantService; tokenRevoker: IssuedTokenRevoker }) {}

  /** The applications the user has allowed (active grants), most recent first. */
  async applications(userId: string): Promise<ApplicationAccess[]> {
    const grants = await this.deps.prisma.grant.findMany({
      where: { tenantId: this.deps.tenantId, userId, revokedAt: null },
      include: { client: { select: { id: true, clientId: true, name: true, logoUri: true, clientUri: true } } },
      orderBy: { grantedAt: "desc" },
    });
    const names = [...new Set(grants.flatMap((g) => g.scopes))];
    const scopeRows = names.length
      ? await this.deps.prisma.scope.findMany({ where: { tenantId: this.deps.tenantId, name: { in: names } }, select: { name: true, description: true } })
      : [];
    const descriptions = new Map(scopeRows.map((s) => [s.name, s.description]));
    return grants.map((grant) => ({
      clientRowId: grant.client.id,
      clientId: grant.client.clientId,
      name: grant.client.name,
      logoUri: grant.client.logoUri,
      clientUri: grant.client.clientUri,
      scopes: grant.scopes.map((name) => ({ name, description: descriptions.get(name) ?? null })),
      claims: grant.claims,
      grantedAt: grant.grantedAt,
    }));
  }

  /** How many applications hold the user's consent (the overview page). */
  countApplications(userId: string): Promise<number> {
    return this.deps.prisma.grant.count({ where: { tenantId: this.deps.tenantId, userId, revokedAt: null } });
  }

  /**
   * "Revoke access": withdraws the consent (GrantService.withdraw: grant revoked, "withdrawn"
   * ConsentRecord) and takes back what the client holds for this user: every refresh token
   * family with its access tokens, access tokens issued without a refresh token, and codes not
   * yet redeemed. False when the user had no active grant for that client.
   */
  async withdrawConsent(userId: string, clientRowId: string, meta: RequestMeta = {}): Promise<boolean> {
    const { prisma, tenantId } = this.deps;
    const client = await prisma.client.findFirst({ where: { id: clientRowId, tenantId }, select: { id: true, clientId: true } });
    if (!client) return false;
    const grant = await this.deps.grants.withdraw(userId, client.id);
    if (!grant) return false;

    // RFC 7009 §2.1 spirit: a withdrawn consent leaves the client no usable token or code.
    const revoked = await this.deps.tokenRevoker.revokeAllOfClientForUser(userId, client.id, "consent_withdrawn");

    await this.deps.audit.record({
      type: "consent.withdrawn",
      actorType: "user",
      actorId: userId,
      targetType: "client",
      targetId: client.clientId,
      ...meta,
      details: { scopes: grant.scopes, ...(grant.claims.length > 0 && { claims: grant.claims }), revokedFamilies: revoked.families, revokedAccess: revoked.accessTokens },
    });
    return true;
  }
}
