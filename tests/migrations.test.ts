import { afterEach, describe, expect, it } from "vitest";
import path from "node:path";
import { applyMigrations, readMigrations } from "../lib/db/migrations";
import { silentLogger } from "../lib/observability/logger";
import type { Database } from "../lib/db/database";
import { databaseKind, freshDatabase, type TestDatabaseTarget } from "./support/test-env";

describe(`migrations (${databaseKind})`, () => {
  const open: { db: Database; target: TestDatabaseTarget }[] = [];
  afterEach(async () => {
    while (open.length) {
      const { db, target } = open.pop()!;
      await db.close();
      target.dispose();
    }
  });
  const migrations = readMigrations(path.resolve("prisma/migrations"));

  it("applies every migration once and records it like Prisma does", async () => {
    const target = freshDatabase({ migrated: false });
    const db = await target.open();
    open.push({ db, target });
    const first = await applyMigrations(db.sql, migrations, silentLogger);
    expect(first.applied).toEqual(migrations.map((m) => m.name));
    const second = await applyMigrations(db.sql, migrations, silentLogger);
    expect(second).toEqual({ applied: [], alreadyApplied: migrations.length });
    const rows = await db.sql.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(migrations.map((m) => [m.name, m.checksum]));
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it("a migration that fails half-way leaves nothing behind, and the next run completes", async () => {
    const target = freshDatabase({ migrated: false });
    const db = await target.open();
    open.push({ db, target });
    const broken = [
      ...migrations,
      { name: "99999999999999_broken", checksum: "x".repeat(64), sql: `CREATE TABLE "Half" (id int); SELECT * FROM "NoSuchTable";` },
    ];
    await expect(applyMigrations(db.sql, broken, silentLogger)).rejects.toThrow();
    const tables = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'Half'`);
    expect(tables[0]!.n).toBe(0);
    const rows = await db.sql.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '99999999999999_broken'`);
    expect(rows).toHaveLength(0);
    // The good migrations before it were kept; a fixed file then applies.
    const fixed = [...migrations, { name: "99999999999999_broken", checksum: "y".repeat(64), sql: `CREATE TABLE "Half" (id int);` }];
    const result = await applyMigrations(db.sql, fixed, silentLogger);
    expect(result.applied).toEqual(["99999999999999_broken"]);
  });

  it.runIf(databaseKind === "embedded")("a second process cannot open an embedded database that is in use", async () => {
    const target = freshDatabase();
    const db = await target.open();
    open.push({ db, target });
    await expect(target.open()).rejects.toThrow(/in use by another Authly process/);
  });
});
