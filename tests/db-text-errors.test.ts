/**
 * isInvalidTextInput (lib/db/errors.ts) against the real error shapes: text PostgreSQL cannot take,
 * sent through Prisma (plain, in an interactive transaction, raw) and through plain SQL, on the
 * database this run targets (embedded PGlite or PostgreSQL). Errors of another kind stay unclassified.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInvalidTextInput } from "../lib/db/errors";
import { isUniqueViolation } from "../lib/db/unique-violation";
import { runStartupTasks } from "../lib/server/first-start";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";

let ctx: TestContext;

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected the database call to fail");
}

describe(`isInvalidTextInput (${databaseKind})`, () => {
  beforeAll(async () => {
    ctx = await createTestContainer();
    await runStartupTasks(ctx.container);
  });
  afterAll(() => ctx?.cleanup());

  const prisma = () => ctx.container.db.prisma;
  const tenantId = () => ctx.container.db.prisma.tenant.findFirstOrThrow().then((t) => t.id);

  it.each([
    ["a NUL in a Prisma lookup (22021)", () => prisma().client.findFirst({ where: { clientId: "a\u0000b" } })],
    ["a NUL in a Prisma lookup inside an interactive transaction", () => prisma().$transaction((tx) => tx.client.findFirst({ where: { clientId: "a\u0000b" } }))],
    ["a NUL in a Prisma write", async () => prisma().auditEvent.create({ data: { tenantId: await tenantId(), type: "x\u0000", actorType: "system" } })],
    ["a NUL in a Prisma jsonb write (22P05)", async () => prisma().auditEvent.create({ data: { tenantId: await tenantId(), type: "x", actorType: "system", details: { a: "a\u0000b" } } })],
    ["a lone high surrogate in a Prisma lookup", () => prisma().client.findFirst({ where: { clientId: "a\ud800b" } })],
    ["a lone low surrogate in a Prisma lookup", () => prisma().client.findFirst({ where: { clientId: "a\udc00b" } })],
    ["a lone surrogate in a Prisma jsonb write", async () => prisma().auditEvent.create({ data: { tenantId: await tenantId(), type: "x", actorType: "system", details: { a: "\ud800" } } })],
    ["a NUL in a Prisma raw query (P2010)", () => prisma().$queryRawUnsafe("SELECT $1::text AS x", "a\u0000b")],
    ["a value too large to index (54000)", async () => prisma().scope.create({ data: { tenantId: await tenantId(), name: "x".repeat(300_000) } })],
    ["a NUL in plain SQL", () => ctx.container.db.sql.query("SELECT $1::text AS x", ["a\u0000b"])],
    ["an escaped NUL in plain SQL jsonb", () => ctx.container.db.sql.query("SELECT $1::jsonb AS x", ['{"a":"\\u0000"}'])],
    ["a lone surrogate escape in plain SQL jsonb (22P02)", () => ctx.container.db.sql.query("SELECT $1::jsonb AS x", ['{"a":"\\ud800"}'])],
  ])("recognises %s", async (_name, run) => {
    const error = await failure(run);
    expect(isInvalidTextInput(error)).toBe(true);
    expect(isUniqueViolation(error)).toBe(false);
  });

  it("leaves other database errors alone", async () => {
    const id = await tenantId();
    await prisma().scope.create({ data: { tenantId: id, name: "text-errors-dup" } });
    const duplicate = await failure(() => prisma().scope.create({ data: { tenantId: id, name: "text-errors-dup" } }));
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(isInvalidTextInput(duplicate)).toBe(false);
    const syntax = await failure(() => ctx.container.db.sql.query("SELEKT 1"));
    expect(isInvalidTextInput(syntax)).toBe(false);
    const missing = await failure(() => ctx.container.db.sql.query('SELECT * FROM "NoSuchTable"'));
    expect(isInvalidTextInput(missing)).toBe(false);
  });

  it("is false for anything that is not a database error", () => {
    for (const value of [undefined, null, "22021", { code: "22021" }, new Error("invalid byte sequence"), Object.assign(new Error("x"), { code: "ECONNREFUSED" })]) {
      expect(isInvalidTextInput(value)).toBe(false);
    }
  });
});
