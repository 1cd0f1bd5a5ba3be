/**
 * Logout: RP-Initiated Logout 1.0 (the end_session_endpoint), Front-Channel Logout 1.0 (iframes on
 * the page after logout) and Back-Channel Logout 1.0 (queued POSTs of logout tokens, retried,
 * surviving a restart). Relying parties' back-channel endpoints are real HTTP servers on
 * 127.0.0.1 that validate each logout token as Back-Channel Logout 1.0 §2.6 prescribes, with jose.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Client, Session } from "../lib/generated/prisma/client";
import { runRoute } from "../lib/http/pipeline";
import { findRoute } from "../lib/http/routes";
import { BACKCHANNEL_LOGOUT_EVENT, BackchannelLogoutWorker, LEASE_MS, MAX_ATTEMPTS, RETAIN_FINISHED_MS, RETRY_DELAYS_MS } from "../lib/oidc/backchannel-logout";
import { oidcPaths } from "../lib/oidc/paths";
import { BROWSER_STATE_COOKIE } from "../lib/oidc/session-state";
import { silentLogger } from "../lib/observability/logger";
import { hashSecret, randomToken } from "../lib/security/secrets";
import { runStartupTasks } from "../lib/server/first-start";
import type { Container } from "../lib/server/container";
import { logoutCsrfToken } from "../lib/oidc/logout/csrf";
import { CONFIRM_LOGOUT_PATH, SIGNED_OUT_PATH } from "../lib/oidc/logout/handler";
import { SESSION_COOKIE } from "../lib/sessions/browser-session";
import { basic, pkcePair } from "./support/oauth";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";
import { Browser } from "./support/browser";

const ISSUER = "http://localhost:3000";
const LOGOUT = oidcPaths.endSession;
const PLAIN_BYE = "https://plain.example.com/logged-out?from=authly";
const FRONT_BYE = "https://front.example.com/bye";

type Params = Record<string, string | string[] | undefined>;

function encode(params: Params): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(name, v);
  }
  return search.toString();
}

// ---------------------------------------------------------------------------------------------
// A relying party's back-channel logout endpoint (Back-Channel Logout 1.0 §2.5-§2.8)
// ---------------------------------------------------------------------------------------------

interface Received {
  path: string;
  contentType: string | undefined;
  /** The validated claims, or the reason validation failed. */
  claims?: Record<string, unknown>;
  error?: string;
  status: number;
}

class LogoutReceiver {
  readonly received: Received[] = [];
  /** Per path: the client_id it expects as audience, and statuses to answer before 200. */
  private readonly routes = new Map<string, { clientId: string; statuses: number[] }>();
  private server!: Server;
  port = 0;

  constructor(private readonly op: () => { container: Container; now: () => Date }) {}

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.handle(req.url ?? "", req.method ?? "", req.headers["content-type"], Buffer.concat(chunks).toString("utf8")).then((status) => {
          res.statusCode = status;
          res.setHeader("cache-control", "no-store");
          res.end();
        });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  expect(path: string, clientId: string, statuses: number[] = []): void {
    this.routes.set(path, { clientId, statuses: [...statuses] });
  }

  to(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Back-Channel Logout 1.0 §2.6: how an RP validates a Logout Token. */
  private async handle(path: string, method: string, contentType: string | undefined, body: string): Promise<number> {
    const route = this.routes.get(path);
    const record: Received = { path, contentType, status: 400 };
    this.received.push(record);
    try {
      if (!route) throw new Error("unknown path");
      if (method !== "POST") throw new Error(`method ${method}`);
      // §2.5: application/x-www-form-urlencoded with one logout_token parameter.
      const form = new URLSearchParams(body);
      const token = form.get("logout_token");
      if (!token || [...form.keys()].length !== 1) throw new Error("no logout_token");
      const { container, now } = this.op();
      const jwks = createLocalJWKSet(JSON.parse((await container.keyStore.jwks()).body) as Parameters<typeof createLocalJWKSet>[0]);
      // §2.6 steps 3-4: signature with the OP's keys, iss, aud, iat (and exp) like an ID token; typ logout+jwt (§2.4).
      const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER, audience: route.clientId, typ: "logout+jwt", currentDate: now(), requiredClaims: ["iat", "exp", "jti"] });
      // §2.6 step 5-7: sub or sid, the events member, and no nonce.
      if (typeof payload.sub !== "string" && typeof payload.sid !== "string") throw new Error("neither sub nor sid");
      const events = payload.events as Record<string, unknown> | undefined;
      if (!events || typeof events[BACKCHANNEL_LOGOUT_EVENT] !== "object" || events[BACKCHANNEL_LOGOUT_EVENT] === null) throw new Error("no logout event");
      if ("nonce" in payload) throw new Error("has a nonce");
      record.claims = payload as Record<string, unknown>;
      record.status = route.statuses.shift() ?? 200;
    } catch (error) {
      record.error = (error as Error).message;
      record.status = 400;
    }
    return record.status;
  }
}

