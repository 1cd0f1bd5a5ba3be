import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Cache } from "../cache/cache";
import { MemoryCache } from "../cache/memory-cache";
import type { AuditEventInput } from "../audit/audit-log";
import type { User } from "../generated/prisma/client";
import type { IssuedSession } from "../sessions/browser-session";
import { silentLogger } from "../observability/logger";
import { ManualClock } from "../server/clock";
import { addressBlock, LoginThrottle, type LoginThrottleSettings } from "./login-throttle";
import { PasswordLoginService, type PasswordAuthentication } from "./password-login";

const DEFAULTS: LoginThrottleSettings = { delayAfter: 3, lockoutAfter: 10, lockoutSeconds: 900, ipLockoutAfter: 100 };
const ALICE = "alice@example.com";
const PASSWORD = "correct horse battery";
const IP = "203.0.113.7";

/** A cache that remembers every key and value written through it (to check what the throttle stores). */
function recordingCache(inner: Cache): { cache: Cache; written: string[] } {
  const written: string[] = [];
  const cache = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (property === "set" || property === "increment" || property === "setIfAbsent") written.push(String(args[0]), String(args[1] ?? ""));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { cache, written };
}

/** UserService stand-in: one known account, counting password checks. */
class FakeUsers {
  verifications = 0;
  clock: ManualClock = new ManualClock(0);
  readonly user: User;
  constructor(email = ALICE, readonly password = PASSWORD) {
    this.user = { id: "user-1", email, lockedUntil: null, failedLoginCount: 0, status: "active" } as unknown as User;
  }
  private knows(email: string) {
    return email.trim().toLowerCase() === this.user.email;
  }
  async findByEmail(email: string) {
    return this.knows(email) ? { ...this.user } : null;
  }
  async findById(id: string) {
    return id === this.user.id ? { ...this.user } : null;
  }
  /** Counts attempts on the row as UserService.beginPasswordAttempt does (the record behind a lockout). */
  async beginPasswordAttempt(email: string, periodMs: number) {
    if (!this.knows(email)) return null;
    const now = this.clock.nowMs();
    const row = this.user as unknown as { lockedUntil: Date | null; failedLoginCount: number; failedLoginSince: Date | null };
    if (!(row.lockedUntil && row.lockedUntil.getTime() > now)) {
      if (row.lockedUntil || !row.failedLoginSince || row.failedLoginSince.getTime() <= now - periodMs) {
        row.lockedUntil = null;
        row.failedLoginCount = 1;
        row.failedLoginSince = new Date(now);
      } else {
        row.failedLoginCount += 1;
      }
    }
    return { user: { ...this.user }, attempt: row.failedLoginCount };
  }
  async verifyUserPassword(user: User | null, password: string) {
    this.verifications++;
    return { user: user && password === this.password ? { ...user } : null, rehashed: false };
  }
  async recordLockout(_id: string, lockedUntil: Date, failedLoginCount: number) {
    Object.assign(this.user, { lockedUntil, failedLoginCount });
  }
  async clearLockout(id: string) {
    Object.assign(this.user, { lockedUntil: null, failedLoginCount: 0, failedLoginSince: null });
    return this.findById(id);
  }
  async recordLogin() {
    Object.assign(this.user, { lockedUntil: null, failedLoginCount: 0, failedLoginSince: null });
  }
}

function setup(options: { settings?: Partial<LoginThrottleSettings>; cache?: Cache; clock?: ManualClock; users?: FakeUsers; keySecret?: Uint8Array } = {}) {
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 10, 29, 12, 0, 0));
  const { cache, written } = recordingCache(options.cache ?? new MemoryCache({ clock }));
  const users = options.users ?? new FakeUsers();
  users.clock = clock;
  const audit: AuditEventInput[] = [];
  const throttle = new LoginThrottle({ cache, clock, logger: silentLogger, settings: { ...DEFAULTS, ...options.settings }, keySecret: options.keySecret ?? randomBytes(32) });
  const sessions = {
    start: async (input: { userId: string }) => ({ id: "session-1", userId: input.userId, amr: ["pwd"], cookieHandle: "handle-1" }) as unknown as IssuedSession,
    reauthenticate: async () => null,
  };
  const login = new PasswordLoginService({
    users,
    throttle,
    sessions,
    audit: { record: async (event) => void audit.push(event) },
    clock,
    logger: silentLogger,
    endReplacedSession: async () => undefined,
  });
  const attempt = (email: string, password: string, ip: string | undefined = IP) => login.authenticate(email, password, { ipAddress: ip });
  return { clock, cache, written, users, audit, throttle, login, attempt };
}

