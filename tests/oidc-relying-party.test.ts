/**
 * Authly driven by an unmodified, OpenID-certified relying-party library (openid-client), over
 * real HTTP against the production door on an ephemeral port, knowing nothing but the issuer URL.
 *
 * What the library validates on its own is part of the test: Discovery (issuer equality), the
 * authorization response (state, RFC 9207 iss), the token response, the ID token (signature via
 * the JWKS, iss, aud, exp, iat, nonce, at_hash, auth_time with max_age), UserInfo (sub equality),
 * refresh with an ID token (Core §12.2). Logout is checked with the library's end-session URL and a
 * back-channel receiver validating the logout token as Back-Channel Logout 1.0 §2.6 prescribes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../lib/server/clock";
import { runStartupTasks } from "../lib/server/first-start";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";
import { Browser } from "./support/browser";
import { closeServer, listenForDoor } from "./support/door";

const EMAIL = "rp-user@example.com";
const PASSWORD = "rp-user-password-1";
/** Nothing listens there: the test only reads the Location that points at it. */
const REDIRECT_URI = "http://127.0.0.1:47021/cb";
const PAIRWISE_REDIRECT_URI = "http://localhost:47022/cb";
const POST_LOGOUT_URI = "http://127.0.0.1:47021/signed-out";

interface LogoutReceipt {
  claims: Record<string, unknown>;
  header: Record<string, unknown>;
}

