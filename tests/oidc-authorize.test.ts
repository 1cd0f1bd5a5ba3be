/**
 * OpenID Connect authentication request parameters at the authorization endpoint (OIDC Core 1.0
 * §3.1.2.1-§3.1.2.6, §5.5): prompt, max_age and default_max_age, id_token_hint, acr_values and an
 * essential acr, the claims parameter and consent, login_hint and ui_locales. Driven browser-less
 * through the route pipeline with a cookie jar, like tests/authorize.test.ts.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client, Session } from "../lib/generated/prisma/client";
import { runRoute } from "../lib/http/pipeline";
import { findRoute } from "../lib/http/routes";
import { PASSWORD_ACR } from "../lib/oidc/authentication-request";
import { s256CodeChallenge } from "../lib/oauth/pkce";
import { hashSecret, randomToken } from "../lib/security/secrets";
import { runStartupTasks } from "../lib/server/first-start";
import { consentTranslator, interactionLocale, loginTranslator } from "../app/(auth)/login/page-locale";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";
import { Browser } from "./support/browser";

const ISSUER = "http://localhost:3000";
const PASSWORD = "oidc-alice-password-1";
const BOB_PASSWORD = "oidc-bob-password-1";

type Params = Record<string, string | undefined>;

function query(params: Params): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.append(name, value);
  return search.toString();
}

describe(`OpenID Connect authentication requests (${databaseKind})`, () => {
  let ctx: TestContext;
  let web: Client;
  let other: Client;
  let firstParty: Client;
  let patient: Client;
  let aliceId: string;
  let bobId: string;

  beforeAll(async () => {
    // Some cases let hours pass on the clock with the session unused: no idle expiry in the way.
    ctx = await createTestContainer({ env: { AUTHLY_SESSION_IDLE_MINUTES: "1440" } });
    const { container } = ctx;
    await runStartupTasks(container);
    aliceId = (await container.users.create({ email: "alice@example.com", password: PASSWORD, name: "Alice" })).id;
    bobId = (await container.users.create({ email: "bob@example.com", password: BOB_PASSWORD, name: "Bob" })).id;
    const create = async (name: string, redirect: string, extra: Record<string, unknown> = {}) =>
      (
        await container.clients.create({
          name,
          type: "confidential",
          redirectUris: [redirect],
          grantTypes: ["authorization_code", "refresh_token"],
          scopes: ["openid", "profile", "email", "phone"],
          ...extra,
        })
      ).client;
    web = await create("Web app", "https://app.example.com/cb");
    other = await create("Other app", "https://other.example.com/cb");
    firstParty = await create("First party", "https://first.example.com/cb", { requireConsent: false });
    // OIDC Registration §2 default_max_age: 120 seconds.
    patient = await create("Strict app", "https://strict.example.com/cb", { defaultMaxAge: 120 });
  });
  afterAll(() => ctx.cleanup());

  async function call(path: string, params: Params, browser?: Browser, headers: Record<string, string> = {}) {
    const all: Record<string, string> = { ...headers };
    const cookie = browser?.header();
    if (cookie) all.cookie = cookie;
    const q = query(params);
    const request = new Request(`${ISSUER}${path}${q ? `?${q}` : ""}`, { headers: all });
    const response = await runRoute(findRoute(path)!, request, ctx.container, "127.0.0.1");
    return browser ? browser.absorb(response) : response;
  }
  const authorize = (params: Params, browser?: Browser, headers?: Record<string, string>) => call("/oauth/authorize", params, browser, headers);
  const resume = (id: string, browser: Browser) => call("/oauth/authorize/resume", { interaction: id }, browser);

  function validParams(client: Client, extra: Params = {}): Params {
    return {
      client_id: client.clientId,
      response_type: "code",
      redirect_uri: client.redirectUris[0],
      scope: "openid",
      state: "st-" + randomToken(16),
      code_challenge: s256CodeChallenge(randomToken(32)),
      code_challenge_method: "S256",
      ...extra,
    };
  }

  function redirected(response: Response): { base: string; params: URLSearchParams } {
    expect(response.status).toBe(303);
    const location = response.headers.get("location")!;
    const q = location.indexOf("?");
    return { base: location.slice(0, q), params: new URLSearchParams(location.slice(q + 1)) };
  }

  /** An error sent back to the client's redirect URI with state and iss (RFC 6749 §4.1.2.1, RFC 9207). */
  function expectRedirectError(response: Response, error: string, sent: Params) {
    const { base, params } = redirected(response);
    expect(base).toBe(sent.redirect_uri);
    expect(params.get("error")).toBe(error);
    expect(params.get("error_description")).toBeTruthy();
    expect(params.get("state")).toBe(sent.state);
    expect(params.get("iss")).toBe(ISSUER);
    expect(params.get("code")).toBeNull();
    return params;
  }

  function expectCode(response: Response, sent: Params): string {
    const { base, params } = redirected(response);
    expect(base).toBe(sent.redirect_uri);
    expect(params.get("error")).toBeNull();
    expect(params.get("state")).toBe(sent.state);
    expect(params.get("iss")).toBe(ISSUER);
    // Session Management 1.0 §2: successful responses carry session_state.
    expect(params.get("session_state")).toMatch(/^[0-9a-f]{64}\.[0-9a-f]+$/);
    return params.get("code")!;
  }

  function interactionIdFrom(response: Response, page: "/login" | "/consent"): string {
    expect(response.status).toBe(303);
    const location = response.headers.get("location")!;
    // The request's ui_locales, if any, rides along (the page and its layout render in that language).
    expect(location).toMatch(new RegExp(`^${page}\\?interaction=[A-Za-z0-9_-]{43}(&ui_locales=[A-Za-z0-9%_-]+)?$`));
    return new URL(location, ISSUER).searchParams.get("interaction")!;
  }

  const codeRow = (code: string) => ctx.container.prisma.authorizationCode.findUniqueOrThrow({ where: { codeHash: hashSecret(code) } });
  const interactionCount = () => ctx.container.prisma.interaction.count();

  /** Signs in through the login page's service call (as the server action does) and stores the cookies. */
  async function signIn(browser: Browser, interactionId: string, who: "alice" | "bob" = "alice"): Promise<Session> {
    const email = who === "alice" ? "alice@example.com" : "bob@example.com";
    const outcome = await ctx.container.interactions.submitLogin(interactionId, browser.binding, email, who === "alice" ? PASSWORD : BOB_PASSWORD);
    if (outcome.status !== "signed_in") throw new Error(`login failed: ${outcome.status}`);
    for (const line of await ctx.container.sessions.setCookieHeaders(outcome.session)) browser.absorb(new Response(null, { headers: { "set-cookie": line } }));
    return outcome.session;
  }

  /** A browser signed in (Alice by default) through a first-party client (no consent), with the session. */
  async function signedInBrowser(who: "alice" | "bob" = "alice"): Promise<{ browser: Browser; session: Session }> {
    const browser = new Browser();
    const sent = validParams(firstParty);
    const id = interactionIdFrom(await authorize(sent, browser), "/login");
    const session = await signIn(browser, id, who);
    expectCode(await resume(id, browser), sent);
    return { browser, session };
  }

  describe("prompt=none (OIDC Core §3.1.2.1, §3.1.2.6)", () => {
    it("without a session: login_required to the redirect URI, with state and iss, and no interaction", async () => {
      const before = await interactionCount();
      const sent = validParams(web, { prompt: "none" });
      const params = expectRedirectError(await authorize(sent, new Browser()), "login_required", sent);
      expect(await interactionCount()).toBe(before);
      // Session Management 1.0 §4.1: session_state also on an authentication failure, for the
      // browser's state (no session: an empty OP browser state, as the iframe sees without the cookie).
      const [hash, salt] = params.get("session_state")!.split(".");
      const origin = new URL(String(sent.redirect_uri)).origin;
      expect(hash).toBe(createHash("sha256").update(`${web.clientId} ${origin}  ${salt}`).digest("hex"));
    });

    it("with a session and a covering grant: the code at once", async () => {
      const { browser, session } = await signedInBrowser();
      await ctx.container.grants.allow(aliceId, web.id, ["openid", "profile"]);
      const sent = validParams(web, { prompt: "none", scope: "openid profile" });
      const code = expectCode(await authorize(sent, browser), sent);
      expect(await codeRow(code)).toMatchObject({ userId: aliceId, sessionId: session.id, scopes: ["openid", "profile"] });
    });

    it("with a session but no grant covering the scopes: consent_required", async () => {
      const { browser } = await signedInBrowser();
      await ctx.container.grants.allow(aliceId, web.id, ["openid"]);
      const sent = validParams(web, { prompt: "none", scope: "openid phone" });
      expectRedirectError(await authorize(sent, browser), "consent_required", sent);
    });

    it("with max_age=0 or an exceeded max_age: login_required", async () => {
      const { browser } = await signedInBrowser();
      await ctx.container.grants.allow(aliceId, web.id, ["openid"]);
      const zero = validParams(web, { prompt: "none", max_age: "0" });
      expectRedirectError(await authorize(zero, browser), "login_required", zero);
      ctx.clock.advance(61_000);
      const exceeded = validParams(web, { prompt: "none", max_age: "60" });
      expectRedirectError(await authorize(exceeded, browser), "login_required", exceeded);
      const fine = validParams(web, { prompt: "none", max_age: "3600" });
      expectCode(await authorize(fine, browser), fine);
    });

    it("in form_post mode, in the language of ui_locales", async () => {
      const sent = validParams(web, { prompt: "none", response_mode: "form_post", ui_locales: "de" });
      const response = await authorize(sent, new Browser(), { "accept-language": "en" });
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain('<html lang="de">');
      expect(html).toContain('<input type="hidden" name="error" value="login_required">');
      expect(html).toContain(`<input type="hidden" name="state" value="${sent.state}">`);
    });
  });

  describe("prompt=login, max_age, default_max_age: a new sign-in inside the interaction", () => {
    it("prompt=login with a session: the login page; the code follows a new sign-in with a newer auth_time, in the same session (sid)", async () => {
      const { browser, session: old } = await signedInBrowser();
      await ctx.container.grants.allow(aliceId, web.id, ["openid"]);
      const sent = validParams(web, { prompt: "login" });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");

      // The older session does not let resume skip the sign-in.
      expect((await resume(id, browser)).headers.get("location")).toBe(`/login?interaction=${id}`);
      const view = await ctx.container.interactions.get(id, browser.binding);
      expect(view).toMatchObject({ prompt: "login", userEmail: "alice@example.com", loginEmail: "alice@example.com" });

      ctx.clock.advance(30_000);
      const fresh = await signIn(browser, id);
      // The same user re-authenticates within the browser's session: the sid relying parties hold stays valid.
      expect(fresh.id).toBe(old.id);
      expect(fresh.authTime.getTime()).toBeGreaterThan(old.authTime.getTime());
      const code = expectCode(await resume(id, browser), sent);
      const row = await codeRow(code);
      expect(row.sessionId).toBe(fresh.id);
      expect(row.authTime!.getTime()).toBe(fresh.authTime.getTime());
      expect(row.authTime!.getTime()).toBeGreaterThan(old.authTime.getTime());
      expect(row.acr).toBe(PASSWORD_ACR);
    });

    it("prompt=login followed by consent keeps the sign-in done here", async () => {
      const { browser } = await signedInBrowser();
      const sent = validParams(web, { prompt: "login", scope: "openid email" });
      await ctx.container.grants.allow(aliceId, web.id, ["openid"]);
      const id = interactionIdFrom(await authorize(sent, browser), "/login");
      await signIn(browser, id);
      expect((await resume(id, browser)).headers.get("location")).toBe(`/consent?interaction=${id}`);
      await ctx.container.interactions.submitConsent(id, browser.binding, "allow");
      expectCode(await resume(id, browser), sent);
    });

    it("select_account: the login page without pre-filling the current account; another user may sign in", async () => {
      const { browser, session: alice } = await signedInBrowser();
      const sent = validParams(firstParty, { prompt: "select_account" });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");
      const view = await ctx.container.interactions.get(id, browser.binding);
      expect(view!.loginEmail).toBeUndefined();
      const bob = await signIn(browser, id, "bob");
      const row = await codeRow(expectCode(await resume(id, browser), sent));
      expect(row).toMatchObject({ userId: bobId, sessionId: bob.id });
      // Another user's sign-in replaces the browser's session: Alice is signed out of it.
      expect(bob.id).not.toBe(alice.id);
      expect(await ctx.container.sessions.findValid(alice.id)).toBeNull();
      expect(await ctx.container.prisma.session.findUnique({ where: { id: alice.id } })).toMatchObject({ endReason: "replaced" });
    });

    it("max_age=0: always a new sign-in", async () => {
      const { browser, session: old } = await signedInBrowser();
      const sent = validParams(firstParty, { max_age: "0" });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");
      expect((await resume(id, browser)).headers.get("location")).toBe(`/login?interaction=${id}`);
      ctx.clock.advance(1_000);
      const fresh = await signIn(browser, id);
      // The sign-in done here satisfies max_age=0 even though time has passed since.
      ctx.clock.advance(1_000);
      const row = await codeRow(expectCode(await resume(id, browser), sent));
      expect(row.sessionId).toBe(fresh.id);
      expect(row.sessionId).toBe(old.id);
      expect(row.authTime!.getTime()).toBeGreaterThan(old.authTime.getTime());
    });

    it("max_age: a session younger than max_age is used, an older one is not", async () => {
      const { browser, session } = await signedInBrowser();
      ctx.clock.advance(100_000);
      const young = validParams(firstParty, { max_age: "100" });
      expect((await codeRow(expectCode(await authorize(young, browser), young))).sessionId).toBe(session.id);
      ctx.clock.advance(1_000);
      interactionIdFrom(await authorize(validParams(firstParty, { max_age: "100" }), browser), "/login");
    });

    it("the client's default_max_age applies when max_age is absent; max_age overrides it (OIDC Registration §2)", async () => {
      const { browser } = await signedInBrowser();
      await ctx.container.grants.allow(aliceId, patient.id, ["openid"]);
      const within = validParams(patient);
      expectCode(await authorize(within, browser), within);
      ctx.clock.advance(121_000);
      const id = interactionIdFrom(await authorize(validParams(patient), browser), "/login");
      expect(await ctx.container.interactions.get(id, browser.binding)).toMatchObject({ prompt: "login" });
      const none = validParams(patient, { prompt: "none" });
      expectRedirectError(await authorize(none, browser), "login_required", none);
      const overridden = validParams(patient, { max_age: "3600" });
      expectCode(await authorize(overridden, browser), overridden);
    });
  });

  describe("prompt=consent", () => {
    it("shows the consent page although a grant covers the scopes", async () => {
      const { browser } = await signedInBrowser();
      await ctx.container.grants.allow(aliceId, web.id, ["openid", "profile"]);
      const sent = validParams(web, { prompt: "consent", scope: "openid profile" });
      const id = interactionIdFrom(await authorize(sent, browser), "/consent");
      expect(await ctx.container.interactions.get(id, browser.binding)).toMatchObject({ prompt: "consent", userEmail: "alice@example.com" });
      expect((await resume(id, browser)).headers.get("location")).toBe(`/consent?interaction=${id}`);
      await ctx.container.interactions.submitConsent(id, browser.binding, "allow");
      expectCode(await resume(id, browser), sent);
    });

    it("also for a client that skips consent, and a denial is access_denied", async () => {
      const { browser } = await signedInBrowser();
      const sent = validParams(firstParty, { prompt: "consent" });
      const id = interactionIdFrom(await authorize(sent, browser), "/consent");
      await ctx.container.interactions.submitConsent(id, browser.binding, "deny");
      expectRedirectError(await resume(id, browser), "access_denied", sent);
    });
  });

  describe("id_token_hint (OIDC Core §3.1.2.1)", () => {
    const idTokenFor = (client: Client, userId: string) =>
      ctx.container.oidc.idTokens.issue({ client, userId, sessionId: null, authTime: null, acr: null, amr: [] });

    it("naming another user than the session's: login_required with prompt=none, else the login page", async () => {
      const { browser } = await signedInBrowser();
      await ctx.container.grants.allow(aliceId, web.id, ["openid"]);
      const hint = await idTokenFor(web, bobId);
      const none = validParams(web, { prompt: "none", id_token_hint: hint });
      expectRedirectError(await authorize(none, browser), "login_required", none);

      const sent = validParams(web, { id_token_hint: hint });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");
      // Not pre-filled with the signed-in user's email: the hint names someone else.
      expect((await ctx.container.interactions.get(id, browser.binding))!.loginEmail).toBeUndefined();
      await signIn(browser, id, "bob");
      expect((await resume(id, browser)).headers.get("location")).toBe(`/consent?interaction=${id}`);
    });

    it("naming the session's user, even expired: the code at once", async () => {
      const { browser } = await signedInBrowser();
      await ctx.container.grants.allow(aliceId, web.id, ["openid"]);
      const hint = await idTokenFor(web, aliceId);
      ctx.clock.advance(2 * 3600 * 1000);
      const sent = validParams(web, { prompt: "none", id_token_hint: hint });
      expectCode(await authorize(sent, browser), sent);
    });

    it("a forged hint, or one issued to another client: invalid_request", async () => {
      const { browser } = await signedInBrowser();
      const hint = await idTokenFor(web, aliceId);
      const [h, p] = hint.split(".");
      const forged = validParams(web, { prompt: "none", id_token_hint: `${h}.${p}.${Buffer.from("not the signature").toString("base64url")}` });
      expectRedirectError(await authorize(forged, browser), "invalid_request", forged);
      const tampered = validParams(web, {
        id_token_hint: `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, "base64url").toString()), sub: bobId })).toString("base64url")}.${hint.split(".")[2]}`,
      });
      expectRedirectError(await authorize(tampered, browser), "invalid_request", tampered);
      const foreign = validParams(web, { id_token_hint: await idTokenFor(other, aliceId) });
      expectRedirectError(await authorize(foreign, browser), "invalid_request", foreign);
    });
  });

  describe("prompt syntax", () => {
    it("an unknown value, and none with another value: invalid_request", async () => {
      for (const prompt of ["bogus", "login bogus", "none login", "none consent", "LOGIN"]) {
        const sent = validParams(web, { prompt });
        expectRedirectError(await authorize(sent), "invalid_request", sent);
      }
    });
  });

  describe("acr_values and the acr claim", () => {
    it("the session's acr is the first supported acr_values value, copied to the code row", async () => {
      const browser = new Browser();
      const sent = validParams(firstParty, { acr_values: `urn:example:mfa ${PASSWORD_ACR}` });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");
      const row = await ctx.container.prisma.interaction.findUniqueOrThrow({ where: { id } });
      expect((row.params as { request: { acrValues: string } }).request.acrValues).toBe(`urn:example:mfa ${PASSWORD_ACR}`);
      const session = await signIn(browser, id);
      expect(session.acr).toBe(PASSWORD_ACR);
      expect((await codeRow(expectCode(await resume(id, browser), sent))).acr).toBe(PASSWORD_ACR);
    });

    it("unsupported acr_values alone are voluntary: the password class", async () => {
      const browser = new Browser();
      const sent = validParams(firstParty, { acr_values: "urn:example:mfa" });
      const id = interactionIdFrom(await authorize(sent, browser), "/login");
      await signIn(browser, id);
      expect((await codeRow(expectCode(await resume(id, browser), sent))).acr).toBe(PASSWORD_ACR);
    });

    it("an essential acr that cannot be satisfied: access_denied, also with prompt=none (OIDC Core §5.5.1.1)", async () => {
      const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ["urn:example:mfa"] } } });
      const sent = validParams(firstParty, { claims });
      expectRedirectError(await authorize(sent, new Browser()), "access_denied", sent);
      const { browser } = await signedInBrowser();
      const none = validParams(firstParty, { claims, prompt: "none" });
      expectRedirectError(await authorize(none, browser), "access_denied", none);
      const single = validParams(firstParty, { claims: JSON.stringify({ id_token: { acr: { essential: true, value: "urn:example:mfa" } } }) });
      expectRedirectError(await authorize(single, browser), "access_denied", single);
    });

    it("an essential acr that can be satisfied: the code, with that acr", async () => {
      const { browser } = await signedInBrowser();
      const sent = validParams(firstParty, { prompt: "none", claims: JSON.stringify({ id_token: { acr: { essential: true, values: ["urn:example:mfa", PASSWORD_ACR] } } }) });
      expect((await codeRow(expectCode(await authorize(sent, browser), sent))).acr).toBe(PASSWORD_ACR);
    });
  });

  describe("the claims parameter and consent (OIDC Core §5.5)", () => {
    it("the consent view lists the requested user claims, the grant records them, a new claim asks again", async () => {
      const { browser } = await signedInBrowser("bob");
      const claims = JSON.stringify({
        userinfo: { email: { essential: true }, given_name: null, acr: null },
        id_token: { birthdate: { essential: false }, name: null },
      });
      const sent = validParams(web, { scope: "openid profile", claims });
      const id = interactionIdFrom(await authorize(sent, browser), "/consent");
      const view = await ctx.container.interactions.get(id, browser.binding);
      expect(view!.scopes.map((s) => s.name)).toEqual(["openid", "profile"]);
      // given_name, birthdate and name come with the profile scope; email is asked for by itself.
      expect(view!.claims).toEqual([{ name: "email", essential: true }]);
      await ctx.container.interactions.submitConsent(id, browser.binding, "allow");
      const code = expectCode(await resume(id, browser), sent);
      expect((await codeRow(code)).claims).toEqual(JSON.parse(claims));
      const grant = await ctx.container.prisma.grant.findFirstOrThrow({ where: { userId: bobId, clientId: web.id } });
      expect(grant.claims).toEqual(["email"]);

      // The same request again is covered: no consent, a code at once.
      const again = validParams(web, { scope: "openid profile", claims, prompt: "none" });
      expectCode(await authorize(again, browser), again);

      // A request for a claim not yet allowed asks again, listing it (essential or not).
      const more = validParams(web, { scope: "openid", claims: JSON.stringify({ id_token: { phone_number: { essential: true }, email: null } }) });
      expectRedirectError(await authorize({ ...more, prompt: "none" }, browser), "consent_required", { ...more, prompt: "none" });
      const id2 = interactionIdFrom(await authorize(more, browser), "/consent");
      const view2 = (await ctx.container.interactions.get(id2, browser.binding))!;
      expect(view2.claims).toEqual([
        { name: "email", essential: false },
        { name: "phone_number", essential: true },
      ]);
      // The consent page shows only what is new: email is allowed already.
      expect(view2.granted.claims).toContain("email");
      expect(view2.granted.claims).not.toContain("phone_number");
      await ctx.container.interactions.submitConsent(id2, browser.binding, "allow");
      expectCode(await resume(id2, browser), more);
      const updated = await ctx.container.prisma.grant.findFirstOrThrow({ where: { userId: bobId, clientId: web.id } });
      expect(updated.claims.sort()).toEqual(["email", "phone_number"]);
      // Each decision is on record with the claims it was about.
      const records = await ctx.container.prisma.consentRecord.findMany({ where: { userId: bobId, clientId: web.id, action: "granted" }, orderBy: { createdAt: "asc" } });
      expect(records.map((r) => r.claims)).toEqual([["email"], ["email", "phone_number"]]);
    });

    it("user claims the client may not have are dropped from the request, like its scopes", async () => {
      const narrow = (
        await ctx.container.clients.create({ name: "Narrow app", type: "confidential", redirectUris: ["https://narrow.example.com/cb"], grantTypes: ["authorization_code"], scopes: ["openid"] })
      ).client;
      const { browser } = await signedInBrowser();
      const sent = validParams(narrow, { claims: JSON.stringify({ userinfo: { email: { essential: true } }, id_token: { auth_time: { essential: true } } }) });
      const id = interactionIdFrom(await authorize(sent, browser), "/consent");
      expect((await ctx.container.interactions.get(id, browser.binding))!.claims).toEqual([]);
      await ctx.container.interactions.submitConsent(id, browser.binding, "allow");
      const row = await codeRow(expectCode(await resume(id, browser), sent));
      expect(row.claims).toEqual({ userinfo: {}, id_token: { auth_time: { essential: true } } });
      expect((await ctx.container.prisma.grant.findFirstOrThrow({ where: { userId: aliceId, clientId: narrow.id } })).claims).toEqual([]);
    });

    it("the consent texts for claims exist in every language", () => {
      expect(consentTranslator("en")("claims.phone_number")).toBe("See your phone number");
      expect(consentTranslator("de")("claims.email_verified")).toBe("Sehen, ob Ihre E-Mail-Adresse bestätigt ist");
      expect(consentTranslator("de")("essential")).toBe("Von der Anwendung benötigt");
      expect(consentTranslator("fr")("claims.email_verified")).toBe("Savoir si votre adresse e-mail est vérifiée");
      expect(consentTranslator("fr")("essential")).toBe("Nécessaire à l’application");
    });
  });

  describe("login_hint and ui_locales", () => {
    it("login_hint pre-fills the email, also when signing in again", async () => {
      const browser = new Browser();
      const id = interactionIdFrom(await authorize(validParams(web, { login_hint: "carol@example.com" }), browser), "/login");
      expect(await ctx.container.interactions.get(id, browser.binding)).toMatchObject({ loginHint: "carol@example.com", loginEmail: "carol@example.com" });
      const notEmail = interactionIdFrom(await authorize(validParams(web, { login_hint: "carol" }), browser), "/login");
      expect((await ctx.container.interactions.get(notEmail, browser.binding))!.loginEmail).toBeUndefined();
      const { browser: signedIn } = await signedInBrowser();
      const again = interactionIdFrom(await authorize(validParams(web, { prompt: "login", login_hint: "alice+work@example.com" }), signedIn), "/login");
      expect((await ctx.container.interactions.get(again, signedIn.binding))!.loginEmail).toBe("alice+work@example.com");
    });

    it("ui_locales=de makes the login page German, over the language cookie and Accept-Language", async () => {
      const browser = new Browser();
      browser.cookies.set("authly_locale", "en");
      const id = interactionIdFrom(await authorize(validParams(web, { ui_locales: "it-IT de-CH en" }), browser, { "accept-language": "en-US" }), "/login");
      const view = await ctx.container.interactions.get(id, browser.binding);
      expect(view!.uiLocales).toBe("it-IT de-CH en");
      const locale = interactionLocale({ uiLocales: view!.uiLocales, cookie: browser.cookies.get("authly_locale"), acceptLanguage: "en-US", fallback: "en" });
      expect(locale).toBe("de");
      const t = loginTranslator(locale);
      expect(t("title")).toBe("Anmelden");
      expect(t("formLead", { client: view!.client.name })).toBe("Weiter zu Web app mit Ihrem Authly-Konto.");
      // Without ui_locales the cookie decides.
      expect(interactionLocale({ cookie: "en", acceptLanguage: "de", fallback: "en" })).toBe("en");
      // An unsupported ui_locales list falls through to the usual negotiation.
      expect(interactionLocale({ uiLocales: "it", acceptLanguage: "de-DE", fallback: "en" })).toBe("de");
    });

    it("ui_locales=fr-CA makes the login page French", async () => {
      const browser = new Browser();
      browser.cookies.set("authly_locale", "de");
      const id = interactionIdFrom(await authorize(validParams(web, { ui_locales: "fr-CA en" }), browser, { "accept-language": "de-DE" }), "/login");
      const view = await ctx.container.interactions.get(id, browser.binding);
      const locale = interactionLocale({ uiLocales: view!.uiLocales, cookie: browser.cookies.get("authly_locale"), acceptLanguage: "de-DE", fallback: "en" });
      expect(locale).toBe("fr");
      // The sign-in card's texts are the French ones (their wording belongs to messages/login).
      const lead = loginTranslator(locale)("formLead", { client: view!.client.name });
      expect(lead).toMatch(/^Continue.* vers Web app avec votre compte Authly\.$/);
      // French from the cookie or Accept-Language alone, too.
      expect(interactionLocale({ cookie: "fr", acceptLanguage: "de", fallback: "en" })).toBe("fr");
      expect(interactionLocale({ acceptLanguage: "fr-CH, de;q=0.8", fallback: "en" })).toBe("fr");
    });
  });
});
