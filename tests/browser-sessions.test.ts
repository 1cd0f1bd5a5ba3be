import { sealData } from "iron-session";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRoute } from "../lib/http/pipeline";
import { findRoute } from "../lib/http/routes";
import { runStartupTasks } from "../lib/server/first-start";
import { hashSecret } from "../lib/security/secrets";
import { HOST_SESSION_COOKIE, SESSION_COOKIE, type CookieOptions } from "../lib/sessions/browser-session";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";

const MINUTE = 60_000;

/** A Next-style cookie store in memory. */
function jar() {
  const values = new Map<string, { value: string; options: CookieOptions }>();
  return {
    values,
    get: (name: string) => (values.has(name) ? { value: values.get(name)!.value } : undefined),
    set: (name: string, value: string, options: CookieOptions) => values.set(name, { value, options }),
  };
}

describe(`browser sessions: idle and absolute expiry, cookie (${databaseKind})`, () => {
  let ctx: TestContext;
  let userId: string;
  beforeAll(async () => {
    ctx = await createTestContainer({ env: { AUTHLY_SESSION_IDLE_MINUTES: "30", AUTHLY_SESSION_MAX_HOURS: "12" } });
    await runStartupTasks(ctx.container);
    userId = (await ctx.container.users.create({ email: "session-user@example.com", password: "session-password-1" })).id;
  });
  afterAll(() => ctx.cleanup());

  it("a new session has both expiries; use moves the idle one forward, never past the absolute one", async () => {
    const { sessions } = ctx.container;
    const session = await sessions.start({ userId });
    expect(session.idleExpiresAt.getTime() - session.authTime.getTime()).toBe(30 * MINUTE);
    expect(session.expiresAt.getTime() - session.authTime.getTime()).toBe(12 * 60 * MINUTE);
    const cookies = jar();
    await sessions.writeCookie(cookies, session);
    // Plain http issuer (loopback development): no __Host- prefix, not Secure.
    expect(cookies.values.get(SESSION_COOKIE)?.options).toMatchObject({ httpOnly: true, sameSite: "lax", path: "/", secure: false });

    // Used every 25 minutes, it lives on ...
    for (let i = 0; i < 28; i++) {
      ctx.clock.advance(25 * MINUTE);
      const used = await sessions.fromCookies(cookies);
      expect(used?.id, `after ${(i + 1) * 25} minutes`).toBe(session.id);
    }
    const row = await ctx.container.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.idleExpiresAt.getTime()).toBeLessThanOrEqual(row.expiresAt.getTime());
    expect(row.lastSeenAt.getTime()).toBe(ctx.clock.nowMs());
    // ... until 12 hours after sign-in (the absolute limit), however active.
    ctx.clock.advance(25 * MINUTE);
    expect(await sessions.fromCookies(cookies)).toBeNull();
  });

  it("30 minutes without a request end it", async () => {
    const { sessions } = ctx.container;
    const session = await sessions.start({ userId });
    const cookies = jar();
    await sessions.writeCookie(cookies, session);
    ctx.clock.advance(29 * MINUTE);
    expect(await sessions.fromCookies(cookies)).not.toBeNull();
    ctx.clock.advance(31 * MINUTE);
    expect(await sessions.fromCookies(cookies)).toBeNull();
    expect(await sessions.findValid(session.id)).toBeNull();
  });

  it("the row is written at most once a minute while the session is in use", async () => {
    const { sessions } = ctx.container;
    const session = await sessions.start({ userId });
    const cookies = jar();
    await sessions.writeCookie(cookies, session);
    ctx.clock.advance(30_000);
    await sessions.fromCookies(cookies);
    const row = await ctx.container.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.lastSeenAt.getTime()).toBe(session.lastSeenAt.getTime());
  });

  it("an ended session is dead at once", async () => {
    const { sessions } = ctx.container;
    const session = await sessions.start({ userId });
    const cookies = jar();
    await sessions.writeCookie(cookies, session);
    await sessions.end(session.id, "test");
    expect(await sessions.fromCookies(cookies)).toBeNull();
  });

  it("the lifetimes come from the configuration; over https the cookie is __Host- and Secure", async () => {
    const other = await createTestContainer({
      env: { AUTHLY_SESSION_IDLE_MINUTES: "5", AUTHLY_SESSION_MAX_HOURS: "1", AUTHLY_ISSUER: "https://id.example.com" },
    });
    try {
      await runStartupTasks(other.container);
      const user = await other.container.users.create({ email: "https-user@example.com", password: "session-password-1" });
      const session = await other.container.sessions.start({ userId: user.id });
      expect(session.idleExpiresAt.getTime() - session.authTime.getTime()).toBe(5 * MINUTE);
      expect(session.expiresAt.getTime() - session.authTime.getTime()).toBe(60 * MINUTE);
      const cookies = jar();
      await other.container.sessions.writeCookie(cookies, session);
      expect(cookies.values.has(SESSION_COOKIE)).toBe(false);
      expect(cookies.values.get(HOST_SESSION_COOKIE)?.options).toMatchObject({ secure: true, path: "/", httpOnly: true, sameSite: "lax" });
      expect(await other.container.sessions.setCookieHeader(session)).toMatch(/^__Host-authly_session=.*; Path=\/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax$/);

      // The authorization endpoint's browser binding of an interaction is __Host- too.
      const { client } = await other.container.clients.create({
        name: "Web", type: "confidential", redirectUris: ["https://app.example.com/cb"], grantTypes: ["authorization_code"], scopes: ["openid"],
      });
      const query = new URLSearchParams({
        client_id: client.clientId, response_type: "code", redirect_uri: "https://app.example.com/cb", scope: "openid",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256",
      });
      const response = await runRoute(findRoute("/oauth/authorize")!, new Request(`https://id.example.com/oauth/authorize?${query}`), other.container);
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toMatch(/^\/login\?interaction=/);
      expect(response.headers.get("set-cookie")).toMatch(/^__Host-authly_interaction=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    } finally {
      await other.cleanup();
    }
  });

  it("configuration refuses nonsense lifetimes", async () => {
    await expect(createTestContainer({ env: { AUTHLY_SESSION_IDLE_MINUTES: "0" } })).rejects.toThrow(/AUTHLY_SESSION_IDLE_MINUTES/);
    await expect(createTestContainer({ env: { AUTHLY_SESSION_MAX_HOURS: "soon" } })).rejects.toThrow(/AUTHLY_SESSION_MAX_HOURS/);
  });
});

