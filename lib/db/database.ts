import type { PrismaClient } from "../generated/prisma/client";
import type { SqlDatabase } from "./sql";

export type DatabaseKind = "embedded" | "postgres";

/** An open database: the Prisma client for services, raw SQL for migrations and probes. */
export interface Database {
  readonly kind: DatabaseKind;
  /** Where it lives, for messages (no credentials). */
  readonly description: string;
  readonly prisma: PrismaClient;
  readonly sql: SqlDatabase;
  /** Cheap round-trip used by the readiness probe. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