/** A loopback port nobody listens on (taken from the OS, then released): connections are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------

describe(`logout (${databaseKind})`, () => {
  let ctx: TestContext;
  let userId: string;
  const clients: Record<string, Client> = {};
  const secrets: Record<string, string> = {};
  const receiver = new LogoutReceiver(() => ({ container: ctx.container, now: () => ctx.clock.now() }));

  beforeAll(async () => {
    await receiver.listen();
    // Some cases let the ID token expire (an hour) with the session unused: no idle expiry in the way.
    ctx = await createTestContainer({ env: { AUTHLY_SESSION_IDLE_MINUTES: "1440" } });
    const { container } = ctx;
    await runStartupTasks(container);
    userId = (await container.users.create({ email: "alice@example.com", password: "alice-password-1", name: "Alice" })).id;
    const make = async (name: string, extra: Record<string, unknown> = {}) => {
      const host = `${name}.example.com`;
      const created = await container.clients.create({
        name: `${name} app`,
        type: "confidential",
        redirectUris: [`https://${host}/cb`],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "offline_access"],
        ...extra,
      });
      clients[name] = created.client;
      secrets[name] = created.clientSecret!;
    };
    await make("plain", { postLogoutRedirectUris: [PLAIN_BYE] });
    await make("front", { postLogoutRedirectUris: [FRONT_BYE], frontchannelLogoutUri: "https://front.example.com/fc?tenant=a", frontchannelLogoutSessionRequired: true });
    await make("keep", { revokeRefreshTokensOnLogout: false, frontchannelLogoutUri: "https://keep.example.com/logout" });
    await make("other", { frontchannelLogoutUri: "https://other.example.com/fc", backchannelLogoutUri: receiver.url("/bc/other") });
    await make("back", { postLogoutRedirectUris: ["https://back.example.com/bye"], backchannelLogoutUri: receiver.url("/bc/back"), backchannelLogoutSessionRequired: true });
    await make("pair", { subjectType: "pairwise", backchannelLogoutUri: receiver.url("/bc/pair") });
    await make("flaky", { backchannelLogoutUri: receiver.url("/bc/flaky") });
    await make("down", { backchannelLogoutUri: `http://127.0.0.1:${await closedPort()}/bc` });
    receiver.expect("/bc/back", clients.back!.clientId);
    receiver.expect("/bc/pair", clients.pair!.clientId);
    receiver.expect("/bc/other", clients.other!.clientId);
  });
  afterAll(async () => {
    await ctx?.cleanup();
    await receiver.close();
  });

  /** A signed-in browser whose session has used `names` (as the authorization endpoint records it). */
  async function signIn(names: string[]): Promise<{ browser: Browser; session: Session }> {
    const session = await ctx.container.sessions.start({ userId });
    for (const name of names) await ctx.container.sessions.addClient(session.id, clients[name]!.id);
    const browser = new Browser();
    browser.absorb(new Response(null, { headers: (await ctx.container.sessions.setCookieHeaders(session)).map((c) => ["set-cookie", c] as [string, string]) }));
    return { browser, session };
  }

  /** Tokens of a code flow in `session`, from the token endpoint. */
  async function tokens(name: string, session: Session | null, scopes = ["openid", "offline_access"]): Promise<{ id_token: string; refresh_token: string; access_token: string }> {
    const client = clients[name]!;
    const { verifier, challenge } = pkcePair();
    const code = randomToken(32);
    const now = ctx.clock.now();
    await ctx.container.prisma.authorizationCode.create({
      data: {
        tenantId: "default",
        codeHash: hashSecret(code),
        clientId: client.id,
        userId,
        sessionId: session?.id ?? null,
        redirectUri: client.redirectUris[0]!,
        scopes,
        codeChallenge: challenge,
        codeChallengeMethod: "S256",
        authTime: session?.authTime ?? now,
        amr: ["pwd"],
        createdAt: now,
        expiresAt: new Date(now.getTime() + 60_000),
      },
    });
    const response = await token(name, { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: client.redirectUris[0]! });
    expect(response.status).toBe(200);
    return (await response.json()) as { id_token: string; refresh_token: string; access_token: string };
  }

  function token(name: string, form: Record<string, string>): Promise<Response> {
    const request = new Request(`${ISSUER}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(clients[name]!.clientId, secrets[name]!) },
      body: encode(form),
    });
    return runRoute(findRoute("/oauth/token")!, request, ctx.container, "127.0.0.1");
  }

  async function refreshWorks(name: string, refreshToken: string): Promise<boolean> {
    const response = await token(name, { grant_type: "refresh_token", refresh_token: refreshToken });
    if (response.status === 200) return true;
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_grant");
    return false;
  }

  async function logout(params: Params, browser?: Browser, method: "GET" | "POST" = "GET"): Promise<Response> {
    const headers: Record<string, string> = {};
    const cookie = browser?.header();
    if (cookie) headers.cookie = cookie;
    let request: Request;
    if (method === "POST") {
      headers["content-type"] = "application/x-www-form-urlencoded";
      request = new Request(`${ISSUER}${LOGOUT}`, { method, headers, body: encode(params) });
    } else {
      const q = encode(params);
      request = new Request(`${ISSUER}${LOGOUT}${q ? `?${q}` : ""}`, { method, headers });
    }
    const response = await runRoute(findRoute(LOGOUT)!, request, ctx.container, "127.0.0.1");
    return browser ? browser.absorb(response) : response;
  }

  const isLive = async (session: Session) => (await ctx.container.sessions.findValid(session.id)) !== null;

  /**
   * A form POST from another site: the browser sends its SameSite=None cookies (the browser state)
   * but withholds the SameSite=Lax session cookie (RFC 6265bis §5.6.7.1), and takes the
   * answer's Set-Cookie headers (a top-level navigation).
   */
  async function crossSitePost(params: Params, browser: Browser): Promise<Response> {
    const state = browser.get(BROWSER_STATE_COOKIE);
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" };
    if (state !== undefined) headers.cookie = `${BROWSER_STATE_COOKIE}=${encodeURIComponent(state)}`;
    const request = new Request(`${ISSUER}${LOGOUT}`, { method: "POST", headers, body: encode(params) });
    return browser.absorb(await runRoute(findRoute(LOGOUT)!, request, ctx.container, "127.0.0.1"));
  }

  /** Follows a 303 back to the end_session_endpoint as the browser does: a GET with all its cookies. */
  async function followToEndpoint(response: Response, browser: Browser): Promise<Response> {
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!, ISSUER);
    expect(location.pathname).toBe(LOGOUT);
    return logout(Object.fromEntries(location.searchParams), browser);
  }

  /** The session row has not ended (a stricter look than isLive: the row itself). */
  async function expectRowActive(session: Session) {
    const row = await ctx.container.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.endedAt).toBeNull();
    expect(row.endReason).toBeNull();
  }

  function expectCookiesCleared(response: Response) {
    const cleared = response.headers.getSetCookie().filter((c) => /max-age=0/i.test(c));
    expect(cleared.map((c) => c.split("=")[0]).sort()).toEqual([BROWSER_STATE_COOKIE, SESSION_COOKIE].sort());
  }

  async function expectErrorPage(response: Response, description: RegExp) {
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    expect(html).toContain("<code>invalid_request</code>");
    expect(html).toMatch(description);
    return html;
  }

  /**
   * A request that needs the user's confirmation: 303 to the confirmation page (a Next page,
   * app/(auth)/logout/page.tsx) with the validated parameters. Returns the fields its form posts
   * back: those parameters and the CSRF token the page computes for the browser's session.
   */
  function confirmationFields(response: Response, session: { id: string }): Record<string, string> {
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie()).toEqual([]);
    const location = new URL(response.headers.get("location")!, ISSUER);
    expect(location.pathname).toBe(CONFIRM_LOGOUT_PATH);
    const fields = Object.fromEntries(location.searchParams);
    delete fields.unrecognised_redirect;
    return { ...fields, csrf_token: logoutCsrfToken(ctx.container.cookieSecret, session.id) };
  }

  /** The end of a logout without iframes or redirect: 303 to the "signed out" page. */
  function expectSignedOutPage(response: Response, query: Record<string, string> = {}) {
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!, ISSUER);
    expect(location.pathname).toBe(SIGNED_OUT_PATH);
    expect(Object.fromEntries(location.searchParams)).toEqual(query);
  }

  function directives(csp: string | null): Map<string, string> {
    return new Map((csp ?? "").split(";").map((d) => d.trim().split(/\s+(.*)/s) as [string, string]).map(([k, v]) => [k, v ?? ""]));
  }

  describe("RP-Initiated Logout 1.0", () => {
    it("a valid hint for this session ends it, clears the cookies and redirects to the registered URI with state", async () => {
      const { browser, session } = await signIn(["plain"]);
      const issued = await tokens("plain", session);
      expect(decodeJwt(issued.id_token).sid).toBe(session.id);
      const response = await logout({ id_token_hint: issued.id_token, post_logout_redirect_uri: PLAIN_BYE, state: "st 1/é" }, browser);
      expect(response.status).toBe(303);
      // §3: the registered URI (its own query kept) with state appended.
      expect(response.headers.get("location")).toBe(`${PLAIN_BYE}&state=st+1%2F%C3%A9`);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expectCookiesCleared(response);
      expect(browser.cookies.size).toBe(0);
      const row = await ctx.container.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
      expect(row.endedAt).not.toBeNull();
      expect(row.endReason).toBe("logout");
      // The old cookie is dead everywhere.
      const stale = new Browser();
      stale.absorb(new Response(null, { headers: (await ctx.container.sessions.setCookieHeaders(session)).map((c) => ["set-cookie", c] as [string, string]) }));
      expect(await ctx.container.sessions.fromRequest(new Request(ISSUER, { headers: { cookie: stale.header()! } }))).toBeNull();
      // revokeRefreshTokensOnLogout (default true): the session's refresh token family is revoked.
      expect(await refreshWorks("plain", issued.refresh_token)).toBe(false);
      const refreshRows = await ctx.container.prisma.refreshToken.findMany({ where: { sessionId: session.id } });
      expect(refreshRows.every((r) => r.revokedReason === "logout")).toBe(true);
      const accessRows = await ctx.container.prisma.accessToken.findMany({ where: { sessionId: session.id } });
      expect(accessRows.length).toBeGreaterThan(0);
      expect(accessRows.every((r) => r.revokedAt !== null)).toBe(true);
      const audit = await ctx.container.prisma.auditEvent.findMany({ where: { type: "session.logout", targetId: session.id } });
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actorId).toBe(userId);
      expect(audit[0]!.details).toMatchObject({ reason: "logout", client: clients.plain!.clientId, revokedFamilies: 1 });
    });

    it("accepts an expired hint (§2), by POST too", async () => {
      const { browser, session } = await signIn(["plain"]);
      const issued = await tokens("plain", session);
      ctx.clock.advance((clients.plain!.idTokenTtl + 60) * 1000);
      const exp = decodeJwt(issued.id_token).exp!;
      expect(exp * 1000).toBeLessThan(ctx.clock.nowMs());
      const response = await logout({ id_token_hint: issued.id_token, post_logout_redirect_uri: PLAIN_BYE }, browser, "POST");
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe(PLAIN_BYE);
      expect(await isLive(session)).toBe(false);
    });

    it("an unregistered post_logout_redirect_uri is not redirected to; the tied session still ends", async () => {
      for (const uri of ["https://evil.example.net/bye", `${PLAIN_BYE}&x=1`, "https://plain.example.com/logged-out", FRONT_BYE]) {
        const { browser, session } = await signIn(["plain"]);
        const issued = await tokens("plain", session);
        const response = await logout({ id_token_hint: issued.id_token, post_logout_redirect_uri: uri, state: "s" }, browser);
        // The signed-out page, which says the address was not recognised (and never names it).
        expectSignedOutPage(response, { unrecognised_redirect: "1" });
        expectCookiesCleared(response);
        expect(await isLive(session)).toBe(false);
      }
    });

    it("a forged or malformed hint gives an error page (400), no redirect, and the session stays", async () => {
      const { browser, session } = await signIn(["plain"]);
      const issued = await tokens("plain", session);
      const [h, p, s] = issued.id_token.split(".");
      const stranger = await generateKeyPair("ES256");
      const foreign = await new SignJWT({ sub: userId, aud: clients.plain!.clientId, sid: session.id })
        .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: decodeProtectedHeader(issued.id_token).kid! })
        .setIssuer(ISSUER)
        .setIssuedAt()
        .sign(stranger.privateKey);
      const otherIssuer = await new SignJWT({ sub: userId, aud: clients.plain!.clientId, sid: session.id })
        .setProtectedHeader({ alg: "ES256", typ: "JWT" })
        .setIssuer("https://other-op.example.com")
        .sign(stranger.privateKey);
      const tamperedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(issued.id_token), sub: "someone-else" })).toString("base64url");
      for (const hint of ["garbage", "a.b.c", `${h}.${p}.${s!.slice(0, -4)}AAAA`, `${h}.${tamperedPayload}.${s}`, foreign, otherIssuer, issued.access_token, issued.refresh_token]) {
        const response = await logout({ id_token_hint: hint, post_logout_redirect_uri: PLAIN_BYE, state: "s" }, browser);
        await expectErrorPage(response, /id_token_hint is not a valid ID token/);
        expect(response.headers.getSetCookie()).toEqual([]);
      }
      expect(await isLive(session)).toBe(true);
      expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
    });

    it("a client_id that differs from the hint's audience, or an unknown client, gives an error page", async () => {
      const { browser, session } = await signIn(["plain"]);
      const issued = await tokens("plain", session);
      await expectErrorPage(await logout({ id_token_hint: issued.id_token, client_id: clients.front!.clientId, post_logout_redirect_uri: PLAIN_BYE }, browser), /client_id does not match/);
      await expectErrorPage(await logout({ client_id: "no-such-client", post_logout_redirect_uri: PLAIN_BYE }, browser), /unknown or disabled/);
      // The same client_id as the hint is fine.
      const response = await logout({ id_token_hint: issued.id_token, client_id: clients.plain!.clientId, post_logout_redirect_uri: PLAIN_BYE }, browser);
      expect(response.status).toBe(303);
      expect(await isLive(session)).toBe(false);
    });

    it("without a hint: a confirmation page; only a POST with this session's CSRF token signs out", async () => {
      const { browser, session } = await signIn(["plain"]);
      const issued = await tokens("plain", session);
      const page = await logout({ client_id: clients.plain!.clientId, post_logout_redirect_uri: PLAIN_BYE, state: "xyz", ui_locales: "de" }, browser);
      const fields = confirmationFields(page, session);
      expect(fields).toMatchObject({ client_id: clients.plain!.clientId, post_logout_redirect_uri: PLAIN_BYE, state: "xyz", ui_locales: "de" });
      expect(fields.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await isLive(session)).toBe(true);

      // A forged POST (no token, a wrong one, another session's token, a GET with the token) changes nothing.
      const { browser: otherBrowser, session: otherSession } = await signIn([]);
      const otherFields = confirmationFields(await logout({ client_id: clients.plain!.clientId }, otherBrowser), otherSession);
      const { csrf_token: _omit, ...withoutToken } = fields;
      for (const attempt of [withoutToken, { ...fields, csrf_token: "x".repeat(43) }, { ...fields, csrf_token: otherFields.csrf_token! }]) {
        // Back to the confirmation page; nothing ended.
        confirmationFields(await logout(attempt, browser, "POST"), session);
        expect(await isLive(session)).toBe(true);
      }
      confirmationFields(await logout(fields, browser, "GET"), session);
      expect(await isLive(session)).toBe(true);

      const confirmed = await logout(fields, browser, "POST");
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.get("location")).toBe(`${PLAIN_BYE}&state=xyz`);
      expectCookiesCleared(confirmed);
      expect(await isLive(session)).toBe(false);
      expect(await refreshWorks("plain", issued.refresh_token)).toBe(false);
      // Posted again: no session any more, nothing to end or clear; the RP still gets its redirect.
      const again = await logout(fields, browser, "POST");
      expect(again.headers.getSetCookie()).toEqual([]);
      const redirected = await followToEndpoint(again, browser);
      expect(redirected.headers.get("location")).toBe(`${PLAIN_BYE}&state=xyz`);
      expect(redirected.headers.getSetCookie()).toEqual([]);
    });

    it("a POST without a valid CSRF token and with a live session: the confirmation page, no cookie cleared, the session row active", async () => {
      const { browser, session } = await signIn(["plain"]);
      const cookiesBefore = new Map(browser.cookies);
      for (const csrf of [undefined, "", "x".repeat(43), logoutCsrfToken(ctx.container.cookieSecret, "another-session")]) {
        const params = { client_id: clients.plain!.clientId, post_logout_redirect_uri: PLAIN_BYE, ...(csrf !== undefined && { csrf_token: csrf }) };
        // With the session cookie (a same-site POST) ...
        const response = await logout(params, browser, "POST");
        confirmationFields(response, session);
        expect(response.headers.getSetCookie()).toEqual([]);
        // ... and without it (a cross-site POST: the Lax session cookie is withheld).
        const crossSite = await crossSitePost(params, browser);
        expect(crossSite.headers.getSetCookie()).toEqual([]);
        expect(crossSite.headers.get("referrer-policy")).toBe("no-referrer");
        // Asked again as a GET navigation, which carries the session cookie: the confirmation page.
        confirmationFields(await followToEndpoint(crossSite, browser), session);
        await expectRowActive(session);
      }
      expect(browser.cookies).toEqual(cookiesBefore);
      expect(await isLive(session)).toBe(true);
      // The confirmation itself (same-site, with the token) still ends it and clears the cookies.
      const confirmed = await logout({ client_id: clients.plain!.clientId, csrf_token: logoutCsrfToken(ctx.container.cookieSecret, session.id) }, browser, "POST");
      expectCookiesCleared(confirmed);
      expect(await isLive(session)).toBe(false);
    });

    it("a relying party's cross-site POST with a hint tied to the session ends it on the GET that follows", async () => {
      const { browser, session } = await signIn(["plain"]);
      const issued = await tokens("plain", session);
      const posted = await crossSitePost({ id_token_hint: issued.id_token, post_logout_redirect_uri: PLAIN_BYE, state: "p" }, browser);
      expect(posted.headers.getSetCookie()).toEqual([]);
      await expectRowActive(session);
      const response = await followToEndpoint(posted, browser);
      expect(response.headers.get("location")).toBe(`${PLAIN_BYE}&state=p`);
      expectCookiesCleared(response);
      expect(await isLive(session)).toBe(false);
    });

    it("a hint of another session (or another user) is not enough: the user confirms", async () => {
      const old = await signIn(["plain"]);
      const oldTokens = await tokens("plain", old.session);
      const { browser, session } = await signIn(["plain"]);
      const response = await logout({ id_token_hint: oldTokens.id_token, post_logout_redirect_uri: PLAIN_BYE }, browser);
      const fields = confirmationFields(response, session);
      expect(fields).toMatchObject({ client_id: clients.plain!.clientId, post_logout_redirect_uri: PLAIN_BYE });
      expect(fields).not.toHaveProperty("id_token_hint");
      expect(await isLive(session)).toBe(true);
      // An ID token without sid (issued outside a browser session) does not tie either.
      const noSid = await tokens("plain", null);
      expect(decodeJwt(noSid.id_token).sid).toBeUndefined();
      confirmationFields(await logout({ id_token_hint: noSid.id_token }, browser), session);
      expect(await isLive(session)).toBe(true);
    });

    it("with no session there is nothing to end: straight to the registered redirect, or the signed-out page", async () => {
      const redirect = await logout({ client_id: clients.plain!.clientId, post_logout_redirect_uri: PLAIN_BYE, state: "a" });
      expect(redirect.status).toBe(303);
      expect(redirect.headers.get("location")).toBe(`${PLAIN_BYE}&state=a`);
      // Nothing ended, so nothing is cleared: not even a stale cookie of an ended session.
      expect(redirect.headers.getSetCookie()).toEqual([]);
      const { browser, session } = await signIn([]);
      await ctx.container.sessions.end(session.id, "test");
      const stale = await logout({}, browser);
      expect(stale.headers.getSetCookie()).toEqual([]);
      expectSignedOutPage(stale, { signed_in: "0" });
      expectSignedOutPage(await logout({}), { signed_in: "0" });
      // A redirect URI without any client cannot be validated (§3): no redirect.
      expectSignedOutPage(await logout({ post_logout_redirect_uri: PLAIN_BYE, ui_locales: "de" }), { signed_in: "0", unrecognised_redirect: "1", ui_locales: "de" });
    });

    it("a native app's private-use scheme redirect after the confirmation", async () => {
      const { client } = await ctx.container.clients.create({
        name: "Native",
        type: "public",
        applicationType: "native",
        redirectUris: ["com.example.app:/cb"],
        postLogoutRedirectUris: ["com.example.app:/logged-out"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
      });
      const { browser, session } = await signIn([]);
      const page = await logout({ client_id: client.clientId, post_logout_redirect_uri: "com.example.app:/logged-out", state: "n" }, browser);
      const confirmed = await logout(confirmationFields(page, session), browser, "POST");
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.get("location")).toBe("com.example.app:/logged-out?state=n");
      expect(await isLive(session)).toBe(false);
    });

    it("a pairwise client's hint ties to the session through the pairwise subject", async () => {
      const { browser, session } = await signIn(["pair"]);
      const issued = await tokens("pair", session);
      expect(decodeJwt(issued.id_token).sub).not.toBe(userId);
      const response = await logout({ id_token_hint: issued.id_token }, browser);
      expectSignedOutPage(response);
      expect(await isLive(session)).toBe(false);
      expect(await ctx.container.backchannelLogout.runOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      expect(receiver.to("/bc/pair").at(-1)!.claims!.sub).toBe(decodeJwt(issued.id_token).sub);
    });
  });

  describe("Front-Channel Logout 1.0", () => {
    it("the page renders iframes with iss and sid for the session's clients only, its CSP allows exactly them, then continues to the RP", async () => {
      const { browser, session } = await signIn(["front", "keep", "plain"]);
      const front = await tokens("front", session);
      const keep = await tokens("keep", session);
      const response = await logout({ id_token_hint: front.id_token, post_logout_redirect_uri: FRONT_BYE, state: "fc" }, browser);
      expect(response.status).toBe(200);
      expect(response.headers.get("location")).toBeNull();
      expectCookiesCleared(response);
      const html = await response.text();
      const sources = [...html.matchAll(/<iframe class="fc" src="([^"]+)"/g)].map((m) => m[1]!.replaceAll("&amp;", "&"));
      const q = new URLSearchParams({ iss: ISSUER, sid: session.id }).toString();
      expect(sources.sort()).toEqual([`https://front.example.com/fc?tenant=a&${q}`, `https://keep.example.com/logout?${q}`].sort());
      expect(html).not.toContain("other.example.com");
      const csp = directives(response.headers.get("content-security-policy"));
      expect(csp.get("frame-src")!.split(" ").sort()).toEqual(["https://front.example.com", "https://keep.example.com"]);
      expect(csp.get("frame-ancestors")).toBe("'none'");
      expect(csp.get("default-src")).toBe("'none'");
      expect(csp.get("script-src")).toMatch(/^'sha256-[A-Za-z0-9+/]+=*'$/);
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      // The redirect after the iframes: a visible link (no-script) and the one hashed script.
      expect(html).toContain(`<a id="continue" class="secondary" href="${FRONT_BYE}?state=fc">`);
      const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
      expect(csp.get("script-src")).toBe(`'sha256-${createHash("sha256").update(script).digest("base64")}'`);
      // Refresh tokens: revoked for `front`, kept for `keep` (revokeRefreshTokensOnLogout false).
      expect(await refreshWorks("front", front.refresh_token)).toBe(false);
      expect(await refreshWorks("keep", keep.refresh_token)).toBe(true);
      expect(await isLive(session)).toBe(false);
    });

    it("without a redirect: the signed-out page with the iframes and no script", async () => {
      const { browser, session } = await signIn(["keep"]);
      const issued = await tokens("keep", session);
      const response = await logout({ id_token_hint: issued.id_token }, browser);
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain("You are signed out");
      expect(html).not.toContain("<script");
      expect(html.match(/<iframe /g)).toHaveLength(1);
      const csp = directives(response.headers.get("content-security-policy"));
      expect(csp.get("script-src")).toBe("'none'");
      expect(csp.get("frame-src")).toBe("https://keep.example.com");
    });
  });

  describe("Back-Channel Logout 1.0", () => {
    it("queues one delivery per registered client and POSTs a valid logout token to each", async () => {
      const { browser, session } = await signIn(["back", "pair", "plain"]);
      const issued = await tokens("back", session);
      const response = await logout({ id_token_hint: issued.id_token, post_logout_redirect_uri: "https://back.example.com/bye" }, browser);
      expect(response.status).toBe(303);
      const queued = await ctx.container.prisma.logoutDelivery.findMany({ where: { sessionId: session.id } });
      expect(queued.map((d) => d.clientId).sort()).toEqual([clients.back!.id, clients.pair!.id].sort());
      expect(queued.every((d) => d.status === "pending" && d.attempts === 0 && d.userId === userId)).toBe(true);
      expect(queued.find((d) => d.clientId === clients.back!.id)!.uri).toBe(receiver.url("/bc/back"));
      const before = receiver.received.length;
      const summary = await ctx.container.backchannelLogout.runOnce();
      expect(summary).toEqual({ delivered: 2, retried: 0, failed: 0 });
      const got = receiver.received.slice(before);
      expect(got).toHaveLength(2);
      for (const r of got) {
        expect(r.error).toBeUndefined();
        expect(r.contentType).toBe("application/x-www-form-urlencoded");
        expect(r.claims!.sid).toBe(session.id);
      }
      const back = got.find((r) => r.path === "/bc/back")!.claims!;
      const pair = got.find((r) => r.path === "/bc/pair")!.claims!;
      expect(back.sub).toBe(userId);
      expect(pair.sub).toBe(ctx.container.oidc.subjects.subjectFor(clients.pair!, userId));
      expect(pair.sub).not.toBe(userId);
      expect(back.exp).toBe((back.iat as number) + 120);
      const rows = await ctx.container.prisma.logoutDelivery.findMany({ where: { sessionId: session.id } });
      expect(rows.every((r) => r.status === "delivered" && r.attempts === 1 && r.deliveredAt !== null && r.lastStatus === 200)).toBe(true);
      const audit = await ctx.container.prisma.auditEvent.findMany({ where: { type: "logout.backchannel.delivered" } });
      const forSession = audit.filter((a) => (a.details as { sessionId?: string }).sessionId === session.id);
      expect(forSession.map((a) => a.targetId).sort()).toEqual([clients.back!.clientId, clients.pair!.clientId].sort());
      expect(JSON.stringify(forSession)).not.toMatch(/eyJ/); // never a token
      // Nothing is left to do.
      expect(await ctx.container.backchannelLogout.runOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    });

    it("retries with backoff until the RP answers 200, with a fresh token each time, and audits every outcome", async () => {
      receiver.expect("/bc/flaky", clients.flaky!.clientId, [500, 503]);
      const { session } = await signIn(["flaky"]);
      const ended = await ctx.container.logout.endSession(session.id, { reason: "logout" });
      expect(ended).toMatchObject({ ended: true, backchannel: 1 });
      const worker = ctx.container.backchannelLogout;
      const row = () => ctx.container.prisma.logoutDelivery.findFirstOrThrow({ where: { sessionId: session.id } });

      expect(await worker.runOnce()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      let r = await row();
      expect(r).toMatchObject({ status: "pending", attempts: 1, lastStatus: 500, lastError: "HTTP 500" });
      expect(r.nextAttemptAt.getTime()).toBe(ctx.clock.nowMs() + RETRY_DELAYS_MS[0]);
      expect(await worker.runOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 }); // not due yet

      ctx.clock.advance(RETRY_DELAYS_MS[0]);
      expect(await worker.runOnce()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      r = await row();
      expect(r).toMatchObject({ attempts: 2, lastStatus: 503 });
      expect(r.nextAttemptAt.getTime()).toBe(ctx.clock.nowMs() + RETRY_DELAYS_MS[1]);
      ctx.clock.advance(RETRY_DELAYS_MS[1] - 1000);
      expect(await worker.runOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
      ctx.clock.advance(1000);
      expect(await worker.runOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      r = await row();
      expect(r).toMatchObject({ status: "delivered", attempts: 3, lastStatus: 200, lastError: null });

      const tokensSeen = receiver.to("/bc/flaky");
      expect(tokensSeen.map((t) => t.status)).toEqual([500, 503, 200]);
      expect(tokensSeen.every((t) => t.error === undefined)).toBe(true);
      expect(new Set(tokensSeen.map((t) => t.claims!.jti)).size).toBe(3);
      expect(tokensSeen.map((t) => t.claims!.iat)).toEqual([...tokensSeen.map((t) => t.claims!.iat)].sort());

      const audit = await ctx.container.prisma.auditEvent.findMany({ where: { targetId: clients.flaky!.clientId, type: { startsWith: "logout.backchannel." } }, orderBy: { occurredAt: "asc" } });
      expect(audit.map((a) => [a.type, (a.details as { attempt: number }).attempt, (a.details as { httpStatus: number }).httpStatus])).toEqual([
        ["logout.backchannel.retry", 1, 500],
        ["logout.backchannel.retry", 2, 503],
        ["logout.backchannel.delivered", 3, 200],
      ]);
      expect(audit.map((a) => a.outcome)).toEqual(["failure", "failure", "success"]);
    });

    it("gives up after the last attempt (unreachable RP) and audits it", async () => {
      const { session } = await signIn(["down"]);
      await ctx.container.logout.endSession(session.id, { reason: "logout" });
      const worker = ctx.container.backchannelLogout;
      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        expect(await worker.runOnce()).toEqual({ delivered: 0, retried: 1, failed: 0 });
        ctx.clock.advance(RETRY_DELAYS_MS[attempt - 1]!);
      }
      expect(await worker.runOnce()).toEqual({ delivered: 0, retried: 0, failed: 1 });
      const r = await ctx.container.prisma.logoutDelivery.findFirstOrThrow({ where: { sessionId: session.id } });
      expect(r).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
      expect(r.lastError).toMatch(/^network error/);
      expect(r.finishedAt).not.toBeNull();
      const failed = await ctx.container.prisma.auditEvent.findMany({ where: { type: "logout.backchannel.failed", targetId: clients.down!.clientId } });
      expect(failed).toHaveLength(1);
      expect(failed[0]!.details).toMatchObject({ attempt: MAX_ATTEMPTS });
      // Finished rows are deleted once they are old enough.
      ctx.clock.advance(RETAIN_FINISHED_MS + 3_600_000);
      await ctx.container.expiredRecords.runOnce();
      expect(await ctx.container.prisma.logoutDelivery.count({ where: { sessionId: session.id } })).toBe(0);
    });

    it("two workers (two instances) deliver a row once; a crashed attempt's lease runs out and it is retried", async () => {
      receiver.expect("/bc/other", clients.other!.clientId);
      const { session } = await signIn(["other"]);
      await ctx.container.logout.endSession(session.id, { reason: "admin", actor: { type: "admin", id: "root" } });
      const second = new BackchannelLogoutWorker({
        prisma: ctx.container.prisma,
        clock: ctx.clock,
        logger: silentLogger,
        audit: ctx.container.audit,
        signer: ctx.container.keyStore,
        subjects: ctx.container.oidc.subjects,
        issuer: ISSUER,
        tenantId: "default",
      });
      const before = receiver.to("/bc/other").length;
      const [a, b] = await Promise.all([ctx.container.backchannelLogout.runOnce(), second.runOnce()]);
      expect(a.delivered + b.delivered).toBe(1);
      expect(receiver.to("/bc/other").length - before).toBe(1);

      // An instance that claimed a row and died: the row waits for its lease, then is delivered.
      const { session: s2 } = await signIn(["other"]);
      await ctx.container.logout.endSession(s2.id, { reason: "logout" });
      const due = await ctx.container.prisma.logoutDelivery.findFirstOrThrow({ where: { sessionId: s2.id } });
      await ctx.container.prisma.logoutDelivery.update({ where: { id: due.id }, data: { attempts: 1, nextAttemptAt: new Date(ctx.clock.nowMs() + LEASE_MS) } });
      expect(await second.runOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
      ctx.clock.advance(LEASE_MS);
      expect(await second.runOnce()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      const audit = await ctx.container.prisma.auditEvent.findFirstOrThrow({ where: { type: "session.logout", targetId: session.id } });
      expect(audit).toMatchObject({ actorType: "admin", actorId: "root" });
    });

    it("ending a session twice fans out once", async () => {
      const { session } = await signIn(["back"]);
      expect((await ctx.container.logout.endSession(session.id, { reason: "logout" })).ended).toBe(true);
      expect(await ctx.container.logout.endSession(session.id, { reason: "logout" })).toEqual({ ended: false, frontchannel: [], backchannel: 0, revokedFamilies: 0 });
      expect(await ctx.container.prisma.logoutDelivery.count({ where: { sessionId: session.id } })).toBe(1);
      await ctx.container.backchannelLogout.runOnce();
    });
  });
});

describe(`back-channel logout across a restart (${databaseKind})`, () => {
  let first: TestContext;
  let second: TestContext | undefined;
  const receiver = new LogoutReceiver(() => ({ container: (second ?? first).container, now: () => (second ?? first).clock.now() }));

  beforeAll(async () => {
    await receiver.listen();
    first = await createTestContainer();
    await runStartupTasks(first.container);
  });
  afterAll(async () => {
    if (second) await second.cleanup();
    else await first?.cleanup();
    await receiver.close();
  });

  it("a pending delivery is delivered by the next process's worker", async () => {
    const { container } = first;
    const userId = (await container.users.create({ email: "bob@example.com", password: "bob-password-1" })).id;
    const { client } = await container.clients.create({
      name: "RP",
      type: "confidential",
      redirectUris: ["https://rp.example.com/cb"],
      grantTypes: ["authorization_code"],
      scopes: ["openid"],
      backchannelLogoutUri: receiver.url("/bc"),
    });
    receiver.expect("/bc", client.clientId);
    const session = await container.sessions.start({ userId });
    await container.sessions.addClient(session.id, client.id);
    expect((await container.logout.endSession(session.id, { reason: "logout" })).backchannel).toBe(1);
    // The process stops before its worker ran (it was never started here).
    await container.close();
    expect(receiver.received).toHaveLength(0);

    second = await createTestContainer({ target: first.target, overrides: { masterKey: first.masterKey } });
    second.clock.set(first.clock.nowMs() + 3_600_000); // an hour later: a token signed at logout would have expired
    await second.container.keyStore.start();
    second.container.backchannelLogout.start();
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 10_000, interval: 50 });
    await second.container.backchannelLogout.stop();
    const [got] = receiver.received;
    expect(got!.error).toBeUndefined();
    expect(got!.status).toBe(200);
    expect(got!.claims).toMatchObject({ sid: session.id, sub: userId, aud: client.clientId, iat: Math.floor(second.clock.nowMs() / 1000) });
    const row = await second.container.prisma.logoutDelivery.findFirstOrThrow({ where: { sessionId: session.id } });
    expect(row).toMatchObject({ status: "delivered", attempts: 1 });
  });
});
