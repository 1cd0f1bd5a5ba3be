import { cpSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { openEmbedded } from "../../lib/db/embedded";
import { applyMigrations, readMigrations } from "../../lib/db/migrations";
import { silentLogger } from "../../lib/observability/logger";
import { POSTGRES_TEST_URL, TEMPLATE_ROOT, templateDirFor } from "./paths";

/**
 * Prepares the database the integration suite runs against:
 *  - embedded: one migrated PGlite folder, copied by each test (initdb takes seconds, a copy does not);
 *  - postgres: checks the server answers (fails loudly if not) and drops this run's schemas afterwards.
 */
export default async function setup(project: TestProject) {
  const kind = project.config.env.AUTHLY_TEST_DATABASE;
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  project.provide("runId", runId);

  if (kind === "embedded") {
    mkdirSync(TEMPLATE_ROOT, { recursive: true });
    const dir = templateDirFor(runId);
    const blank = templateDirFor(runId, "blank");
    rmSync(dir, { recursive: true, force: true });
    const db = await openEmbedded(dir);
    await db.close();
    cpSync(dir, blank, { recursive: true });
    const reopened = await openEmbedded(dir);
    await applyMigrations(reopened.sql, readMigrations(path.resolve("prisma/migrations")), silentLogger);
    await reopened.close();
    return () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(blank, { recursive: true, force: true });
    };
  }

  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `The PostgreSQL integration tests need PostgreSQL at ${POSTGRES_TEST_URL} (${(error as Error).message}). ` +
        `Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
    );
  }
  await client.end();
  return async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    const { rows } = await admin.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`,
      [`authly_test_${runId}%`],
    );
    for (const { nspname } of rows) await admin.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
    await admin.end();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    runId: string;
  }
}
