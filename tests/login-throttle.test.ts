import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_RETURN_TO, safeReturnTo, signInUrl } from "../app/(auth)/login/return-to";
import type { Client } from "../lib/generated/prisma/client";
import type { PasswordAuthentication } from "../lib/identity/password-login";
import type { Container } from "../lib/server/container";
import { runStartupTasks } from "../lib/server/first-start";
import { Browser } from "./support/browser";
import { call, pkcePair } from "./support/oauth";
import { createTestContainer, databaseKind, fastHasher, type TestContext, sharedDeployment } from "./support/test-env";
import { startPrivateRedis, type PrivateRedis } from "./support/redis-server";
import { RedisCache } from "../lib/cache/redis-cache";
import { silentLogger } from "../lib/observability/logger";

/** Small limits: a delay from the 2nd failure, a 5-minute lockout at the 4th, the address at the 8th. */
const THROTTLE_ENV = {
  AUTHLY_LOGIN_DELAY_AFTER: "2",
  AUTHLY_LOGIN_LOCKOUT_AFTER: "4",
  AUTHLY_LOGIN_LOCKOUT_MINUTES: "5",
  AUTHLY_LOGIN_IP_LOCKOUT_AFTER: "8",
};
const PASSWORD = "a-long-password-1";

/** A fresh client address per test, so address counters never carry over. */
let lastOctet = 0;
const nextAddress = () => `198.51.100.${++lastOctet}`;

async function failedLoginReasons(container: Container, userId?: string) {
  const events = await container.audit.list({ type: "user.login", take: 1000 });
  return events
    .filter((e) => e.outcome === "failure" && (userId === undefined || e.targetId === userId))
    .map((e) => (e.details as { reason: string }).reason)
    .reverse();
}