describe(`browser sessions: a new cookie credential at every authentication (${databaseKind})`, () => {
  let ctx: TestContext;
  let userId: string;
  beforeAll(async () => {
    ctx = await createTestContainer();
    await runStartupTasks(ctx.container);
    userId = (await ctx.container.users.create({ email: "renewal-user@example.com", password: "session-password-1" })).id;
  });
  afterAll(() => ctx.cleanup());

  /** The session cookie a browser holds after `session` was written into it. */
  async function cookieOf(session: Parameters<TestContext["container"]["sessions"]["writeCookie"]>[1]) {
    const cookies = jar();
    await ctx.container.sessions.writeCookie(cookies, session);
    return cookies;
  }

  /** A cookie sealed like the server's own (same secret), with any content. */
  async function forged(content: Record<string, unknown>) {
    const cookies = jar();
    const value = await sealData(content, { password: ctx.container.cookieSecret, ttl: 3600 });
    cookies.set(SESSION_COOKIE, value, { httpOnly: true, sameSite: "lax", path: "/", secure: false });
    return cookies;
  }

  it("re-authentication keeps the sid but the cookie from before it stops working (OWASP: renew after a privilege change)", async () => {
    const { sessions, passwordLogin } = ctx.container;
    const first = await sessions.start({ userId });
    expect(first.cookieHandle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const before = await cookieOf(first);
    const current = await sessions.fromCookies(before);
    expect(current?.id).toBe(first.id);

    // The same user signs in again in this browser (prompt=login, max_age, the plain sign-in page).
    const user = (await ctx.container.users.findById(userId))!;
    const renewed = await passwordLogin.startSession(user, { current });
    expect(renewed.id).toBe(first.id); // the OIDC sid relying parties hold is unchanged
    expect(renewed.cookieHandle).not.toBe(first.cookieHandle);
    const after = await cookieOf(renewed);
    expect(after.get(SESSION_COOKIE)!.value).not.toBe(before.get(SESSION_COOKIE)!.value);

    expect(await sessions.fromCookies(before)).toBeNull();
    expect((await sessions.fromCookies(after))?.id).toBe(first.id);
    // Through the fast door's Cookie header as well.
    const header = (jarCookies: ReturnType<typeof jar>) => `${SESSION_COOKIE}=${encodeURIComponent(jarCookies.get(SESSION_COOKIE)!.value)}`;
    expect(await sessions.fromRequest(new Request("http://localhost/", { headers: { cookie: header(before) } }))).toBeNull();
    expect((await sessions.fromRequest(new Request("http://localhost/", { headers: { cookie: header(after) } })))?.id).toBe(first.id);

    // The row holds only the handle's SHA-256, never the handle.
    const row = await ctx.container.prisma.session.findUniqueOrThrow({ where: { id: first.id } });
    expect(row.cookieHandleHash).toBe(hashSecret(renewed.cookieHandle));
    expect(JSON.stringify(row)).not.toContain(renewed.cookieHandle);
    expect(row.endedAt).toBeNull();
  });

  it("a cookie with a wrong, missing or malformed handle is refused", async () => {
    const { sessions } = ctx.container;
    const session = await sessions.start({ userId });
    expect((await sessions.fromCookies(await forged({ sid: session.id, h: session.cookieHandle })))?.id).toBe(session.id);
    for (const content of [{ sid: session.id, h: "x".repeat(43) }, { sid: session.id }, { sid: session.id, h: "" }, { sid: session.id, h: 42 }, { sid: session.id, h: "y".repeat(10_000) }]) {
      expect(await sessions.fromCookies(await forged(content)), JSON.stringify(content).slice(0, 60)).toBeNull();
    }
    // A session read back from the database has no handle in clear: its cookie cannot be written from it.
    const reread = (await sessions.findValid(session.id))!;
    await expect(sessions.setCookieHeader(reread)).rejects.toThrow(/handle/);
  });

  it("a session from before handles accepts its handle-less cookie until its next authentication", async () => {
    const { sessions } = ctx.container;
    const session = await sessions.start({ userId });
    await ctx.container.prisma.session.update({ where: { id: session.id }, data: { cookieHandleHash: null } });
    const legacy = await forged({ sid: session.id });
    expect((await sessions.fromCookies(legacy))?.id).toBe(session.id);
    expect(await sessions.fromCookies(await forged({ sid: session.id, h: session.cookieHandle }))).toBeNull();
    const renewed = (await sessions.reauthenticate(session.id, {}))!;
    expect(await sessions.fromCookies(legacy)).toBeNull();
    expect((await sessions.fromCookies(await cookieOf(renewed)))?.id).toBe(session.id);
  });

  it("20 re-authentications at once leave exactly one working cookie", async () => {
    const { sessions } = ctx.container;
    const session = await sessions.start({ userId });
    const original = await cookieOf(session);
    const renewed = await Promise.all(Array.from({ length: 20 }, () => sessions.reauthenticate(session.id, {})));
    expect(renewed.every((r) => r !== null && r.id === session.id)).toBe(true);
    expect(new Set(renewed.map((r) => r!.cookieHandle)).size).toBe(20);
    const working: string[] = [];
    for (const r of renewed) if ((await sessions.fromCookies(await cookieOf(r!)))?.id === session.id) working.push(r!.cookieHandle);
    expect(working).toHaveLength(1);
    expect(await sessions.fromCookies(original)).toBeNull();
    const row = await ctx.container.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.cookieHandleHash).toBe(hashSecret(working[0]!));
  });

  it("another user signing in gets a new session; the previous user's cookie is dead", async () => {
    const { sessions, passwordLogin } = ctx.container;
    const first = await sessions.start({ userId });
    const before = await cookieOf(first);
    const other = await ctx.container.users.create({ email: "renewal-other@example.com", password: "session-password-1" });
    const next = await passwordLogin.startSession(other, { current: await sessions.fromCookies(before) });
    expect(next.id).not.toBe(first.id);
    expect(await sessions.fromCookies(before)).toBeNull();
    expect((await sessions.fromCookies(await cookieOf(next)))?.userId).toBe(other.id);
  });
});
