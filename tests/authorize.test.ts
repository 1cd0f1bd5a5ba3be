import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client, Session } from "../lib/generated/prisma/client";
import { runRoute } from "../lib/http/pipeline";
import { findRoute } from "../lib/http/routes";
import { s256CodeChallenge } from "../lib/oauth/pkce";
import { hashSecret, randomToken } from "../lib/security/secrets";
import { runStartupTasks } from "../lib/server/first-start";
import { CONSENT_TEXT_VERSION } from "../lib/consent/grant-service";
import { SESSION_COOKIE, SESSION_LIFETIME_SECONDS } from "../lib/sessions/browser-session";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";
import { Browser } from "./support/browser";

const ISSUER = "http://localhost:3000";
const PASSWORD = "alice-password-1";

function pkcePair() {
  const verifier = randomToken(32);
  return { verifier, challenge: s256CodeChallenge(verifier) };
}

type Params = Record<string, string | string[] | undefined>;

function query(params: Params): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(name, v);
  }
  return search.toString();
}

describe(`authorization endpoint (${databaseKind})`, () => {
  let ctx: TestContext;
  let web: Client;
  let twoUris: Client;
  let native: Client;
  let firstParty: Client;
  let withResources: Client;
  let noCodeGrant: Client;
  let userId: string;

  beforeAll(async () => {
    ctx = await createTestContainer();
    const { container } = ctx;
    await runStartupTasks(container);
    userId = (await container.users.create({ email: "alice@example.com", password: PASSWORD, name: "Alice" })).id;
    web = (
      await container.clients.create({
        name: "Web app",
        type: "confidential",
        redirectUris: ["https://app.example.com/cb?tenant=a"],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "profile", "email", "offline_access"],
        // RFC 8707 §2: a client may name only the resources registered for it.
        resources: ["https://api.example.com/", "https://files.example.com/"],
      })
    ).client;
    twoUris = (
      await container.clients.create({
        name: "Two URIs",
        type: "confidential",
        redirectUris: ["https://two.example.com/a", "https://two.example.com/b"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
      })
    ).client;
    native = (
      await container.clients.create({
        name: "Native app",
        type: "public",
        applicationType: "native",
        redirectUris: ["http://127.0.0.1/callback"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
      })
    ).client;
    firstParty = (
      await container.clients.create({
        name: "First party",
        type: "confidential",
        redirectUris: ["https://first.example.com/cb"],
        grantTypes: ["authorization_code"],
        scopes: ["openid", "profile"],
        requireConsent: false,
      })
    ).client;
    withResources = await container.db.prisma.client.update({
      where: {
        id: (
          await container.clients.create({
            name: "API client",
            type: "confidential",
            redirectUris: ["https://api-client.example.com/cb"],
            grantTypes: ["authorization_code"],
            scopes: ["openid"],
          })
        ).client.id,
      },
      data: { resources: ["https://api.example.com/", "https://files.example.com/"] },
    });
    // Registered with a redirect URI, but not (any longer) allowed to use the code flow.
    noCodeGrant = await container.db.prisma.client.update({
      where: {
        id: (
          await container.clients.create({
            name: "Service",
            type: "confidential",
            redirectUris: ["https://service.example.com/cb"],
            grantTypes: ["authorization_code"],
            scopes: [],
          })
        ).client.id,
      },
      data: { grantTypes: ["client_credentials"], responseTypes: [] },
    });
  });
  afterAll(() => ctx.cleanup());

  async function call(path: string, params: Params, browser?: Browser, init: { method?: string; headers?: Record<string, string> } = {}) {
    const method = init.method ?? "GET";
    const headers: Record<string, string> = { ...init.headers };
    const cookie = browser?.header();
    if (cookie) headers.cookie = cookie;
    let request: Request;
    if (method === "POST") {
      headers["content-type"] ??= "application/x-www-form-urlencoded";
      request = new Request(`${ISSUER}${path}`, { method, headers, body: query(params) });
    } else {
      const q = query(params);
      request = new Request(`${ISSUER}${path}${q ? `?${q}` : ""}`, { method, headers });
    }
    const response = await runRoute(findRoute(path)!, request, ctx.container, "127.0.0.1");
    return browser ? browser.absorb(response) : response;
  }

  const authorize = (params: Params, browser?: Browser, init?: { method?: string; headers?: Record<string, string> }) =>
    call("/oauth/authorize", params, browser, init);
  const resume = (id: string, browser?: Browser, headers?: Record<string, string>) => call("/oauth/authorize/resume", { interaction: id }, browser, { headers });

  function validParams(client: Client, extra: Params = {}): Params {
    return {
      client_id: client.clientId,
      response_type: "code",
      redirect_uri: client.redirectUris[0],
      scope: "openid",
      state: "st-" + randomToken(16),
      code_challenge: pkcePair().challenge,
      code_challenge_method: "S256",
      ...extra,
    };
  }

  /** The redirect's query, with the part of the URL before it. */
  function redirected(response: Response): { base: string; params: URLSearchParams } {
    expect(response.status).toBe(303);
    const location = response.headers.get("location")!;
    expect(location).toBeTruthy();
    const q = location.indexOf("?");
    return { base: location.slice(0, q), params: new URLSearchParams(location.slice(q + 1)) };
  }

  async function expectErrorPage(response: Response, error: string) {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get("location")).toBeNull();
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    expect(html).toContain(`<code>${error}</code>`);
    return html;
  }

  function expectRedirectError(response: Response, error: string, sent: Params, base: string) {
    const { base: actualBase, params } = redirected(response);
    expect(actualBase).toBe(base);
    expect(params.get("error")).toBe(error);
    expect(params.get("error_description")).toBeTruthy();
    expect(params.get("state")).toBe(sent.state);
    expect(params.get("iss")).toBe(ISSUER); // RFC 9207
    expect(params.get("code")).toBeNull();
    return params;
  }

  /** Drives a browser through login (as the page's server action would) and returns its session. */
  async function signIn(browser: Browser, interactionId: string): Promise<Session> {
    const outcome = await ctx.container.interactions.submitLogin(interactionId, browser.binding, "alice@example.com", PASSWORD, {
      ipAddress: "203.0.113.9",
      userAgent: "test-agent",
    });
    expect(outcome.status).toBe("signed_in");
    if (outcome.status !== "signed_in") throw new Error("login failed");
    expect(outcome.redirectTo).toBe(`/oauth/authorize/resume?interaction=${interactionId}`);
    const setCookie = await ctx.container.sessions.setCookieHeader(outcome.session);
    browser.absorb(new Response(null, { headers: { "set-cookie": setCookie } }));
    return outcome.session;
  }

  function interactionIdFrom(response: Response, page: "/login" | "/consent"): string {
    const location = response.headers.get("location")!;
    expect(response.status).toBe(303);
    // The request's ui_locales, if any, rides along (the page and its layout render in that language).
    expect(location).toMatch(new RegExp(`^${page}\\?interaction=[A-Za-z0-9_-]{43}(&ui_locales=[A-Za-z0-9%_-]+)?$`));
    return new URL(location, ISSUER).searchParams.get("interaction")!;
  }

  describe("errors shown to the user, never redirected (RFC 6749 §4.1.2.1)", () => {
    it("missing, unknown and disabled client_id", async () => {
      await expectErrorPage(await authorize({ response_type: "code" }), "invalid_request");
      await expectErrorPage(await authorize(validParams({ ...web, clientId: "nope" } as Client)), "invalid_client");
      const disabled = (
        await ctx.container.clients.create({ name: "Off", type: "public", redirectUris: ["https://off.example.com/cb"], grantTypes: ["authorization_code"] })
      ).client;
      await ctx.container.db.prisma.client.update({ where: { id: disabled.id }, data: { enabled: false } });
      await expectErrorPage(await authorize(validParams(disabled)), "invalid_client");
    });

    it("a redirect_uri that does not match exactly", async () => {
      for (const uri of ["https://app.example.com/cb", "https://app.example.com/cb?tenant=a&x=1", "https://evil.example.com/cb?tenant=a", "https://APP.example.com/cb?tenant=a"]) {
        const html = await expectErrorPage(await authorize(validParams(web, { redirect_uri: uri })), "invalid_request");
        expect(html).toContain("redirect_uri does not match");
        expect(html).not.toContain("evil.example.com");
      }
    });

    it("a missing redirect_uri when the client registered more than one", async () => {
      const html = await expectErrorPage(await authorize(validParams(twoUris, { redirect_uri: undefined })), "invalid_request");
      expect(html).toContain("redirect_uri is required");
    });

    it("a duplicated client_id or redirect_uri, and an unreadable POST body", async () => {
      await expectErrorPage(await authorize(validParams(web, { client_id: [web.clientId, web.clientId] })), "invalid_request");
      await expectErrorPage(await authorize(validParams(web, { redirect_uri: [web.redirectUris[0]!, web.redirectUris[0]!] })), "invalid_request");
      const wrongType = await authorize(validParams(web), undefined, { method: "POST", headers: { "content-type": "application/json" } });
      expect(wrongType.status).toBe(415);
      await expectErrorPage(wrongType, "invalid_request");
    });

    it("web clients get no loopback port exception", async () => {
      const loopbackWeb = (
        await ctx.container.clients.create({ name: "Local web", type: "public", redirectUris: ["http://127.0.0.1:8080/cb"], grantTypes: ["authorization_code"] })
      ).client;
      await expectErrorPage(await authorize(validParams(loopbackWeb, { redirect_uri: "http://127.0.0.1:9090/cb" })), "invalid_request");
    });

    it("is localized from Accept-Language", async () => {
      const response = await authorize({ response_type: "code" }, undefined, { headers: { "accept-language": "de-DE,de;q=0.9" } });
      const html = await response.text();
      expect(html).toContain('<html lang="de">');
      expect(html).toContain("Diese Anmeldeanfrage kann nicht abgeschlossen werden");
      const french = await (await authorize({ response_type: "code" }, undefined, { headers: { "accept-language": "fr-CH,fr;q=0.9,en;q=0.5" } })).text();
      expect(french).toContain('<html lang="fr">');
      expect(french).toContain("Cette demande de connexion ne peut pas aboutir");
    });
  });

  describe("errors redirected to the client with state and iss", () => {
    const base = "https://app.example.com/cb";
    const cases: [string, Params, string][] = [
      ["missing response_type", { response_type: undefined }, "invalid_request"],
      ["response_type=token", { response_type: "token" }, "unsupported_response_type"],
      ["response_type=code id_token", { response_type: "code id_token" }, "unsupported_response_type"],
      ["missing code_challenge", { code_challenge: undefined, code_challenge_method: undefined }, "invalid_request"],
      ["code_challenge_method=plain", { code_challenge: "a".repeat(43), code_challenge_method: "plain" }, "invalid_request"],
      ["missing code_challenge_method", { code_challenge_method: undefined }, "invalid_request"],
      ["malformed code_challenge", { code_challenge: "too-short" }, "invalid_request"],
      ["unknown response_mode", { response_mode: "fragment" }, "invalid_request"],
      ["request object", { request: "eyJhbGciOiJub25lIn0.e30." }, "request_not_supported"],
      ["request_uri", { request_uri: "urn:ietf:params:oauth:request_uri:abc" }, "request_uri_not_supported"],
      ["duplicated scope", { scope: ["openid", "profile"] }, "invalid_request"],
      ["duplicated nonce", { nonce: ["a", "b"] }, "invalid_request"],
      ["malformed scope", { scope: 'openid "quoted"' }, "invalid_scope"],
      ["relative resource", { resource: "/api" }, "invalid_target"],
      ["resource with a fragment", { resource: "https://api.example.com/#x" }, "invalid_target"],
      ["oversized nonce", { nonce: "n".repeat(600) }, "invalid_request"],
      ["malformed max_age", { max_age: "-1" }, "invalid_request"],
      ["claims that are not a JSON object", { claims: "[1,2]" }, "invalid_request"],
    ];
    it.each(cases)("%s", async (_label, extra, error) => {
      const sent = validParams(web, extra);
      expectRedirectError(await authorize(sent), error, sent, base);
    });

    it("keeps the redirect URI's own query (RFC 6749 §3.1.2)", async () => {
      const response = await authorize(validParams(web, { response_type: "token" }));
      expect(response.headers.get("location")).toMatch(/^https:\/\/app\.example\.com\/cb\?tenant=a&error=unsupported_response_type&/);
    });

    it("unauthorized_client when the client may not use the code flow", async () => {
      const sent = validParams(noCodeGrant);
      expectRedirectError(await authorize(sent), "unauthorized_client", sent, "https://service.example.com/cb");
    });

    it("a resource the client is not registered for: invalid_target (RFC 8707 §2)", async () => {
      const sent = validParams(withResources, { resource: "https://other.example.com/" });
      expectRedirectError(await authorize(sent), "invalid_target", sent, "https://api-client.example.com/cb");
    });

    it("omits state when the request had none", async () => {
      const { params } = redirected(await authorize(validParams(web, { state: undefined, response_type: "token" })));
      expect(params.has("state")).toBe(false);
      expect(params.get("iss")).toBe(ISSUER);
    });

    it("in form_post mode: an auto-submitting form that works under its CSP, with a noscript button", async () => {
      const sent = validParams(web, { response_type: "token", response_mode: "form_post" });
      const response = await authorize(sent);
      expect(response.status).toBe(200);
      expect(response.headers.get("location")).toBeNull();
      expect(response.headers.get("cache-control")).toBe("no-store");
      const csp = response.headers.get("content-security-policy")!;
      expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
      expect(csp).not.toContain("unsafe-inline'; script");
      const html = await response.text();
      expect(html).toContain('<form method="post" action="https://app.example.com/cb?tenant=a">');
      expect(html).toContain('<input type="hidden" name="error" value="unsupported_response_type">');
      expect(html).toContain(`<input type="hidden" name="state" value="${sent.state}">`);
      expect(html).toContain(`<input type="hidden" name="iss" value="${ISSUER}">`);
      expect(html).toMatch(/<noscript>.*<button type="submit">Continue<\/button><\/noscript>/s);
      const script = /<script>(.*?)<\/script>/s.exec(html)![1]!;
      const { createHash } = await import("node:crypto");
      expect(csp).toContain(`'sha256-${createHash("sha256").update(script).digest("base64")}'`);
    });

    it("escapes what it echoes into the form_post page", async () => {
      const sent = validParams(web, { response_type: "token", response_mode: "form_post", state: '"><script>alert(1)</script>' });
      const html = await (await authorize(sent)).text();
      expect(html).not.toContain("<script>alert(1)");
      expect(html).toContain("&quot;&gt;&lt;script&gt;");
    });

    it("a duplicated parameter other than client_id/redirect_uri is still redirected with state", async () => {
      const sent = validParams(web, { code_challenge_method: ["S256", "S256"] });
      expectRedirectError(await authorize(sent), "invalid_request", sent, base);
    });

    it("the per-client rate limit: temporarily_unavailable", async () => {
      const limited = await createTestContainer({ env: { AUTHLY_RATE_LIMIT_PER_CLIENT: "2" } });
      try {
        await runStartupTasks(limited.container);
        const client = (
          await limited.container.clients.create({ name: "Busy", type: "public", redirectUris: ["https://busy.example.com/cb"], grantTypes: ["authorization_code"] })
        ).client;
        const run = (params: Params) => runRoute(findRoute("/oauth/authorize")!, new Request(`${ISSUER}/oauth/authorize?${query(params)}`), limited.container);
        expect((await run(validParams(client))).headers.get("location")).toMatch(/^\/login\?/);
        expect((await run(validParams(client))).headers.get("location")).toMatch(/^\/login\?/);
        const sent = validParams(client);
        expectRedirectError(await run(sent), "temporarily_unavailable", sent, "https://busy.example.com/cb");
      } finally {
        await limited.cleanup();
      }
    });
  });

  describe("interactions", () => {
    it("stores a valid request, bound to the browser, and sends it to /login", async () => {
      const browser = new Browser();
      const sent = validParams(web, {
        scope: "openid profile unknown-scope phone offline_access",
        nonce: "n-1",
        prompt: "login",
        max_age: "300",
        login_hint: "alice@example.com",
        ui_locales: "de en",
        acr_values: "urn:example:loa:1",
        claims: '{"id_token":{"email":null}}',
        unknown_param: "ignored",
      });
      const response = await authorize(sent, browser);
      const id = interactionIdFrom(response, "/login");
      const setCookie = response.headers.getSetCookie().find((c) => c.startsWith("authly_interaction="))!;
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Lax/);
      expect(setCookie).toMatch(/Path=\//);
      expect(setCookie).not.toMatch(/Secure/); // http issuer
      expect(browser.binding).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const row = await ctx.container.db.prisma.interaction.findUniqueOrThrow({ where: { id } });
      expect(row.prompt).toBe("login");
      expect(row.clientId).toBe(web.id);
      expect(row.consumedAt).toBeNull();
      expect(row.expiresAt.getTime() - ctx.clock.nowMs()).toBe(10 * 60 * 1000);
      const params = row.params as { request: Record<string, unknown>; binding: string };
      expect(params.binding).toBe(hashSecret(browser.binding!));
      expect(JSON.stringify(params)).not.toContain(browser.binding!);
      expect(params.request).toEqual({
        clientId: web.clientId,
        redirectUri: "https://app.example.com/cb?tenant=a",
        redirectUriParam: "https://app.example.com/cb?tenant=a",
        responseMode: "query",
        // RFC 6749 §3.3: unknown and not allowed scopes are dropped, not an error.
        scopes: ["openid", "profile", "offline_access"],
        resources: [],
        state: sent.state,
        codeChallenge: sent.code_challenge,
        codeChallengeMethod: "S256",
        nonce: "n-1",
        prompt: "login",
        maxAge: 300,
        loginHint: "alice@example.com",
        uiLocales: "de en",
        acrValues: "urn:example:loa:1",
        claims: { id_token: { email: null } },
      });

      const view = await ctx.container.interactions.get(id, browser.binding);
      expect(view).toMatchObject({ id, prompt: "login", client: { name: "Web app" }, loginHint: "alice@example.com" });
      expect(view!.scopes.map((s) => s.name)).toEqual(["openid", "profile", "offline_access"]);
      // Another browser sees nothing.
      expect(await ctx.container.interactions.get(id, randomToken(32))).toBeNull();
      expect(await ctx.container.interactions.get(id, undefined)).toBeNull();
    });

    it("reuses the browser's binding cookie for a second request", async () => {
      const browser = new Browser();
      await authorize(validParams(web), browser);
      const first = browser.binding;
      const second = await authorize(validParams(web), browser);
      expect(second.headers.getSetCookie().some((c) => c.startsWith("authly_interaction="))).toBe(false);
      expect(browser.binding).toBe(first);
    });

    it("login: wrong credentials say nothing about which part was wrong", async () => {
      const browser = new Browser();
      const id = interactionIdFrom(await authorize(validParams(web), browser), "/login");
      const wrongPassword = await ctx.container.interactions.submitLogin(id, browser.binding, "alice@example.com", "wrong-password-1");
      const unknownUser = await ctx.container.interactions.submitLogin(id, browser.binding, "nobody@example.com", PASSWORD);
      expect(wrongPassword).toEqual({ status: "invalid_credentials" });
      expect(unknownUser).toEqual({ status: "invalid_credentials" });
      // From another browser the interaction does not exist.
      expect(await ctx.container.interactions.submitLogin(id, randomToken(32), "alice@example.com", PASSWORD)).toEqual({ status: "invalid_interaction" });
    });

    it("full flow: login, consent allow, code; the code row is stored hashed with the right fields", async () => {
      const browser = new Browser();
      const { verifier, challenge } = pkcePair();
      const sent = validParams(web, {
        scope: "openid profile",
        code_challenge: challenge,
        nonce: "nonce-42",
        claims: '{"userinfo":{"name":{"essential":true}}}',
        resource: ["https://api.example.com/", "https://files.example.com/"],
      });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");

      // Resume before login: back to the login page.
      expect((await resume(id, browser)).headers.get("location")).toBe(`/login?interaction=${id}`);

      ctx.clock.advance(5_000);
      const session = await signIn(browser, id);
      expect(session).toMatchObject({ userId, amr: ["pwd"], ipAddress: "203.0.113.9", userAgent: "test-agent", endedAt: null });
      expect(session.expiresAt.getTime() - session.authTime.getTime()).toBe(SESSION_LIFETIME_SECONDS * 1000);
      expect(browser.cookies.get(SESSION_COOKIE)).toBeTruthy();
      expect(browser.cookies.get(SESSION_COOKIE)).not.toContain(session.id);

      // The client asks for consent: resume sends the browser to /consent.
      const toConsent = await resume(id, browser);
      expect(toConsent.headers.get("location")).toBe(`/consent?interaction=${id}`);
      const view = await ctx.container.interactions.get(id, browser.binding);
      expect(view).toMatchObject({ prompt: "consent", userEmail: "alice@example.com", client: { name: "Web app" } });
      expect(view!.scopes.map((s) => s.name)).toEqual(["openid", "profile"]);

      expect(await ctx.container.interactions.submitConsent(id, browser.binding, "allow")).toEqual({
        status: "ok",
        redirectTo: `/oauth/authorize/resume?interaction=${id}`,
      });
      const grant = await ctx.container.db.prisma.grant.findFirstOrThrow({ where: { userId, clientId: web.id } });
      expect(grant).toMatchObject({ scopes: ["openid", "profile"], claims: [], consentTextVersion: CONSENT_TEXT_VERSION, revokedAt: null });
      const records = await ctx.container.db.prisma.consentRecord.findMany({ where: { userId, clientId: web.id } });
      // The record: what was asked, when, on which version of the consent text (GDPR Art. 7(1)).
      expect(records.map((r) => [r.action, r.scopes, r.claims, r.grantId, r.consentTextVersion, r.createdAt.getTime()])).toEqual([
        // (name is asked for through the claims parameter, but the profile scope releases it already: OIDC Core §5.4)
        ["granted", ["openid", "profile"], [], grant.id, CONSENT_TEXT_VERSION, ctx.clock.nowMs()],
      ]);

      const final = await resume(id, browser);
      const { base, params } = redirected(final);
      expect(base).toBe("https://app.example.com/cb");
      expect(params.get("tenant")).toBe("a");
      expect(params.get("state")).toBe(sent.state);
      expect(params.get("iss")).toBe(ISSUER);
      const code = params.get("code")!;
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const row = await ctx.container.db.prisma.authorizationCode.findUniqueOrThrow({ where: { codeHash: hashSecret(code) } });
      expect(JSON.stringify(row)).not.toContain(code);
      expect(row).toMatchObject({
        clientId: web.id,
        userId,
        sessionId: session.id,
        grantId: grant.id,
        redirectUri: "https://app.example.com/cb?tenant=a",
        scopes: ["openid", "profile"],
        resources: ["https://api.example.com/", "https://files.example.com/"],
        codeChallenge: challenge,
        codeChallengeMethod: "S256",
        nonce: "nonce-42",
        claims: { userinfo: { name: { essential: true } } },
        // OIDC Core §3.1.2.1 acr_values: a password sign-in is urn:authly:acr:password.
        acr: "urn:authly:acr:password",
        amr: ["pwd"],
        consumedAt: null,
      });
      expect(row.authTime?.getTime()).toBe(session.authTime.getTime());
      expect(row.expiresAt.getTime() - ctx.clock.nowMs()).toBe(60_000);
      expect(s256CodeChallenge(verifier)).toBe(row.codeChallenge);
      const storedSession = await ctx.container.db.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
      expect(storedSession.clientIds).toEqual([web.id]);

      // Single use: the interaction is gone now.
      await expectErrorPage(await resume(id, browser), "invalid_request");
      expect(await ctx.container.interactions.get(id, browser.binding)).toBeNull();

      // Same browser, same scopes again: no login, no consent, a code at once.
      const again = await authorize(validParams(web, { scope: "openid profile" }), browser);
      const second = redirected(again);
      expect(second.params.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await ctx.container.db.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).clientIds).toEqual([web.id]);

      // Fewer scopes: covered by the grant. More scopes: consent again, for the new set.
      expect(redirected(await authorize(validParams(web, { scope: "openid" }), browser)).params.get("code")).toBeTruthy();
      const more = interactionIdFrom(await authorize(validParams(web, { scope: "openid email" }), browser), "/consent");
      // The consent page learns what is granted already, to ask only for the rest (email).
      const moreView = await ctx.container.interactions.get(more, browser.binding);
      expect(moreView?.granted.scopes).toEqual(["openid", "profile"]);
      expect(moreView?.granted.claims).toEqual(expect.arrayContaining(["name", "given_name", "family_name"]));
      expect(moreView?.granted.claims).not.toContain("email");
      expect(moreView?.scopes.map((s) => s.name).filter((name) => !moreView.granted.scopes.includes(name))).toEqual(["email"]);
      await ctx.container.interactions.submitConsent(more, browser.binding, "allow");
      expect(redirected(await resume(more, browser)).params.get("code")).toBeTruthy();
      expect((await ctx.container.db.prisma.grant.findFirstOrThrow({ where: { userId, clientId: web.id } })).scopes.sort()).toEqual(["email", "openid", "profile"]);
    });

    it("consent deny: access_denied to the redirect URI, recorded in the history", async () => {
      const browser = new Browser();
      const sent = validParams(twoUris, { redirect_uri: "https://two.example.com/b" });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");
      await signIn(browser, id);
      expect((await resume(id, browser)).headers.get("location")).toBe(`/consent?interaction=${id}`);
      await ctx.container.interactions.submitConsent(id, browser.binding, "deny");
      expectRedirectError(await resume(id, browser), "access_denied", sent, "https://two.example.com/b");
      const records = await ctx.container.db.prisma.consentRecord.findMany({ where: { userId, clientId: twoUris.id } });
      expect(records.map((r) => r.action)).toEqual(["denied"]);
      expect(await ctx.container.db.prisma.grant.findFirst({ where: { userId, clientId: twoUris.id } })).toBeNull();
      expect(await ctx.container.db.prisma.authorizationCode.count({ where: { clientId: twoUris.id } })).toBe(0);
    });

    it("a signed-in user is sent straight to /consent; deny in form_post mode", async () => {
      const browser = new Browser();
      await signIn(browser, interactionIdFrom(await authorize(validParams(firstParty), browser), "/login"));
      const sent = validParams(twoUris, { redirect_uri: "https://two.example.com/a", response_mode: "form_post" });
      const id = interactionIdFrom(await authorize(sent, browser), "/consent");
      await ctx.container.interactions.submitConsent(id, browser.binding, "deny");
      const html = await (await resume(id, browser)).text();
      expect(html).toContain('<form method="post" action="https://two.example.com/a">');
      expect(html).toContain('name="error" value="access_denied"');
      expect(html).toContain(`name="state" value="${sent.state}"`);
    });

    it("clients with requireConsent=false skip consent; form_post delivers the code", async () => {
      const browser = new Browser();
      const sent = validParams(firstParty, { response_mode: "form_post", scope: "openid profile" });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");
      await signIn(browser, id);
      const response = await resume(id, browser);
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain('<form method="post" action="https://first.example.com/cb">');
      const code = /name="code" value="([^"]+)"/.exec(html)![1]!;
      expect(await ctx.container.db.prisma.authorizationCode.findUnique({ where: { codeHash: hashSecret(code) } })).not.toBeNull();
      expect(html).toContain(`name="iss" value="${ISSUER}"`);
      expect(await ctx.container.db.prisma.grant.findFirst({ where: { userId, clientId: firstParty.id } })).toBeNull();
    });

    it("resume from a different browser, or without the binding cookie, is refused and does not consume", async () => {
      const browser = new Browser();
      const id = interactionIdFrom(await authorize(validParams(firstParty), browser), "/login");
      await signIn(browser, id);
      const attacker = new Browser();
      attacker.cookies.set("authly_interaction", randomToken(32));
      attacker.cookies.set(SESSION_COOKIE, browser.cookies.get(SESSION_COOKIE)!);
      await expectErrorPage(await resume(id, attacker), "invalid_request");
      const noBinding = new Browser();
      noBinding.cookies.set(SESSION_COOKIE, browser.cookies.get(SESSION_COOKIE)!);
      await expectErrorPage(await resume(id, noBinding), "invalid_request");
      expect((await ctx.container.db.prisma.interaction.findUniqueOrThrow({ where: { id } })).consumedAt).toBeNull();
      expect(redirected(await resume(id, browser)).params.get("code")).toBeTruthy();
    });

    it("Next router fetches (RSC) never consume an interaction", async () => {
      const browser = new Browser();
      const id = interactionIdFrom(await authorize(validParams(firstParty), browser), "/login");
      await signIn(browser, id);
      const rsc = await resume(id, browser, { rsc: "1" });
      expect(rsc.status).toBe(204);
      expect((await ctx.container.db.prisma.interaction.findUniqueOrThrow({ where: { id } })).consumedAt).toBeNull();
      expect(redirected(await resume(id, browser)).params.get("code")).toBeTruthy();
    });

    it("is single-use under concurrency: exactly one resume gets a code", async () => {
      const browser = new Browser();
      const id = interactionIdFrom(await authorize(validParams(firstParty), browser), "/login");
      await signIn(browser, id);
      const responses = await Promise.all([resume(id, browser), resume(id, browser), resume(id, browser)]);
      const codes = responses.filter((r) => r.status === 303 && r.headers.get("location")!.includes("code="));
      expect(codes).toHaveLength(1);
      expect(responses.filter((r) => r.status === 400)).toHaveLength(2);
    });

    it("an expired interaction is refused everywhere", async () => {
      const browser = new Browser();
      const id = interactionIdFrom(await authorize(validParams(firstParty), browser), "/login");
      ctx.clock.advance(10 * 60 * 1000 + 1);
      expect(await ctx.container.interactions.get(id, browser.binding)).toBeNull();
      expect(await ctx.container.interactions.submitLogin(id, browser.binding, "alice@example.com", PASSWORD)).toEqual({ status: "invalid_interaction" });
      expect(await ctx.container.interactions.submitConsent(id, browser.binding, "allow")).toEqual({ status: "invalid_interaction" });
      const html = await expectErrorPage(await resume(id, browser), "invalid_request");
      expect(html).toContain("This sign-in request has expired");
      await expectErrorPage(await resume("not-an-id", browser), "invalid_request");
      await expectErrorPage(await call("/oauth/authorize/resume", {}, browser), "invalid_request");
    });

    it("an expired or ended session is not used", async () => {
      const browser = new Browser();
      const session = await signIn(browser, interactionIdFrom(await authorize(validParams(firstParty), browser), "/login"));
      expect(redirected(await authorize(validParams(firstParty), browser)).params.get("code")).toBeTruthy();
      ctx.clock.advance(SESSION_LIFETIME_SECONDS * 1000);
      interactionIdFrom(await authorize(validParams(firstParty), browser), "/login");
      ctx.clock.advance(-SESSION_LIFETIME_SECONDS * 1000);
      expect(redirected(await authorize(validParams(firstParty), browser)).params.get("code")).toBeTruthy();
      await ctx.container.sessions.end(session.id, "logout");
      interactionIdFrom(await authorize(validParams(firstParty), browser), "/login");
      // A forged or foreign cookie is no session either.
      const forged = new Browser();
      forged.cookies.set(SESSION_COOKIE, "Fe26.2**garbage");
      interactionIdFrom(await authorize(validParams(firstParty), forged), "/login");
    });
  });

  describe("redirect URIs", () => {
    it("native loopback: any port, the response goes to the requested port and the code keeps it (RFC 8252 §7.3)", async () => {
      const browser = new Browser();
      const redirectUri = "http://127.0.0.1:53187/callback";
      const sent = validParams(native, { redirect_uri: redirectUri });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");
      await signIn(browser, id);
      expect((await resume(id, browser)).headers.get("location")).toBe(`/consent?interaction=${id}`);
      await ctx.container.interactions.submitConsent(id, browser.binding, "allow");
      const { base, params } = redirected(await resume(id, browser));
      expect(base).toBe(redirectUri);
      const row = await ctx.container.db.prisma.authorizationCode.findUniqueOrThrow({ where: { codeHash: hashSecret(params.get("code")!) } });
      expect(row.redirectUri).toBe(redirectUri);
      expect(row.clientId).toBe(native.id);
      // The path must still match exactly.
      await expectErrorPage(await authorize(validParams(native, { redirect_uri: "http://127.0.0.1:53187/callback/x" })), "invalid_request");
    });

    it("an omitted redirect_uri (single registered) uses it and stores an empty redirectUri on the code", async () => {
      const browser = new Browser();
      await signIn(browser, interactionIdFrom(await authorize(validParams(firstParty), browser), "/login"));
      const { base, params } = redirected(await authorize(validParams(firstParty, { redirect_uri: undefined }), browser));
      expect(base).toBe("https://first.example.com/cb");
      const row = await ctx.container.db.prisma.authorizationCode.findUniqueOrThrow({ where: { codeHash: hashSecret(params.get("code")!) } });
      expect(row.redirectUri).toBe("");
    });

    it("POST with a form body works like GET (OAuth 2.1 §4.1.1)", async () => {
      const browser = new Browser();
      const response = await authorize(validParams(firstParty), browser, { method: "POST" });
      interactionIdFrom(response, "/login");
      const sent = validParams(firstParty, { response_type: "token" });
      expectRedirectError(await authorize(sent, undefined, { method: "POST" }), "unsupported_response_type", sent, "https://first.example.com/cb");
    });

    it("a registered resource is accepted and carried", async () => {
      const browser = new Browser();
      const id = interactionIdFrom(await authorize(validParams(withResources, { resource: "https://api.example.com/" }), browser), "/login");
      const row = await ctx.container.db.prisma.interaction.findUniqueOrThrow({ where: { id } });
      expect((row.params as { request: { resources: string[] } }).request.resources).toEqual(["https://api.example.com/"]);
    });
  });
});
