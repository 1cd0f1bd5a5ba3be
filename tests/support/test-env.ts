import { cpSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { inject } from "vitest";
import { RedisCache } from "../../lib/cache/redis-cache";
import { loadConfig, type AppConfig } from "../../lib/config/config";
import type { Database } from "../../lib/db/database";
import { openEmbedded } from "../../lib/db/embedded";
import { openPostgres } from "../../lib/db/postgres";
import { applyMigrations, readMigrations } from "../../lib/db/migrations";
import { Argon2idPasswordHasher } from "../../lib/identity/password-hasher";
import { silentLogger, type Logger } from "../../lib/observability/logger";
import { ManualClock } from "../../lib/server/clock";
import { createContainer, type Container, type ContainerOverrides } from "../../lib/server/container";
import { POSTGRES_TEST_URL, REDIS_TEST_URL, TEMPLATE_ROOT, templateDirFor } from "./paths";

export type TestDatabaseKind = "embedded" | "postgres";

export const databaseKind = (process.env.AUTHLY_TEST_DATABASE ?? "embedded") as TestDatabaseKind;

/** Cheap argon2id parameters: the suite tests behaviour, not hashing cost. */
export const fastHasher = () => new Argon2idPasswordHasher({ memoryKiB: 1024, iterations: 1, parallelism: 1 });

export interface TestDatabaseTarget {
  kind: TestDatabaseKind;
  /** Environment that points the app at this database. */
  env: Record<string, string>;
  dataDir: string;
  open(): Promise<Database>;
  /** Removes the folder (embedded); the schema is dropped by the global teardown. */
  dispose(): void;
}

/** A fresh, migrated, empty database of the kind this project runs against. */
export function freshDatabase(options: { migrated?: boolean } = {}): TestDatabaseTarget {
  const runId = inject("runId");
  const dataDir = mkdtempSync(path.join(TEMPLATE_ROOT, "t-"));
  if (databaseKind === "embedded") {
    cpSync(templateDirFor(runId, options.migrated === false ? "blank" : "migrated"), dataDir, { recursive: true });
    return {
      kind: "embedded",
      env: { AUTHLY_DATA_DIR: dataDir },
      dataDir,
      open: () => openEmbedded(dataDir),
      dispose: () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `authly_test_${runId}_${randomBytes(4).toString("hex")}`;
  const url = `${POSTGRES_TEST_URL}?schema=${schema}`;
  let migrated = options.migrated === false;
  return {
    kind: "postgres",
    env: { DATABASE_URL: url, AUTHLY_DATA_DIR: dataDir },
    dataDir,
    async open() {
      const db = await openPostgres(url);
      if (!migrated) {
        await applyMigrations(db.sql, readMigrations(path.resolve("prisma/migrations")), silentLogger);
        migrated = true;
      }
      return db;
    },
    dispose: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

export interface TestContext {
  container: Container;
  clock: ManualClock;
  target: TestDatabaseTarget;
  config: AppConfig;
  masterKey: Uint8Array;
  /** Closes the container and removes its files. */
  cleanup(): Promise<void>;
}

export async function createTestContainer(
  options: { env?: Record<string, string>; overrides?: ContainerOverrides; logger?: Logger; migrated?: boolean; target?: TestDatabaseTarget } = {},
): Promise<TestContext> {
  const target = options.target ?? freshDatabase({ migrated: options.migrated });
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", AUTHLY_ISSUER: "http://localhost:3000", ...target.env, ...options.env });
  const clock = new ManualClock(Date.UTC(2026, 10, 29, 12, 0, 0));
  const database = await target.open();
  const masterKey = options.overrides?.masterKey ?? randomBytes(32);
  const container = await createContainer(config, {
    logger: options.logger ?? silentLogger,
    clock,
    database,
    passwordHasher: fastHasher(),
    ...options.overrides,
    masterKey,
  });
  return {
    container,
    clock,
    target,
    config,
    masterKey,
    async cleanup() {
      await container.close();
      target.dispose();
    },
  };
}

/**
 * Several instances of Authly on one PostgreSQL database and one Redis, as in a multi-instance
 * deployment: the same master key, each with its own RedisCache (under a prefix of its own for this
 * test). `make()` starts one more instance; `dispose()` removes the database's files afterwards.
 */
export function sharedDeployment(env: Record<string, string> = {}) {
  const target = freshDatabase();
  const prefix = `authly-test:${randomUUID()}:`;
  const masterKey = randomBytes(32);
  return {
    make: () =>
      createTestContainer({
        target: { ...target, dispose: () => undefined },
        env: { REDIS_URL: REDIS_TEST_URL, ...env },
        overrides: { masterKey, cache: new RedisCache({ url: REDIS_TEST_URL, logger: silentLogger, prefix }) },
      }),
    dispose: () => target.dispose(),
  };
}
