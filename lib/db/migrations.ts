import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../observability/logger";
import type { SqlDatabase, SqlRunner } from "./sql";

/**
 * Applies prisma/migrations/* in order and records them in Prisma's own `_prisma_migrations`
 * table (checksum = sha256 hex of migration.sql), so `prisma migrate status/deploy` accept the
 * database as theirs. Each migration runs in its own transaction together with its bookkeeping
 * row: a process killed half-way leaves the migration unapplied, and the next start applies it.
 */
export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export function readMigrations(migrationsDir: string): MigrationFile[] {
  if (!existsSync(migrationsDir)) throw new Error(`migrations folder not found: ${migrationsDir}`);
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(migrationsDir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const bookkeepingTable = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);`;

/** Call with the database's exclusive lock held (see runStartupTasks). */
export async function applyMigrations(
  sql: SqlDatabase,
  migrations: MigrationFile[],
  logger: Logger,
): Promise<MigrationResult> {
  // Migrations may take long on a large database: no query timeout for them.
  const runner = sql.unbounded ?? sql;
  return runMigrations(runner, migrations, logger);
}

async function runMigrations(sql: SqlRunner, migrations: MigrationFile[], logger: Logger): Promise<MigrationResult> {
  await sql.exec(bookkeepingTable);
  const rows = await sql.query<{ migration_name: string; checksum: string }>(
    `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const done = new Map(rows.map((r) => [r.migration_name, r.checksum]));
  const applied: string[] = [];
  for (const migration of migrations) {
    const previous = done.get(migration.name);
    if (previous !== undefined) {
      if (previous !== migration.checksum) {
        logger.warn("migration file changed after it was applied", { migration: migration.name });
      }
      continue;
    }
    const started = Date.now();
    await sql.transaction(async (tx) => {
      await tx.exec(migration.sql);
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), now(), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
    });
    applied.push(migration.name);
    logger.info("applied migration", { migration: migration.name, ms: Date.now() - started });
  }
  return { applied, alreadyApplied: done.size };
}