type Env = ReturnType<typeof setup>;

/** Fails `count` times on `email`, waiting out each delay first; returns the answers. */
async function failRepeatedly(env: Env, email: string, count: number, ip: string = IP): Promise<PasswordAuthentication[]> {
  const answers: PasswordAuthentication[] = [];
  for (let i = 0; i < count; i++) {
    let answer = await env.attempt(email, "wrong password", ip);
    if (answer.status === "throttled" && !answer.locked) {
      env.clock.advance(answer.retryAfterSeconds * 1000);
      answer = await env.attempt(email, "wrong password", ip);
    }
    answers.push(answer);
  }
  return answers;
}

describe("LoginThrottle with PasswordLoginService", () => {
  it("delays grow from the delayAfter-th failure: 1, 2, 4 … seconds, capped at 60; lockoutAfter locks", async () => {
    const env = setup();
    // The first delayAfter failures come at once.
    for (let i = 0; i < DEFAULTS.delayAfter; i++) expect(await env.attempt(ALICE, "wrong password")).toEqual({ status: "invalid_credentials" });
    const delays: number[] = [];
    for (let failures = DEFAULTS.delayAfter; failures < DEFAULTS.lockoutAfter; failures++) {
      const waiting = await env.attempt(ALICE, "wrong password");
      expect(waiting).toMatchObject({ status: "throttled", locked: false });
      const seconds = (waiting as { retryAfterSeconds: number }).retryAfterSeconds;
      delays.push(seconds);
      // One millisecond short of the delay: still refused.
      env.clock.advance(seconds * 1000 - 1);
      expect(await env.attempt(ALICE, "wrong password")).toMatchObject({ status: "throttled", retryAfterSeconds: 1 });
      env.clock.advance(1);
      const next = await env.attempt(ALICE, "wrong password");
      expect(next).toEqual(failures + 1 < DEFAULTS.lockoutAfter ? { status: "invalid_credentials" } : { status: "throttled", locked: true, retryAfterSeconds: 900 });
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 60]);
    expect(env.users.verifications).toBe(DEFAULTS.lockoutAfter);
  });

  it("never checks the password during a delay, not even the right one", async () => {
    const env = setup();
    await failRepeatedly(env, ALICE, 3);
    const checked = env.users.verifications;
    expect(await env.attempt(ALICE, PASSWORD)).toEqual({ status: "throttled", retryAfterSeconds: 1, locked: false });
    expect(await env.attempt(ALICE, "another guess")).toMatchObject({ status: "throttled" });
    expect(env.users.verifications).toBe(checked);
    expect(env.audit.filter((e) => e.details?.reason === "throttled")).toHaveLength(2);
    env.clock.advance(1000);
    expect(await env.attempt(ALICE, PASSWORD)).toMatchObject({ status: "ok", user: { id: "user-1" } });
    expect(env.users.verifications).toBe(checked + 1);
  });

  it("locks the account at lockoutAfter failures, for lockoutSeconds, and records it on the user row", async () => {
    const env = setup();
    const answers = await failRepeatedly(env, ALICE, DEFAULTS.lockoutAfter);
    // The failure that locks says so at once.
    expect(answers.at(-1)).toEqual({ status: "throttled", locked: true, retryAfterSeconds: 900 });
    expect(answers.slice(0, -1).every((a) => a.status === "invalid_credentials")).toBe(true);
    expect(env.users.user.lockedUntil).toEqual(new Date(env.clock.nowMs() + 900_000));
    expect(env.users.user.failedLoginCount).toBe(DEFAULTS.lockoutAfter);
    expect(env.audit.find((e) => e.type === "user.locked")).toMatchObject({ targetType: "user", targetId: "user-1", details: { failedAttempts: 10 } });

    const checked = env.users.verifications;
    env.clock.advance(600_000);
    expect(await env.attempt(ALICE, PASSWORD)).toEqual({ status: "throttled", locked: true, retryAfterSeconds: 300 });
    expect(env.users.verifications).toBe(checked);
    expect(env.audit.at(-1)).toMatchObject({ type: "user.login", outcome: "failure", targetId: "user-1", details: { reason: "locked", scope: "account" } });
  });

  it("lets the account in again when the lockout expires, with a fresh count", async () => {
    const env = setup();
    await failRepeatedly(env, ALICE, DEFAULTS.lockoutAfter);
    env.clock.advance(900_000 - 1);
    expect(await env.attempt(ALICE, PASSWORD)).toMatchObject({ status: "throttled", locked: true, retryAfterSeconds: 1 });
    env.clock.advance(1);
    // A fresh period: delayAfter-1 failures without any delay.
    expect(await env.attempt(ALICE, "wrong password")).toEqual({ status: "invalid_credentials" });
    expect(await env.attempt(ALICE, "wrong password")).toEqual({ status: "invalid_credentials" });
    expect(await env.attempt(ALICE, PASSWORD)).toMatchObject({ status: "ok" });
    expect(env.users.user).toMatchObject({ lockedUntil: null, failedLoginCount: 0 });
  });

  it("locks out a client address after ipLockoutAfter failures over any accounts; other addresses go on", async () => {
    const env = setup({ settings: { ipLockoutAfter: 5 } });
    for (let i = 1; i <= 4; i++) expect(await env.attempt(`user${i}@example.com`, "guess")).toEqual({ status: "invalid_credentials" });
    expect(await env.attempt("user5@example.com", "guess")).toEqual({ status: "throttled", locked: true, retryAfterSeconds: 900 });
    expect(env.audit.find((e) => e.type === "login.address_locked")).toMatchObject({ ipAddress: IP });
    // Even the right password of an untouched account is refused from there, without a check.
    const checked = env.users.verifications;
    expect(await env.attempt(ALICE, PASSWORD)).toMatchObject({ status: "throttled", locked: true });
    expect(env.audit.at(-1)).toMatchObject({ details: { reason: "locked", scope: "address" } });
    expect(env.users.verifications).toBe(checked);
    expect(await env.attempt(ALICE, PASSWORD, "198.51.100.1")).toMatchObject({ status: "ok" });
    env.clock.advance(900_000);
    expect(await env.attempt(ALICE, PASSWORD)).toMatchObject({ status: "ok" });
  });

  it("counts an IPv6 client by its /64 network", async () => {
    const env = setup({ settings: { ipLockoutAfter: 2 } });
    await env.attempt("a@example.com", "guess", "2001:db8:1:2::1");
    expect(await env.attempt("b@example.com", "guess", "2001:db8:1:2:ffff:ffff:ffff:ffff")).toMatchObject({ status: "throttled", locked: true });
    expect(await env.attempt(ALICE, PASSWORD, "2001:db8:1:2::abcd")).toMatchObject({ status: "throttled", locked: true });
    expect(await env.attempt(ALICE, PASSWORD, "2001:db8:1:3::1")).toMatchObject({ status: "ok" });
    expect(addressBlock("2001:0DB8:0000:0002:0000:0000:0000:0001")).toBe("2001:db8:0:2::/64");
    expect(addressBlock("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(addressBlock("192.0.2.1")).toBe("192.0.2.1");
    expect(addressBlock("::1")).toBe("0:0:0:0::/64");
  });

  it("forgets the account's failures after a success", async () => {
    const env = setup();
    await failRepeatedly(env, ALICE, 5);
    env.clock.advance(60_000);
    expect(await env.attempt(ALICE, PASSWORD)).toMatchObject({ status: "ok" });
    // delayAfter-1 immediate failures before the first delay again.
    expect(await env.attempt(ALICE, "wrong password")).toEqual({ status: "invalid_credentials" });
    expect(await env.attempt(ALICE, "wrong password")).toEqual({ status: "invalid_credentials" });
    expect(await env.attempt(ALICE, "wrong password")).toEqual({ status: "invalid_credentials" });
    expect(await env.attempt(ALICE, "wrong password")).toEqual({ status: "throttled", locked: false, retryAfterSeconds: 1 });
  });

  it("throttles an unknown email exactly like a known one, and stores no email address", async () => {
    const script = async (email: string) => {
      const env = setup();
      const answers: PasswordAuthentication[] = [];
      for (let i = 0; i < 14; i++) {
        answers.push(await env.attempt(email, "wrong password"));
        answers.push(await env.attempt(email, "wrong password"));
        env.clock.advance(2_000 * i);
      }
      return { answers, written: env.written };
    };
    const known = await script(ALICE);
    const unknown = await script("nobody@example.com");
    expect(unknown.answers).toEqual(known.answers);
    expect(known.answers.some((a) => a.status === "throttled" && a.locked)).toBe(true);
    for (const text of [...known.written, ...unknown.written]) {
      expect(text).not.toMatch(/alice|nobody|@|203\.0\.113/);
    }
    // The same email written differently is the same account.
    const env = setup();
    await failRepeatedly(env, ALICE, 3);
    expect(await env.attempt("  Alice@Example.COM ", PASSWORD)).toMatchObject({ status: "throttled" });
  });

  it("checks no more than lockoutAfter passwords for concurrent attempts", async () => {
    const env = setup();
    const answers = await Promise.all(Array.from({ length: 40 }, () => env.attempt(ALICE, "wrong password")));
    expect(env.users.verifications).toBeLessThanOrEqual(DEFAULTS.lockoutAfter);
    expect(answers.filter((a) => a.status === "throttled").length).toBeGreaterThanOrEqual(30);
    expect(await env.attempt(ALICE, PASSWORD)).toMatchObject({ status: "throttled", locked: true });
  });

  it("unlock clears the row and the counters; a lockout cleared on the row from another process is lifted too", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 29, 12, 0, 0));
    const users = new FakeUsers();
    const keySecret = randomBytes(32);
    const server = setup({ clock, users, keySecret });
    await failRepeatedly(server, ALICE, DEFAULTS.lockoutAfter);
    expect(await server.attempt(ALICE, PASSWORD)).toMatchObject({ status: "throttled", locked: true });

    expect(await server.login.unlock("user-1", { type: "admin", id: "admin-1" })).toMatchObject({ wasLocked: true, user: { lockedUntil: null } });
    expect(server.audit.at(-1)).toMatchObject({ type: "user.unlocked", actorType: "admin", targetId: "user-1", details: { wasLocked: true } });
    expect(await server.attempt(ALICE, PASSWORD)).toMatchObject({ status: "ok" });
    expect(await server.login.unlock("nobody")).toBeNull();

    // Locked again; then the CLI, with a cache of its own (no Redis), unlocks the row only.
    await failRepeatedly(server, ALICE, DEFAULTS.lockoutAfter);
    const cli = setup({ clock, users, keySecret });
    expect(await cli.login.unlock("user-1", { type: "cli" })).toMatchObject({ wasLocked: true });
    expect(await server.attempt(ALICE, PASSWORD)).toMatchObject({ status: "ok" });

    // An unknown email has no row to unlock: its lockout stands.
    await failRepeatedly(server, "nobody@example.com", DEFAULTS.lockoutAfter);
    expect(await server.attempt("nobody@example.com", "x")).toMatchObject({ status: "throttled", locked: true });
  });

  it("lets sign-in through (and logs) when the cache fails", async () => {
    const broken = new MemoryCache({ clock: new ManualClock() });
    await broken.close();
    const env = setup({ cache: broken });
    expect(await env.attempt(ALICE, PASSWORD)).toMatchObject({ status: "ok" });
    expect(await env.attempt(ALICE, "wrong password")).toEqual({ status: "invalid_credentials" });
  });

  it("refuses empty and oversized input without counting it", async () => {
    const env = setup();
    expect(await env.attempt("", PASSWORD)).toEqual({ status: "invalid_credentials" });
    expect(await env.attempt(ALICE, "")).toEqual({ status: "invalid_credentials" });
    expect(await env.attempt(ALICE, "x".repeat(1025))).toEqual({ status: "invalid_credentials" });
    expect(env.users.verifications).toBe(0);
    expect(env.written).toEqual([]);
  });

  it("rejects settings that are not positive integers", () => {
    const clock = new ManualClock();
    const make = (settings: Partial<LoginThrottleSettings>, keySecret = randomBytes(32)) =>
      new LoginThrottle({ cache: new MemoryCache({ clock }), clock, logger: silentLogger, settings: { ...DEFAULTS, ...settings }, keySecret });
    expect(() => make({ lockoutAfter: 0 })).toThrow(RangeError);
    expect(() => make({ delayAfter: 1.5 })).toThrow(RangeError);
    expect(() => make({}, randomBytes(8))).toThrow(RangeError);
  });
});
