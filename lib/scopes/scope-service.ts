import type { PrismaClient, Scope } from "../generated/prisma/client";
import { standardScopes } from "./standard-scopes";

export class ScopeService {
  constructor(private readonly deps: { prisma: PrismaClient; tenantId: string }) {}

  /** Creates the OIDC standard scopes that do not exist yet (idempotent, safe concurrently). */
  async ensureStandardScopes(): Promise<number> {
    const result = await this.deps.prisma.scope.createMany({
      data: standardScopes.map((s) => ({
        tenantId: this.deps.tenantId,
        name: s.name,
        description: s.description,
        claims: s.claims,
        system: true,
      })),
      skipDuplicates: true,
    });
    return result.count;
  }

  list(): Promise<Scope[]> {
    return this.deps.prisma.scope.findMany({ where: { tenantId: this.deps.tenantId }, orderBy: { name: "asc" } });
  }

  async enabledNames(): Promise<Set<string>> {
    const scopes = await this.deps.prisma.scope.findMany({
      where: { tenantId: this.deps.tenantId, enabled: true },
      select: { name: true },
    });
    return new Set(scopes.map((s) => s.name));
  }
}
