import { afterEach, describe, expect, it } from "vitest";
import { runStartupTasks, DEFAULT_ADMIN_EMAIL } from "../lib/server/first-start";
import { standardScopes } from "../lib/scopes/standard-scopes";
import { signingAlgorithms } from "../lib/protocol/constants";
import { createTestContainer, databaseKind, freshDatabase, type TestContext } from "./support/test-env";

describe(`first start (${databaseKind})`, () => {
  const contexts: TestContext[] = [];
  afterEach(async () => {
    while (contexts.length) await contexts.pop()!.cleanup();
  });

  it("migrates a blank database and creates the tenant, standard scopes, keys and the configured admin", async () => {
    const ctx = await createTestContainer({
      migrated: false,
      env: { AUTHLY_ADMIN_EMAIL: "Root@Example.com", AUTHLY_ADMIN_PASSWORD: "a-long-admin-password" },
    });
    contexts.push(ctx);
    const report = await runStartupTasks(ctx.container);
    expect(report.migrations?.applied.length).toBeGreaterThan(0);
    expect(report.admin).toEqual({ email: "root@example.com", generatedPassword: undefined });

    const { prisma } = ctx.container.db;
    expect(await prisma.tenant.findMany()).toMatchObject([{ id: "default" }]);
    const scopes = (await ctx.container.scopes.list()).map((s) => s.name).sort();
    expect(scopes).toEqual(standardScopes.map((s) => s.name).sort());
    expect(scopes).toEqual(["address", "email", "offline_access", "openid", "phone", "profile"]);

    const admins = await prisma.user.findMany({ where: { roles: { has: "admin" } } });
    expect(admins).toHaveLength(1);
    expect(admins[0]!.passwordHash).toMatch(/^\$argon2id\$/);
    const check = await ctx.container.users.verifyPassword("root@example.com", "a-long-admin-password");
    expect(check.user?.id).toBe(admins[0]!.id);

    const keys = await prisma.signingKey.findMany();
    for (const alg of signingAlgorithms) {
      expect(keys.filter((k) => k.alg === alg).map((k) => k.status).sort()).toEqual(["active", "next"]);
    }
    const migrations = await ctx.container.db.sql.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations"`,
    );
    expect(migrations.length).toBe(report.migrations?.applied.length);
    expect(migrations[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("generates a random admin password when none is configured, and it works", async () => {
    const ctx = await createTestContainer();
    contexts.push(ctx);
    const report = await runStartupTasks(ctx.container);
    expect(report.admin?.email).toBe(DEFAULT_ADMIN_EMAIL);
    const password = report.admin?.generatedPassword;
    expect(password).toMatch(/^\S{20}$/);
    expect((await ctx.container.users.verifyPassword(DEFAULT_ADMIN_EMAIL, password!)).user).not.toBeNull();
    // The password never rests in plaintext.
    const stored = await ctx.container.db.prisma.user.findFirstOrThrow({ where: { email: DEFAULT_ADMIN_EMAIL } });
    expect(stored.passwordHash).not.toContain(password!);
  });

  it("is idempotent: a second start changes nothing and prints no new password", async () => {
    const ctx = await createTestContainer();
    contexts.push(ctx);
    await runStartupTasks(ctx.container);
    const before = await ctx.container.db.prisma.signingKey.count();
    const second = await runStartupTasks(ctx.container);
    expect(second.migrations?.applied).toEqual([]);
    expect(second.admin).toBeUndefined();
    expect(second.scopesCreated).toBe(0);
    expect(second.keysCreated).toBe(0);
    expect(await ctx.container.db.prisma.signingKey.count()).toBe(before);
    expect(await ctx.container.users.countAdmins()).toBe(1);
  });

  it("grants the admin role to an existing account named by AUTHLY_ADMIN_EMAIL", async () => {
    const ctx = await createTestContainer({ env: { AUTHLY_ADMIN_EMAIL: "owner@example.com" } });
    contexts.push(ctx);
    await ctx.container.db.prisma.tenant.create({ data: { id: "default", name: "Default" } });
    await ctx.container.users.create({ email: "owner@example.com", password: "owner-password-123" });
    const report = await runStartupTasks(ctx.container);
    expect(report.admin).toEqual({ email: "owner@example.com" });
    const user = await ctx.container.users.findByEmail("owner@example.com");
    expect(user?.roles).toEqual(["admin"]);
  });

  it.runIf(databaseKind === "postgres")("two processes starting at once against one fresh database: migrations once, one admin", async () => {
    const target = freshDatabase({ migrated: false });
    const a = await createTestContainer({ target });
    const b = await createTestContainer({ target: { ...target, open: target.open, dispose: () => undefined } });
    contexts.push(b, a);
    const [ra, rb] = await Promise.all([runStartupTasks(a.container), runStartupTasks(b.container)]);
    const appliedTotal = (ra.migrations?.applied.length ?? 0) + (rb.migrations?.applied.length ?? 0);
    const rows = await a.container.db.sql.query(`SELECT * FROM "_prisma_migrations"`);
    expect(appliedTotal).toBe(rows.length);
    expect([ra.admin, rb.admin].filter(Boolean)).toHaveLength(1);
    expect(await a.container.users.countAdmins()).toBe(1);
    expect(await a.container.db.prisma.scope.count()).toBe(6);
    expect(await a.container.db.prisma.signingKey.count()).toBe(signingAlgorithms.length * 2);
  });
});
