import type { PrismaClient } from "../generated/prisma/client";
import type { Prisma } from "../generated/prisma/client";
import { boundedAddress, boundedUserAgent, type RequestMeta } from "../http/request-meta";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { redact } from "../observability/logger";

export interface AuditEventInput extends RequestMeta {
  /** Dotted name, e.g. "user.created", "client.created", "keys.rotated". */
  type: string;
  actorType: "user" | "admin" | "client" | "system" | "cli";
  actorId?: string;
  targetType?: string;
  targetId?: string;
  outcome?: "success" | "failure";
  /** Never put tokens, secrets or passwords here; secret-looking fields are redacted anyway. */
  details?: Record<string, unknown>;
}

/** Append-only audit trail in the database. */
export class AuditLog {
  constructor(
    private readonly deps: { prisma: PrismaClient; clock: Clock; logger: Logger; tenantId: string },
  ) {}

  async record(event: AuditEventInput, tx?: Prisma.TransactionClient): Promise<void> {
    const db = tx ?? this.deps.prisma;
    await db.auditEvent.create({
      data: {
        tenantId: this.deps.tenantId,
        occurredAt: this.deps.clock.now(),
        type: event.type,
        actorType: event.actorType,
        actorId: event.actorId,
        targetType: event.targetType,
        targetId: event.targetId,
        outcome: event.outcome ?? "success",
        ipAddress: boundedAddress(event.ipAddress),
        userAgent: boundedUserAgent(event.userAgent),
        requestId: event.requestId,
        details: event.details ? (redact(event.details) as Prisma.InputJsonValue) : undefined,
      },
    });
    this.deps.logger.info("audit", { event: event.type, target: event.targetId, outcome: event.outcome ?? "success" });
  }

  async list(options: { take?: number; type?: string } = {}) {
    return this.deps.prisma.auditEvent.findMany({
      where: { tenantId: this.deps.tenantId, ...(options.type ? { type: options.type } : {}) },
      orderBy: { occurredAt: "desc" },
      take: Math.min(options.take ?? 100, 1000),
    });
  }
}
