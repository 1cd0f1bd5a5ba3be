/**
 * The server driven by a standard OAuth client library that nobody here wrote (oauth4webapi),
 * over real HTTP against the production door (lib/http/node-door.ts) on an ephemeral port.
 *
 * What the library checks on its own is part of the test: RFC 8414 metadata and its issuer,
 * token responses (RFC 6749 §5.1), RFC 9207 `iss` and `state` in the authorization response,
 * RFC 7662 introspection and RFC 7009 revocation responses, RFC 9068 access tokens.
 */
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStartupTasks } from "../lib/server/first-start";
import { systemClock } from "../lib/server/clock";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";
import { Browser } from "./support/browser";
import { listenForDoor } from "./support/door";

const EMAIL = "standard-client@example.com";
const PASSWORD = "standard-client-password-1";
/** Nothing listens there: the test only reads the Location that points at it. */
const REDIRECT_URI = "http://127.0.0.1:47011/cb";
const API = "https://api.example.com/";

const insecure = { [oauth.allowInsecureRequests]: true } as const;

function isResponseBodyError(error: unknown, code: string): boolean {
  return error instanceof oauth.ResponseBodyError && error.error === code;
}

describe(`a standard OAuth client (oauth4webapi) against the production door (${databaseKind})`, () => {
  let ctx: TestContext;
  let door: Awaited<ReturnType<typeof listenForDoor>> | undefined;
  let issuer: string;
  let as: oauth.AuthorizationServer;

  let basicClient: { id: string; secret: string };
  let postClient: { id: string; secret: string };
  let jwtClient: { id: string; key: CryptoKey };
  let web: { id: string; secret: string };

  beforeAll(async () => {
    door = await listenForDoor();
    issuer = door.issuer;

    // Real time: client assertions and access tokens are checked by code using the system clock.
    ctx = await createTestContainer({ env: { AUTHLY_ISSUER: issuer }, overrides: { clock: systemClock } });
    const c = ctx.container;
    await runStartupTasks(c);
    door.serve(c);

    await c.scopes.create({ name: "api" });
    const b = await c.clients.create({ name: "Basic service", type: "confidential", grantTypes: ["client_credentials"], scopes: ["api"], resources: [API] });
    basicClient = { id: b.client.clientId, secret: b.clientSecret! };
    const p = await c.clients.create({ name: "Post service", type: "confidential", grantTypes: ["client_credentials"], scopes: ["api"], tokenEndpointAuthMethod: "client_secret_post" });
    postClient = { id: p.client.clientId, secret: p.clientSecret! };
    const pair = await generateKeyPair("ES256", { extractable: true });
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "es-1", alg: "ES256", use: "sig" };
    const j = await c.clients.create({
      name: "JWT service",
      type: "confidential",
      grantTypes: ["client_credentials"],
      scopes: ["api"],
      tokenEndpointAuthMethod: "private_key_jwt",
      jwks: { keys: [publicJwk] },
    });
    jwtClient = { id: j.client.clientId, key: pair.privateKey };
    const w = await c.clients.create({
      name: "Web app",
      type: "confidential",
      grantTypes: ["authorization_code", "refresh_token"],
      redirectUris: [REDIRECT_URI],
      scopes: ["api"],
    });
    web = { id: w.client.clientId, secret: w.clientSecret! };
    await c.users.create({ email: EMAIL, password: PASSWORD });

    // RFC 8414 discovery, checked by the library (issuer equality, JSON, status).
    const issuerUrl = new URL(issuer);
    as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, { algorithm: "oauth2", ...insecure }));
  });

  afterAll(async () => {
    await door?.close();
    await ctx?.cleanup();
  });

  it("discovers the RFC 8414 metadata", () => {
    expect(as.issuer).toBe(issuer);
    expect(as).toMatchObject({
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/oauth/jwks`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      code_challenge_methods_supported: ["S256"],
      authorization_response_iss_parameter_supported: true,
    });
    expect(as.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(["client_secret_basic", "client_secret_post", "private_key_jwt"]));
  });

  async function clientCredentials(client: oauth.Client, auth: oauth.ClientAuth, parameters: Record<string, string> = {}) {
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, insecure);
    return oauth.processClientCredentialsResponse(as, client, response);
  }

  /** RFC 9068 §4: validates the access token with the server's published keys, fetched over HTTP. */
  async function verifyAccessToken(token: string, audience: string) {
    const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
    expect(decodeProtectedHeader(token).typ).toBe("at+jwt");
    const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ: "at+jwt", requiredClaims: ["exp", "iat", "jti", "sub", "client_id"] });
    return payload;
  }

  describe("client_credentials", () => {
    it("with client_secret_basic; the access token is an RFC 9068 JWT valid against jwks_uri", async () => {
      const client: oauth.Client = { client_id: basicClient.id };
      const tokens = await clientCredentials(client, oauth.ClientSecretBasic(basicClient.secret), { scope: "api", resource: API });
      expect(tokens.token_type.toLowerCase()).toBe("bearer");
      expect(tokens.scope).toBe("api");
      expect(tokens.expires_in).toBeGreaterThan(0);
      expect(tokens.refresh_token).toBeUndefined();
      const claims = await verifyAccessToken(tokens.access_token, API);
      expect(claims).toMatchObject({ sub: basicClient.id, client_id: basicClient.id, scope: "api", aud: API });

      // The library's own RFC 9068 validation, as a resource server would run it.
      const request = new Request(API, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      const validated = await oauth.validateJwtAccessToken(as, request, API, insecure);
      expect(validated.client_id).toBe(basicClient.id);
    });

    it("with client_secret_post", async () => {
      const client: oauth.Client = { client_id: postClient.id };
      const tokens = await clientCredentials(client, oauth.ClientSecretPost(postClient.secret));
      const claims = await verifyAccessToken(tokens.access_token, issuer);
      expect(claims.client_id).toBe(postClient.id);
      expect(claims.scope).toBe("api");
    });

    it("with private_key_jwt (RFC 7523), several times (a fresh jti each time)", async () => {
      const client: oauth.Client = { client_id: jwtClient.id };
      const auth = oauth.PrivateKeyJwt({ key: jwtClient.key, kid: "es-1" });
      for (let i = 0; i < 3; i++) {
        const tokens = await clientCredentials(client, auth, { scope: "api" });
        const claims = await verifyAccessToken(tokens.access_token, issuer);
        expect(claims.client_id).toBe(jwtClient.id);
      }
    });

    it("a wrong Basic secret: 401 invalid_client with a Basic challenge (RFC 6749 §5.2)", async () => {
      const client: oauth.Client = { client_id: basicClient.id };
      const error = await clientCredentials(client, oauth.ClientSecretBasic("not-the-secret")).then(
        () => undefined,
        (e: unknown) => e,
      );
      // The library reports a 401 with WWW-Authenticate as a challenge error.
      expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
      const challenge = error as oauth.WWWAuthenticateChallengeError;
      expect(challenge.status).toBe(401);
      expect(challenge.cause.map((c) => c.scheme)).toEqual(["basic"]);
      expect(await challenge.response.json()).toMatchObject({ error: "invalid_client" });
    });

    it("a wrong client_secret_post secret: invalid_client", async () => {
      const client: oauth.Client = { client_id: postClient.id };
      await expect(clientCredentials(client, oauth.ClientSecretPost("not-the-secret"))).rejects.toSatisfy((e) => isResponseBodyError(e, "invalid_client"));
    });
  });

  describe("introspection and revocation", () => {
    it("a token introspects active, and inactive once revoked", async () => {
      const client: oauth.Client = { client_id: basicClient.id };
      const auth = oauth.ClientSecretBasic(basicClient.secret);
      const { access_token } = await clientCredentials(client, auth, { scope: "api" });

      const active = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, access_token, insecure));
      expect(active).toMatchObject({ active: true, client_id: basicClient.id, scope: "api", token_type: "Bearer", iss: issuer, sub: basicClient.id });
      expect(typeof active.exp).toBe("number");

      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, access_token, { ...insecure, additionalParameters: { token_type_hint: "access_token" } }));

      const inactive = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, access_token, insecure));
      expect(inactive).toEqual({ active: false });
    });

    it("introspection with private_key_jwt client authentication", async () => {
      const client: oauth.Client = { client_id: jwtClient.id };
      const auth = oauth.PrivateKeyJwt({ key: jwtClient.key, kid: "es-1" });
      const { access_token } = await clientCredentials(client, auth);
      const result = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, access_token, insecure));
      expect(result).toMatchObject({ active: true, client_id: jwtClient.id });
    });
  });

  describe("authorization code with PKCE, refresh rotation, replay", () => {
    const client = (): oauth.Client => ({ client_id: web.id });
    const auth = () => oauth.ClientSecretBasic(web.secret);
    const browser = new Browser();

    /** GET over HTTP without following redirects, as a browser would send it, keeping cookies. */
    async function navigate(url: string): Promise<Response> {
      const cookie = browser.header();
      const response = await fetch(new URL(url, issuer), { redirect: "manual", headers: cookie ? { cookie } : {} });
      browser.absorb(response.headers.getSetCookie());
      return response;
    }

    /**
     * Runs the front channel: the authorization request, then login and consent through the
     * service calls the pages make, until the server redirects to the client. Returns the callback URL.
     */
    async function authorize(state: string, codeChallenge: string): Promise<URL> {
      const url = new URL(as.authorization_endpoint!);
      url.searchParams.set("client_id", web.id);
      url.searchParams.set("redirect_uri", REDIRECT_URI);
      url.searchParams.set("response_type", "code");
      url.searchParams.set("scope", "api");
      url.searchParams.set("code_challenge", codeChallenge);
      url.searchParams.set("code_challenge_method", "S256");
      url.searchParams.set("state", state);

      const { interactions, sessions } = ctx.container;
      let response = await navigate(url.href);
      for (let step = 0; step < 8; step++) {
        expect(response.status).toBe(303);
        const location = response.headers.get("location")!;
        expect(location).toBeTruthy();
        if (location.startsWith(REDIRECT_URI)) return new URL(location);
        const next = new URL(location, issuer);
        const interaction = next.searchParams.get("interaction")!;
        const binding = browser.get("authly_interaction");
        expect(binding).toBeTruthy();
        if (next.pathname === "/login") {
          // What the login page's server action does, then the session cookie it sets.
          const outcome = await interactions.submitLogin(interaction, binding, EMAIL, PASSWORD, { ipAddress: "127.0.0.1", userAgent: "oauth4webapi-test" });
          if (outcome.status !== "signed_in") throw new Error(`login failed: ${outcome.status}`);
          browser.absorb([await sessions.setCookieHeader(outcome.session)]);
          response = await navigate(outcome.redirectTo);
        } else if (next.pathname === "/consent") {
          const outcome = await interactions.submitConsent(interaction, binding, "allow");
          if (outcome.status !== "ok") throw new Error(`consent failed: ${outcome.status}`);
          response = await navigate(outcome.redirectTo);
        } else {
          response = await navigate(location);
        }
      }
      throw new Error("the authorization flow did not reach the client");
    }

    async function codeFlow() {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const callback = await authorize(state, await oauth.calculatePKCECodeChallenge(verifier));
      expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
      // RFC 9207 iss and state, checked by the library.
      const params = oauth.validateAuthResponse(as, client(), callback, state);
      expect(params.get("iss")).toBe(issuer);
      const response = await oauth.authorizationCodeGrantRequest(as, client(), auth(), params, REDIRECT_URI, verifier, insecure);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client(), response);
      return { params, verifier, tokens };
    }

    const refresh = async (refreshToken: string) =>
      oauth.processRefreshTokenResponse(as, client(), await oauth.refreshTokenGrantRequest(as, client(), auth(), refreshToken, insecure));
    const introspect = async (token: string) =>
      oauth.processIntrospectionResponse(as, client(), await oauth.introspectionRequest(as, client(), auth(), token, insecure));

    it("issues tokens for a code; refresh tokens rotate and reuse revokes the family (RFC 9700 §4.14.2)", async () => {
      const { tokens } = await codeFlow();
      expect(tokens.scope).toBe("api");
      expect(tokens.refresh_token).toBeTruthy();
      const claims = await verifyAccessToken(tokens.access_token, issuer);
      const user = await ctx.container.users.findByEmail(EMAIL);
      expect(claims).toMatchObject({ sub: user!.id, client_id: web.id, scope: "api" });

      const second = await refresh(tokens.refresh_token!);
      expect(second.refresh_token).toBeTruthy();
      expect(second.refresh_token).not.toBe(tokens.refresh_token);
      const third = await refresh(second.refresh_token!);
      expect(third.refresh_token).toBeTruthy();
      expect(new Set([tokens.refresh_token, second.refresh_token, third.refresh_token]).size).toBe(3);
      expect(await introspect(third.access_token)).toMatchObject({ active: true, client_id: web.id });

      // The first refresh token again: reuse. It fails, and the newest one is dead too.
      await expect(refresh(tokens.refresh_token!)).rejects.toSatisfy((e) => isResponseBodyError(e, "invalid_grant"));
      await expect(refresh(third.refresh_token!)).rejects.toSatisfy((e) => isResponseBodyError(e, "invalid_grant"));
      expect(await introspect(third.access_token)).toEqual({ active: false });
    });

    it("a replayed code fails with invalid_grant and revokes the tokens of the first exchange (RFC 6749 §4.1.2)", async () => {
      // The browser is signed in and consented now: the second authorization is answered at once.
      const { params, verifier, tokens } = await codeFlow();
      expect(await introspect(tokens.access_token)).toMatchObject({ active: true });

      const replay = await oauth.authorizationCodeGrantRequest(as, client(), auth(), params, REDIRECT_URI, verifier, insecure);
      await expect(oauth.processAuthorizationCodeResponse(as, client(), replay)).rejects.toSatisfy((e) => isResponseBodyError(e, "invalid_grant"));

      expect(await introspect(tokens.access_token)).toEqual({ active: false });
      await expect(refresh(tokens.refresh_token!)).rejects.toSatisfy((e) => isResponseBodyError(e, "invalid_grant"));
    });

    it("a tampered state is refused by the client (RFC 6749 §10.12)", async () => {
      const verifier = oauth.generateRandomCodeVerifier();
      const callback = await authorize("the-state-i-sent", await oauth.calculatePKCECodeChallenge(verifier));
      expect(() => oauth.validateAuthResponse(as, client(), callback, "another-state")).toThrow(oauth.OperationProcessingError);
    });
  });
});
