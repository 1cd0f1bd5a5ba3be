import { z } from "zod";
import type { AuditLog } from "../audit/audit-log";
import { isUniqueViolation } from "../db/unique-violation";
import { ConflictError, ValidationError } from "../server/errors";
import type { PrismaClient, Scope } from "../generated/prisma/client";
import { standardScopes } from "./standard-scopes";

const scopeName = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, { error: "is not a valid scope token (RFC 6749 §3.3)" });

export class ScopeService {
  constructor(private readonly deps: { prisma: PrismaClient; tenantId: string; audit: AuditLog }) {}

  /** Defines a scope that clients may be allowed to request. */
  async create(input: { name: string; description?: string }, actor: { type: "admin" | "cli" | "system"; id?: string } = { type: "system" }): Promise<Scope> {
    const name = scopeName.safeParse(input.name);
    if (!name.success) throw new ValidationError([{ field: "name", message: name.error.issues[0]!.message }]);
    const description = input.description?.trim().slice(0, 500) || null;
    try {
      return await this.deps.prisma.$transaction(async (tx) => {
        const scope = await tx.scope.create({ data: { tenantId: this.deps.tenantId, name: name.data, description } });
        await this.deps.audit.record({ type: "scope.created", actorType: actor.type, actorId: actor.id, targetType: "scope", targetId: scope.name }, tx);
        return scope;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a scope named "${name.data}" already exists`);
      throw error;
    }
  }

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