describe(`a certified relying-party library (openid-client) against Authly (${databaseKind})`, () => {
  let ctx: TestContext;
  let door: Awaited<ReturnType<typeof listenForDoor>> | undefined;
  let receiver: http.Server;
  let issuer: string;
  let config: oidc.Configuration;
  let pairwiseConfig: oidc.Configuration;
  let userId: string;
  const receipts: LogoutReceipt[] = [];
  const receiverErrors: string[] = [];

  beforeAll(async () => {
    door = await listenForDoor();
    issuer = door.issuer;

    // A relying party's back-channel logout endpoint (Back-Channel Logout 1.0 §2.5, §2.6, §2.8).
    receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        void (async () => {
          try {
            expect(req.method).toBe("POST");
            expect(req.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
            const token = new URLSearchParams(body).get("logout_token");
            if (!token) throw new Error("no logout_token");
            // §2.6: validate like an ID token (signature from the OP's JWKS, iss, aud, iat), plus
            // typ, the events member, sub or sid, and no nonce.
            const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
            const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience: config.clientMetadata().client_id, typ: "logout+jwt", maxTokenAge: "2 minutes" });
            const events = payload.events as Record<string, unknown> | undefined;
            if (!events || typeof events["http://schemas.openid.net/event/backchannel-logout"] !== "object") throw new Error("no backchannel-logout event");
            if ("nonce" in payload) throw new Error("a logout token must not contain a nonce");
            if (!payload.sub && !payload.sid) throw new Error("neither sub nor sid");
            receipts.push({ claims: payload as Record<string, unknown>, header: protectedHeader as Record<string, unknown> });
            res.writeHead(200, { "cache-control": "no-store" }).end();
          } catch (error) {
            receiverErrors.push(String(error));
            res.writeHead(400).end();
          }
        })();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const backchannelUri = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/backchannel-logout`;

    // Real time: the library checks iat, exp and auth_time against the system clock.
    ctx = await createTestContainer({ env: { AUTHLY_ISSUER: issuer }, overrides: { clock: systemClock } });
    const c = ctx.container;
    await runStartupTasks(c);
    door.serve(c);

    userId = (await c.users.create({ email: EMAIL, password: PASSWORD, name: "Robin Party" })).id;
    await c.prisma.user.update({ where: { id: userId }, data: { givenName: "Robin", familyName: "Party", emailVerified: true } });
    const rp = await c.clients.create({
      name: "Certified RP",
      type: "confidential",
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [POST_LOGOUT_URI],
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["openid", "profile", "email", "offline_access"],
      backchannelLogoutUri: backchannelUri,
      backchannelLogoutSessionRequired: true,
    });
    const pairwise = await c.clients.create({
      name: "Pairwise RP",
      type: "confidential",
      subjectType: "pairwise",
      idTokenSignedResponseAlg: "ES256",
      redirectUris: [PAIRWISE_REDIRECT_URI],
      grantTypes: ["authorization_code"],
      scopes: ["openid", "email"],
    });

    // OpenID Connect Discovery 1.0, validated by the library (issuer equality, JSON, status).
    const execute = [oidc.allowInsecureRequests];
    // Both clients registered client_secret_basic (the only method each may use).
    config = await oidc.discovery(new URL(issuer), rp.client.clientId, undefined, oidc.ClientSecretBasic(rp.clientSecret!), { execute });
    pairwiseConfig = await oidc.discovery(new URL(issuer), pairwise.client.clientId, { id_token_signed_response_alg: "ES256" }, oidc.ClientSecretBasic(pairwise.clientSecret!), { execute });
  });

  afterAll(async () => {
    await door?.close();
    if (receiver) await closeServer(receiver);
    await ctx?.cleanup();
  });

  /** A browser: cookies, and the pages' login and consent steps done through the same service calls. */
  function browser() {
    const jar = new Browser();
    async function navigate(url: string | URL): Promise<Response> {
      const cookie = jar.header();
      const response = await fetch(new URL(url, issuer), { redirect: "manual", headers: cookie ? { cookie } : {} });
      jar.absorb(response.headers.getSetCookie());
      return response;
    }
    /** Follows the authorization request until the OP redirects to the client; returns that URL. */
    async function authorize(url: URL, redirectUri: string, options: { login?: boolean } = {}): Promise<URL> {
      const { interactions, sessions } = ctx.container;
      let response = await navigate(url);
      for (let step = 0; step < 8; step++) {
        expect(response.status).toBe(303);
        const location = response.headers.get("location")!;
        if (location.startsWith(redirectUri)) return new URL(location);
        const next = new URL(location, issuer);
        const interaction = next.searchParams.get("interaction")!;
        const binding = jar.get("authly_interaction");
        if (next.pathname === "/login") {
          if (options.login === false) throw new Error("unexpected login page");
          const outcome = await interactions.submitLogin(interaction, binding, EMAIL, PASSWORD, { ipAddress: "127.0.0.1", userAgent: "openid-client-test" });
          if (outcome.status !== "signed_in") throw new Error(`login failed: ${outcome.status}`);
          jar.absorb(await sessions.setCookieHeaders(outcome.session));
          response = await navigate(outcome.redirectTo);
        } else if (next.pathname === "/consent") {
          const outcome = await interactions.submitConsent(interaction, binding, "allow");
          if (outcome.status !== "ok") throw new Error(`consent failed: ${outcome.status}`);
          response = await navigate(outcome.redirectTo);
        } else {
          response = await navigate(next);
        }
      }
      throw new Error("the authorization flow did not reach the client");
    }
    return { jar, navigate, authorize };
  }

  type Browser = ReturnType<typeof browser>;

  async function signIn(b: Browser, cfg: oidc.Configuration, redirectUri: string, extra: Record<string, string> = {}, checks: { maxAge?: number } = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: redirectUri,
      scope: "openid profile email offline_access",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      nonce,
      state,
      ...extra,
    });
    const callback = await b.authorize(url, redirectUri, extra.prompt === "none" ? { login: false } : {});
    const tokens = await oidc.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true, ...checks });
    return { callback, tokens, claims: tokens.claims()! };
  }

  it("discovers the provider (OpenID Connect Discovery 1.0)", () => {
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(issuer);
    expect(meta.userinfo_endpoint).toBe(`${issuer}/oidc/userinfo`);
    expect(meta.end_session_endpoint).toBe(`${issuer}/oidc/logout`);
    expect(meta.supportsPKCE()).toBe(true);
  });

  it("runs the code flow with nonce and PKCE, validates the ID token, reads UserInfo and refreshes", async () => {
    const b = browser();
    const { callback, tokens, claims } = await signIn(b, config, REDIRECT_URI);
    // Session Management 1.0 §2: session_state in the authentication response.
    expect(callback.searchParams.get("session_state")).toMatch(/^[0-9a-f]{64}\.[0-9a-f]+$/);
    expect(claims).toMatchObject({ iss: issuer, sub: userId, aud: config.clientMetadata().client_id });
    expect(typeof claims.sid).toBe("string");
    expect(typeof claims.auth_time).toBe("number");

    // UserInfo: the library checks that its sub equals the ID token's.
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: userId, name: "Robin Party", given_name: "Robin", email: EMAIL, email_verified: true });

    // Refresh (Core §12.2): a new ID token, validated by the library against the first one.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const again = refreshed.claims()!;
    expect(again.sub).toBe(claims.sub);
    expect(again.auth_time).toBe(claims.auth_time);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });

  it("answers prompt=none with login_required without a session, and with a code with one", async () => {
    const anonymous = browser();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid",
      prompt: "none",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
      state: "s1",
    });
    const callback = await anonymous.authorize(url, REDIRECT_URI, { login: false });
    await expect(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: "s1" })).rejects.toMatchObject({
      error: "login_required",
    });

    const b = browser();
    const first = await signIn(b, config, REDIRECT_URI);
    // Signed in and consented: prompt=none answers at once, no page shown.
    const silent = await signIn(b, config, REDIRECT_URI, { prompt: "none" });
    expect(silent.claims.sub).toBe(first.claims.sub);
    expect(silent.claims.sid).toBe(first.claims.sid);
  });

  it("re-authenticates for max_age=0 and returns a fresh auth_time", async () => {
    const b = browser();
    const first = await signIn(b, config, REDIRECT_URI);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // The library requires auth_time and checks it against max_age.
    const second = await signIn(b, config, REDIRECT_URI, { max_age: "0" }, { maxAge: 0 });
    expect(second.claims.auth_time as number).toBeGreaterThan(first.claims.auth_time as number);
    // Re-authentication within the browser's session: the same sid (logout still reaches this RP).
    expect(second.claims.sid).toBe(first.claims.sid);
  });

  it("gives a pairwise client its own stable subject (Core §8.1)", async () => {
    const b = browser();
    const one = await signIn(b, pairwiseConfig, PAIRWISE_REDIRECT_URI);
    expect(one.claims.sub).not.toBe(userId);
    const info = await oidc.fetchUserInfo(pairwiseConfig, one.tokens.access_token, one.claims.sub);
    expect(info.email).toBe(EMAIL);
    const two = await signIn(browser(), pairwiseConfig, PAIRWISE_REDIRECT_URI);
    expect(two.claims.sub).toBe(one.claims.sub);
  });

  it("logs out through the end-session URL with post_logout_redirect_uri and notifies the back channel", async () => {
    const b = browser();
    const { tokens, claims } = await signIn(b, config, REDIRECT_URI);
    const before = receipts.length;
    const url = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: "bye" });
    let response = await b.navigate(url);
    // A front-channel page may come first; follow until the client's URI.
    for (let step = 0; step < 3 && response.status !== 303; step++) {
      expect(response.status).toBe(200);
      const continueTo = /href="([^"]+)"/.exec(await response.text())?.[1]?.replace(/&amp;/g, "&");
      if (!continueTo) break;
      response = new Response(null, { status: 303, headers: { location: continueTo } });
    }
    const location = new URL(response.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(POST_LOGOUT_URI);
    expect(location.searchParams.get("state")).toBe("bye");

    // The session is over: prompt=none now needs a login.
    const silent = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid",
      prompt: "none",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    });
    const after = await b.authorize(silent, REDIRECT_URI, { login: false });
    expect(after.searchParams.get("error")).toBe("login_required");

    // The refresh token of that session was revoked (the client's revokeRefreshTokensOnLogout default).
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });

    // Back-Channel Logout 1.0: the receiver got a valid logout token for that session.
    await ctx.container.backchannelLogout.runOnce();
    expect(receiverErrors).toEqual([]);
    const receipt = receipts.slice(before).find((r) => r.claims.sid === claims.sid);
    expect(receipt?.claims).toMatchObject({ iss: issuer, aud: config.clientMetadata().client_id, sub: userId, sid: claims.sid });
  });
});