describe(`brute-force protection of password sign-in (${databaseKind})`, () => {
  let ctx: TestContext;
  let web: Client;
  beforeAll(async () => {
    ctx = await createTestContainer({ env: THROTTLE_ENV });
    await runStartupTasks(ctx.container);
    web = (
      await ctx.container.clients.create({
        name: "Web app",
        type: "public",
        redirectUris: ["https://app.example.com/cb"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
        tokenEndpointAuthMethod: "none",
      })
    ).client;
  });
  afterAll(() => ctx.cleanup());

  const newUser = async (name: string) => ctx.container.users.create({ email: `${name}-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD });

  it("locks an account after lockoutAfter failures: the user row and the audit trail show it, unlock clears both", async () => {
    const { container, clock } = ctx;
    const user = await newUser("locked");
    const meta = { ipAddress: nextAddress(), userAgent: "test", requestId: "req-1" };
    const attempt = (password: string) => container.passwordLogin.authenticate(user.email, password, meta);

    expect(await attempt("wrong-password")).toEqual({ status: "invalid_credentials" });
    expect(await attempt("wrong-password")).toEqual({ status: "invalid_credentials" });
    expect(await attempt(PASSWORD)).toEqual({ status: "throttled", retryAfterSeconds: 1, locked: false });
    clock.advance(1000);
    expect(await attempt("wrong-password")).toEqual({ status: "invalid_credentials" });
    clock.advance(2000);
    expect(await attempt("wrong-password")).toEqual({ status: "throttled", retryAfterSeconds: 300, locked: true });

    const row = (await container.users.findById(user.id))!;
    expect(row.lockedUntil).toEqual(new Date(clock.nowMs() + 300_000));
    expect(row.failedLoginCount).toBe(4);
    const [locked] = await container.audit.list({ type: "user.locked" });
    expect(locked).toMatchObject({ actorType: "system", targetType: "user", targetId: user.id, ipAddress: meta.ipAddress, requestId: "req-1" });
    // The right password is refused (not even checked) until the lockout ends.
    const verify = vi.spyOn(container.passwordHasher, "verify");
    clock.advance(60_000);
    expect(await attempt(PASSWORD)).toEqual({ status: "throttled", retryAfterSeconds: 240, locked: true });
    expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
    expect(await failedLoginReasons(container, user.id)).toEqual(["throttled", "locked"]);

    const unlocked = await container.passwordLogin.unlock(user.id, { type: "admin", id: "admin-1" });
    expect(unlocked).toMatchObject({ wasLocked: true, user: { lockedUntil: null, failedLoginCount: 0 } });
    expect((await container.users.findById(user.id))!).toMatchObject({ lockedUntil: null, failedLoginCount: 0 });
    const [event] = await container.audit.list({ type: "user.unlocked" });
    expect(event).toMatchObject({ actorType: "admin", actorId: "admin-1", targetId: user.id, details: { wasLocked: true } });
    expect(await attempt(PASSWORD)).toMatchObject({ status: "ok", user: { id: user.id } });
  });

  it("a lockout that ends by itself lets the right password in and clears the row at the next sign-in", async () => {
    const { container, clock } = ctx;
    const user = await newUser("expires");
    const meta = { ipAddress: nextAddress() };
    for (let i = 0; i < 4; i++) {
      await container.passwordLogin.authenticate(user.email, "wrong-password", meta);
      clock.advance(10_000);
    }
    expect((await container.users.findById(user.id))!.lockedUntil).not.toBeNull();
    clock.advance(300_000);
    const session = await container.passwordLogin.authenticate(user.email, PASSWORD, meta);
    expect(session).toMatchObject({ status: "ok" });
    expect((await container.users.findById(user.id))!).toMatchObject({ lockedUntil: null, failedLoginCount: 0 });
  });

  it("an unknown email is answered and throttled exactly like a known one", async () => {
    const { container, clock } = ctx;
    const user = await newUser("known");
    const script = async (email: string) => {
      const answers: PasswordAuthentication[] = [];
      const meta = { ipAddress: nextAddress() };
      for (let i = 0; i < 6; i++) {
        answers.push(await container.passwordLogin.authenticate(email, "wrong-password", meta));
        clock.advance(1500);
      }
      return answers;
    };
    const known = await script(user.email);
    const unknown = await script(`nobody-${randomUUID()}@example.com`);
    expect(unknown).toEqual(known);
    // Failures at 0, 1.5 and 3 s; a delay until 5 s refuses the attempt at 4.5 s; the 4th failure (6 s) locks.
    expect(known).toEqual([
      { status: "invalid_credentials" },
      { status: "invalid_credentials" },
      { status: "invalid_credentials" },
      { status: "throttled", retryAfterSeconds: 1, locked: false },
      { status: "throttled", retryAfterSeconds: 300, locked: true },
      { status: "throttled", retryAfterSeconds: 299, locked: true },
    ]);
  });

  it("an email with a NUL or a lone surrogate is a wrong email, never a database error", async () => {
    for (const email of ["a\u0000b@example.com", "a\ud800@example.com", "a\u001f@example.com"]) {
      expect(await ctx.container.passwordLogin.authenticate(email, "wrong-password", { ipAddress: nextAddress() })).toEqual({ status: "invalid_credentials" });
      expect(await ctx.container.users.findByEmail(email)).toBeNull();
    }
  });

  it("too many failures from one address lock the address out, for any account", async () => {
    const { container } = ctx;
    const ipAddress = nextAddress();
    for (let i = 1; i < 8; i++) expect(await container.passwordLogin.authenticate(`guess-${i}@example.com`, "pw", { ipAddress })).toEqual({ status: "invalid_credentials" });
    expect(await container.passwordLogin.authenticate("guess-8@example.com", "pw", { ipAddress })).toEqual({ status: "throttled", retryAfterSeconds: 300, locked: true });
    const user = await newUser("address");
    expect(await container.passwordLogin.authenticate(user.email, PASSWORD, { ipAddress })).toMatchObject({ status: "throttled", locked: true });
    expect(await container.passwordLogin.authenticate(user.email, PASSWORD, { ipAddress: nextAddress() })).toMatchObject({ status: "ok" });
    expect(await container.audit.list({ type: "login.address_locked" })).toHaveLength(1);
  });

  it("InteractionService.submitLogin answers throttled without checking the password, and signs in afterwards", async () => {
    const { container, clock } = ctx;
    const user = await newUser("interaction");
    const browser = new Browser();
    const query = new URLSearchParams({ client_id: web.clientId, response_type: "code", redirect_uri: web.redirectUris[0]!, scope: "openid", state: "s", code_challenge: pkcePair().challenge, code_challenge_method: "S256" });
    const started = browser.absorb(await call(container, `/oauth/authorize?${query}`));
    const id = new URL(started.headers.get("location")!, "http://localhost").searchParams.get("interaction")!;
    const meta = { ipAddress: nextAddress() };
    const submit = (password: string) => container.interactions.submitLogin(id, browser.binding, user.email, password, meta);

    expect(await submit("wrong-password")).toEqual({ status: "invalid_credentials" });
    expect(await submit("wrong-password")).toEqual({ status: "invalid_credentials" });
    const verify = vi.spyOn(container.passwordHasher, "verify");
    expect(await submit(PASSWORD)).toEqual({ status: "throttled", retryAfterSeconds: 1, locked: false });
    expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
    clock.advance(1000);
    const signedIn = await submit(PASSWORD);
    expect(signedIn).toMatchObject({ status: "signed_in", redirectTo: expect.stringContaining("/oauth/authorize/resume?interaction=") });
    const session = (signedIn as { session: { id: string } }).session;
    const logins = await container.audit.list({ type: "user.login" });
    expect(logins[0]).toMatchObject({ outcome: "success", actorId: user.id, targetType: "session", targetId: session.id });
    expect((await container.users.findById(user.id))!.lastLoginAt).toEqual(clock.now());
    // Success forgot the failures: two more come without a delay.
    expect(await container.passwordLogin.authenticate(user.email, "wrong-password", meta)).toEqual({ status: "invalid_credentials" });
    expect(await container.passwordLogin.authenticate(user.email, "wrong-password", meta)).toEqual({ status: "invalid_credentials" });
  });

  it("startSession keeps the session of the same user and ends another user's", async () => {
    const { container } = ctx;
    const alice = await newUser("alice");
    const bob = await newUser("bob");
    const first = await container.passwordLogin.startSession(alice, { current: null });
    const again = await container.passwordLogin.startSession(alice, { current: first });
    expect(again.id).toBe(first.id);
    const replaced = await container.passwordLogin.startSession(bob, { current: again });
    expect(replaced.id).not.toBe(first.id);
    expect(await container.sessions.findValid(first.id)).toBeNull();
    expect((await container.prisma.session.findUnique({ where: { id: first.id } }))!.endReason).toBe("replaced");
  });
});

describe.runIf(databaseKind === "postgres")("two instances sharing one Redis", () => {
  it("see the same sign-in counters, delays, lockouts and unlocks", async () => {
    const { make, dispose } = sharedDeployment(THROTTLE_ENV);
    const a = await make();
    const b = await make();
    const advance = (ms: number) => {
      a.clock.advance(ms);
      b.clock.advance(ms);
    };
    try {
      await runStartupTasks(a.container);
      const user = await a.container.users.create({ email: "shared@example.com", password: PASSWORD });
      const onA = (password: string) => a.container.passwordLogin.authenticate(user.email, password, { ipAddress: "192.0.2.10" });
      const onB = (password: string) => b.container.passwordLogin.authenticate(user.email, password, { ipAddress: "192.0.2.11" });

      expect(await onA("wrong-password")).toEqual({ status: "invalid_credentials" });
      expect(await onB("wrong-password")).toEqual({ status: "invalid_credentials" });
      // The delay A's second failure started holds on B.
      expect(await onB(PASSWORD)).toEqual({ status: "throttled", retryAfterSeconds: 1, locked: false });
      advance(1000);
      expect(await onB("wrong-password")).toEqual({ status: "invalid_credentials" });
      expect(await onA(PASSWORD)).toEqual({ status: "throttled", retryAfterSeconds: 2, locked: false });
      advance(2000);
      expect(await onA("wrong-password")).toEqual({ status: "throttled", retryAfterSeconds: 300, locked: true });
      expect(await onB(PASSWORD)).toEqual({ status: "throttled", retryAfterSeconds: 300, locked: true });
      // Unlocked on B: A lets the user in at once.
      expect(await b.container.passwordLogin.unlock(user.id, { type: "cli" })).toMatchObject({ wasLocked: true });
      expect(await onA(PASSWORD)).toMatchObject({ status: "ok" });
    } finally {
      await a.container.close();
      await b.container.close();
      dispose();
    }
  });
});

describe("return_to of the plain sign-in page", () => {
  it.each([
    ["/account", "/account"],
    ["/account/apps?tab=1#x", "/account/apps?tab=1#x"],
    ["/oauth/authorize?client_id=a&scope=openid%20email", "/oauth/authorize?client_id=a&scope=openid%20email"],
    ["/a/../b", "/b"],
  ])("accepts the path %s", (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected);
  });

  it.each([
    undefined,
    "",
    "account",
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/ok\\..\\x",
    "/ /x",
    "javascript:alert(1)",
    `/${"a".repeat(3000)}`,
    ["/account", "/x"],
  ])("refuses %j and falls back to /account", (value) => {
    expect(safeReturnTo(value)).toBe(DEFAULT_RETURN_TO);
  });

  it("builds the sign-in URL back to a path", () => {
    expect(signInUrl("/account")).toBe("/login");
    expect(signInUrl("/account", { force: true })).toBe("/login?force=1");
    expect(signInUrl("/account/apps?x=1", { force: true })).toBe("/login?return_to=%2Faccount%2Fapps%3Fx%3D1&force=1");
  });
});

describe(`the lockout is recorded in the database, not only in the cache (${databaseKind})`, () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(() => redis?.dispose());

  it("concurrent wrong passwords check at most lockoutAfter passwords and lock the account; a Redis flush or restart leaves it locked", async () => {
    const hasher = fastHasher();
    let verified = 0;
    const counting = { ...hasher, hash: hasher.hash.bind(hasher), verify: async (hash: string, password: string) => (verified++, hasher.verify(hash, password)) };
    const ctx = await createTestContainer({
      env: { ...THROTTLE_ENV, REDIS_URL: redis.url },
      overrides: { cache: new RedisCache({ url: redis.url, logger: silentLogger, prefix: `t:${randomUUID()}:` }), passwordHasher: counting },
    });
    try {
      await runStartupTasks(ctx.container);
      const user = await ctx.container.users.create({ email: `race-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD });
      verified = 0;
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => ctx.container.passwordLogin.authenticate(user.email, "wrong-password", { ipAddress: `192.0.2.${i + 1}` })),
      );
      expect(verified).toBeLessThanOrEqual(4); // AUTHLY_LOGIN_LOCKOUT_AFTER
      expect(answers.filter((a) => a.status === "invalid_credentials").length).toBeLessThanOrEqual(4);
      const row = await ctx.container.users.findById(user.id);
      expect(row?.lockedUntil?.getTime()).toBeGreaterThan(ctx.clock.nowMs());

      // The cache forgets everything: the row still refuses, without a password check.
      await redis.flush();
      verified = 0;
      expect(await ctx.container.passwordLogin.authenticate(user.email, PASSWORD, { ipAddress: "192.0.2.200" })).toMatchObject({ status: "throttled", locked: true });
      await redis.stop();
      await redis.start();
      expect(await ctx.container.passwordLogin.authenticate(user.email, PASSWORD, { ipAddress: "192.0.2.201" })).toMatchObject({ status: "throttled", locked: true });
      expect(verified).toBe(0);
    } finally {
      await ctx.cleanup();
    }
  });

  it("a flush between failures does not reset the count that leads to the lockout", async () => {
    const ctx = await createTestContainer({ env: { ...THROTTLE_ENV, REDIS_URL: redis.url }, overrides: { cache: new RedisCache({ url: redis.url, logger: silentLogger, prefix: `t:${randomUUID()}:` }) } });
    try {
      await runStartupTasks(ctx.container);
      const user = await ctx.container.users.create({ email: `flush-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD });
      const attempt = (password: string) => ctx.container.passwordLogin.authenticate(user.email, password, { ipAddress: "192.0.2.50" });
      for (let i = 0; i < 3; i++) {
        const answer = await attempt("wrong-password");
        if (answer.status === "throttled") ctx.clock.advance(answer.retryAfterSeconds * 1000);
        await redis.flush(); // delays and counters in the cache are gone each time
      }
      // The 4th failure (AUTHLY_LOGIN_LOCKOUT_AFTER) locks, counted on the row.
      expect(await attempt("wrong-password")).toMatchObject({ status: "throttled", locked: true });
      expect((await ctx.container.users.findById(user.id))?.lockedUntil).not.toBeNull();
    } finally {
      await ctx.cleanup();
    }
  });
});
