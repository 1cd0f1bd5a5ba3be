import { BROWSER_STATE_COOKIE } from "../oidc/session-state";
import { describe, expect, it } from "vitest";
import type { PrismaClient } from "../generated/prisma/client";
import { ManualClock } from "../server/clock";
import { BrowserSessionService, HOST_SESSION_COOKIE, SESSION_COOKIE, SESSION_LIFETIME_SECONDS, parseCookieHeader, serializeCookie } from "./browser-session";

describe("cookie helpers", () => {
  it("parses a Cookie header: first occurrence wins, quoted and percent-encoded values, junk skipped", () => {
    const cookies = parseCookieHeader('a=1; b="two"; a=3; c=x%20y; broken; =v; d=%E0%A4%A');
    expect([...cookies]).toEqual([
      ["a", "1"],
      ["b", "two"],
      ["c", "x y"],
    ]);
    expect(parseCookieHeader(null).size).toBe(0);
  });

  it("serializes HttpOnly, SameSite=Lax, Path, Max-Age and Secure only when asked", () => {
    expect(serializeCookie("n", "a b;c", { httpOnly: true, sameSite: "lax", path: "/", secure: false, maxAge: 60.7 })).toBe(
      "n=a%20b%3Bc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax",
    );
    expect(serializeCookie("n", "v", { httpOnly: true, sameSite: "lax", path: "/", secure: true })).toBe("n=v; Path=/; HttpOnly; Secure; SameSite=Lax");
  });
});

describe("BrowserSessionService cookies", () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 29, 12));
  const row = {
    id: "11111111-2222-3333-4444-555555555555",
    expiresAt: new Date(clock.nowMs() + SESSION_LIFETIME_SECONDS * 1000),
    idleExpiresAt: new Date(clock.nowMs() + 30 * 60 * 1000),
    lastSeenAt: clock.now(),
    user: { status: "active" },
  };
  const lookups: unknown[] = [];
  const prisma = {
    session: {
      findFirst: async (args: { where: { id: string } }) => {
        lookups.push(args.where);
        return args.where.id === row.id ? row : null;
      },
    },
  } as unknown as PrismaClient;
  const service = (secret = "x".repeat(43), secureCookies = true) =>
    new BrowserSessionService({ prisma, clock, tenantId: "default", cookieSecret: secret, secureCookies, browserStateCrossSite: false });

  it("seals only the session id; the cookie round-trips to the session", async () => {
    const header = await service().setCookieHeader(row as never);
    // Over https the cookie carries the __Host- prefix (Secure, Path=/, no Domain).
    expect(header).toMatch(new RegExp(`^${HOST_SESSION_COOKIE}=Fe26\\.2\\*`));
    expect(header).toContain(`Max-Age=${SESSION_LIFETIME_SECONDS}`);
    expect(header).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
    expect(header).not.toContain(row.id);
    expect(header).not.toContain("Domain=");
    const value = decodeURIComponent(header.split(";")[0]!.slice(HOST_SESSION_COOKIE.length + 1));
    const found = await service().fromRequest(new Request("http://localhost/", { headers: { cookie: `${HOST_SESSION_COOKIE}=${encodeURIComponent(value)}` } }));
    expect(found).toMatchObject({ id: row.id });
    expect(found).not.toHaveProperty("user");
    // A cookie without the prefix (which a subdomain could have planted) is not read over https.
    expect(await service().fromRequest(new Request("http://localhost/", { headers: { cookie: `${SESSION_COOKIE}=${encodeURIComponent(value)}` } }))).toBeNull();
  });

  it("ignores a cookie sealed with another secret, garbage, and no cookie at all", async () => {
    const header = await service("y".repeat(43)).setCookieHeader(row as never);
    const value = header.split(";")[0]!.slice(HOST_SESSION_COOKIE.length + 1);
    const before = lookups.length;
    expect(await service().fromCookies({ get: () => ({ value: decodeURIComponent(value) }) })).toBeNull();
    expect(await service().fromCookies({ get: () => ({ value: "Fe26.2**nonsense" }) })).toBeNull();
    expect(await service().fromCookies({ get: () => undefined })).toBeNull();
    expect(lookups.length).toBe(before);
  });

  it("writes through a Next-style cookie store", async () => {
    const set: [string, string, unknown][] = [];
    await service(undefined, false).writeCookie({ get: () => undefined, set: (n, v, o) => set.push([n, v, o]) }, row as never);
    expect(set).toHaveLength(2);
    expect(set[0]![0]).toBe(SESSION_COOKIE);
    expect(set[0]![2]).toEqual({ httpOnly: true, sameSite: "lax", path: "/", secure: false, maxAge: SESSION_LIFETIME_SECONDS });
    // Session Management 1.0 §3: the OP browser state, readable by the check_session iframe's script.
    expect(set[1]![0]).toBe(BROWSER_STATE_COOKIE);
    expect(set[1]![1]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(set[1]![2]).toEqual({ httpOnly: false, sameSite: "lax", path: "/", secure: false, maxAge: SESSION_LIFETIME_SECONDS });
  });
});
