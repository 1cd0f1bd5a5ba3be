import { SignJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Client } from "../lib/generated/prisma/client";
import { runStartupTasks } from "../lib/server/first-start";
import { JWT_BEARER_ASSERTION_TYPE } from "../lib/oauth/client-auth";
import { basic, call, pkcePair, storeAuthorizationCode } from "./support/oauth";
import { createTestContainer, databaseKind, freshDatabase, type TestContext, sharedDeployment } from "./support/test-env";

const ISSUER = "http://localhost:3000";
const REDIRECT = "https://app.example.com/callback";

describe(`token endpoint, introspection, revocation (${databaseKind})`, () => {
  let ctx: TestContext;
  let service: { client: Client; secret: string };
  let postClient: { client: Client; secret: string };
  let web: { client: Client; secret: string };
  let spa: Client;
  let jwtClient: Client;
  let jwtKey: CryptoKey;
  let userId: string;

  const token = (form: Record<string, string>, headers: Record<string, string> = {}) => call(ctx.container, "/oauth/token", { form, headers });
  const introspect = async (tok: string, who = service) =>
    (await call(ctx.container, "/oauth/introspect", { form: { token: tok }, headers: { authorization: basic(who.client.clientId, who.secret) } })).json() as Promise<Record<string, unknown>>;

  beforeAll(async () => {
    ctx = await createTestContainer();
    await runStartupTasks(ctx.container);
    const c = ctx.container;
    await c.scopes.create({ name: "api" });
    await c.scopes.create({ name: "api.write" });
    const made = await c.clients.create({ name: "Service", type: "confidential", grantTypes: ["client_credentials"], scopes: ["api", "api.write"], resources: ["urn:example:api"] });
    service = { client: made.client, secret: made.clientSecret! };
    const made2 = await c.clients.create({ name: "Post", type: "confidential", grantTypes: ["client_credentials"], scopes: ["api"], tokenEndpointAuthMethod: "client_secret_post" });
    postClient = { client: made2.client, secret: made2.clientSecret! };
    const made3 = await c.clients.create({
      name: "Web",
      type: "confidential",
      grantTypes: ["authorization_code", "refresh_token"],
      redirectUris: [REDIRECT],
      scopes: ["openid", "profile", "offline_access", "api"],
    });
    web = { client: made3.client, secret: made3.clientSecret! };
    spa = (await c.clients.create({ name: "SPA", type: "public", grantTypes: ["authorization_code", "refresh_token"], redirectUris: [REDIRECT], scopes: ["api"] })).client;
    const pair = await generateKeyPair("ES256", { extractable: true });
    jwtKey = pair.privateKey;
    jwtClient = (
      await c.clients.create({
        name: "JWT",
        type: "confidential",
        grantTypes: ["client_credentials"],
        scopes: ["api"],
        tokenEndpointAuthMethod: "private_key_jwt",
        jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] },
      })
    ).client;
    userId = (await c.users.create({ email: "user@example.com", password: "user-password-123" })).id;
  });
  afterAll(() => ctx.cleanup());

  async function jwks() {
    const res = await call(ctx.container, "/oauth/jwks");
    return createLocalJWKSet((await res.json()) as { keys: [] });
  }

  describe("client_credentials and client authentication", () => {
    it("issues an RFC 9068 JWT access token with client_secret_basic", async () => {
      const res = await token({ grant_type: "client_credentials", scope: "api" }, { authorization: basic(service.client.clientId, service.secret) });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "api" });
      expect(body.refresh_token).toBeUndefined();
      const at = body.access_token as string;
      expect(decodeProtectedHeader(at)).toMatchObject({ typ: "at+jwt", alg: "RS256" });
      const { payload } = await jwtVerify(at, await jwks(), { issuer: ISSUER, audience: "urn:example:api", typ: "at+jwt", currentDate: ctx.clock.now() });
      expect(payload).toMatchObject({ sub: service.client.clientId, client_id: service.client.clientId, scope: "api", aud: "urn:example:api" });
      expect(typeof payload.jti).toBe("string");
      expect(payload.exp! - payload.iat!).toBe(900);
    });

    it("defaults to the client's scopes and takes an allowed resource (RFC 8707)", async () => {
      const res = await token({ grant_type: "client_credentials", resource: "urn:example:api" }, { authorization: basic(service.client.clientId, service.secret) });
      const body = (await res.json()) as Record<string, string>;
      expect(body.scope).toBe("api api.write");
      const other = await token({ grant_type: "client_credentials", resource: "urn:other" }, { authorization: basic(service.client.clientId, service.secret) });
      expect(other.status).toBe(400);
      expect(await other.json()).toMatchObject({ error: "invalid_target" });
    });

    it("uses the client's own access token lifetime", async () => {
      const { client, clientSecret } = await ctx.container.clients.create({ name: "Short", type: "confidential", grantTypes: ["client_credentials"], accessTokenTtl: 120 });
      const res = await token({ grant_type: "client_credentials" }, { authorization: basic(client.clientId, clientSecret!) });
      expect(await res.json()).toMatchObject({ expires_in: 120 });
      await expect(ctx.container.clients.create({ name: "Bad", type: "confidential", grantTypes: ["authorization_code", "refresh_token"], redirectUris: [REDIRECT], refreshTokenTtl: 3600, refreshTokenIdleTtl: 7200 })).rejects.toThrow();
    });

    it("refuses scopes the client may not request", async () => {
      const res = await token({ grant_type: "client_credentials", scope: "api admin" }, { authorization: basic(service.client.clientId, service.secret) });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_scope" });
    });

    it("accepts client_secret_post, and only the registered method", async () => {
      const ok = await token({ grant_type: "client_credentials", client_id: postClient.client.clientId, client_secret: postClient.secret });
      expect(ok.status).toBe(200);
      const viaBasic = await token({ grant_type: "client_credentials" }, { authorization: basic(postClient.client.clientId, postClient.secret) });
      expect(viaBasic.status).toBe(401);
      expect(viaBasic.headers.get("www-authenticate")).toMatch(/^Basic /);
    });

    it("answers invalid_client 401 (with WWW-Authenticate for Basic) for wrong secrets", async () => {
      const res = await token({ grant_type: "client_credentials" }, { authorization: basic(service.client.clientId, "wrong") });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Basic");
      expect(await res.json()).toMatchObject({ error: "invalid_client" });
      const post = await token({ grant_type: "client_credentials", client_id: postClient.client.clientId, client_secret: "wrong" });
      expect(post.status).toBe(401);
      expect(post.headers.get("www-authenticate")).toBeNull();
      const unknown = await token({ grant_type: "client_credentials" }, { authorization: basic("nobody", "x") });
      expect(unknown.status).toBe(401);
    });

    it("rejects two authentication methods at once (RFC 6749 §2.3)", async () => {
      const res = await token(
        { grant_type: "client_credentials", client_id: postClient.client.clientId, client_secret: postClient.secret },
        { authorization: basic(service.client.clientId, service.secret) },
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_request" });
    });

    it("refuses client_credentials for public clients", async () => {
      const res = await token({ grant_type: "client_credentials", client_id: spa.clientId });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "unauthorized_client" });
    });

    async function assertion(overrides: Record<string, unknown> = {}, aud: string = `${ISSUER}/oauth/token`) {
      const now = Math.floor(ctx.clock.nowMs() / 1000);
      return new SignJWT({ jti: crypto.randomUUID(), iss: jwtClient.clientId, sub: jwtClient.clientId, aud, iat: now, exp: now + 60, ...overrides })
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .sign(jwtKey);
    }

    it("accepts private_key_jwt and refuses a replayed jti, a wrong audience and an expired assertion (RFC 7523 §3)", async () => {
      const signed = await assertion();
      const form = { grant_type: "client_credentials", client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: signed };
      const ok = await token(form);
      expect(ok.status).toBe(200);
      const replay = await token(form);
      expect(replay.status).toBe(401);
      expect(await replay.json()).toMatchObject({ error: "invalid_client" });
      const issuerAud = await token({ ...form, client_assertion: await assertion({}, ISSUER) });
      expect(issuerAud.status).toBe(200);
      const wrongAud = await token({ ...form, client_assertion: await assertion({}, "https://elsewhere.example") });
      expect(wrongAud.status).toBe(401);
      const expired = await token({ ...form, client_assertion: await assertion({ exp: Math.floor(ctx.clock.nowMs() / 1000) - 3600 }) });
      expect(expired.status).toBe(401);
      const badType = await token({ ...form, client_assertion_type: "urn:other" });
      expect(badType.status).toBe(400);
    });

    it("serves the client_credentials hot path without database reads once warm", async () => {
      const c = ctx.container;
      const auth = { authorization: basic(service.client.clientId, service.secret) };
      expect((await token({ grant_type: "client_credentials" }, auth)).status).toBe(200);
      const clientReads = vi.spyOn(c.clients, "findByClientId");
      const keyReads = vi.spyOn(c.signingKeys, "listPublishable");
      for (let i = 0; i < 20; i++) expect((await token({ grant_type: "client_credentials" }, auth)).status).toBe(200);
      const at = ((await (await token({ grant_type: "client_credentials" }, auth)).json()) as { access_token: string }).access_token;
      for (let i = 0; i < 20; i++) expect((await introspect(at)).active).toBe(true);
      expect(clientReads).not.toHaveBeenCalled();
      expect(keyReads).not.toHaveBeenCalled();
      clientReads.mockRestore();
      keyReads.mockRestore();
    });
  });

  describe("authorization_code", () => {
    async function code(overrides: { client?: Client; redirectUri?: string; scopes?: string[] } = {}) {
      const { verifier, challenge } = pkcePair();
      const value = await storeAuthorizationCode(ctx.container, {
        clientRowId: (overrides.client ?? web.client).id,
        userId,
        challenge,
        redirectUri: overrides.redirectUri ?? REDIRECT,
        scopes: overrides.scopes ?? ["openid", "offline_access", "api"],
      });
      return { code: value, verifier };
    }
    const webAuth = () => ({ authorization: basic(web.client.clientId, web.secret) });

    it("redeems a code once for an access and a refresh token", async () => {
      const { code: c, verifier } = await code();
      const res = await token({ grant_type: "authorization_code", code: c, code_verifier: verifier, redirect_uri: REDIRECT }, webAuth());
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, string>;
      expect(body.scope).toBe("openid offline_access api");
      expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const { payload } = await jwtVerify(body.access_token!, await jwks(), { issuer: ISSUER, audience: ISSUER, currentDate: ctx.clock.now() });
      expect(payload.sub).toBe(userId);
      // Stored only hashed.
      const rows = await ctx.container.prisma.refreshToken.findMany();
      expect(JSON.stringify(rows)).not.toContain(body.refresh_token);
    });

    it("a second use fails with invalid_grant and revokes every token issued from the code (RFC 6749 §4.1.2)", async () => {
      const { code: c, verifier } = await code();
      const form = { grant_type: "authorization_code", code: c, code_verifier: verifier, redirect_uri: REDIRECT };
      const first = (await (await token(form, webAuth())).json()) as Record<string, string>;
      expect((await introspect(first.access_token!, web)).active).toBe(true);
      const again = await token(form, webAuth());
      expect(again.status).toBe(400);
      expect(await again.json()).toMatchObject({ error: "invalid_grant" });
      expect((await introspect(first.access_token!, web)).active).toBe(false);
      const refresh = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token! }, webAuth());
      expect(refresh.status).toBe(400);
      expect((await ctx.container.audit.list({ type: "token.code_replay" })).length).toBeGreaterThan(0);
    });

    it("binds the code to its PKCE verifier, redirect_uri, client and lifetime", async () => {
      const a = await code();
      const wrongVerifier = await token({ grant_type: "authorization_code", code: a.code, code_verifier: pkcePair().verifier, redirect_uri: REDIRECT }, webAuth());
      expect(await wrongVerifier.json()).toMatchObject({ error: "invalid_grant" });
      const b = await code();
      const wrongRedirect = await token({ grant_type: "authorization_code", code: b.code, code_verifier: b.verifier, redirect_uri: "https://app.example.com/other" }, webAuth());
      expect(await wrongRedirect.json()).toMatchObject({ error: "invalid_grant" });
      const c = await code();
      const otherClient = await token({ grant_type: "authorization_code", code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT, client_id: spa.clientId });
      expect(await otherClient.json()).toMatchObject({ error: "invalid_grant" });
      const d = await code();
      ctx.clock.advance(61_000);
      const expired = await token({ grant_type: "authorization_code", code: d.code, code_verifier: d.verifier, redirect_uri: REDIRECT }, webAuth());
      expect(await expired.json()).toMatchObject({ error: "invalid_grant" });
      const e = await code();
      const noVerifier = await token({ grant_type: "authorization_code", code: e.code, redirect_uri: REDIRECT }, webAuth());
      expect(noVerifier.status).toBe(400);
      expect(await noVerifier.json()).toMatchObject({ error: "invalid_request" });
    });

    it("public clients redeem with client_id only (PKCE mandatory)", async () => {
      const { code: c, verifier } = await code({ client: spa, scopes: ["api"] });
      const res = await token({ grant_type: "authorization_code", code: c, code_verifier: verifier, redirect_uri: REDIRECT, client_id: spa.clientId });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Record<string, string>).refresh_token).toBeTruthy();
    });

    it("OpenID requests without offline_access get no refresh token", async () => {
      const { code: c, verifier } = await code({ scopes: ["openid", "api"] });
      const res = await token({ grant_type: "authorization_code", code: c, code_verifier: verifier, redirect_uri: REDIRECT }, webAuth());
      expect(((await res.json()) as Record<string, string>).refresh_token).toBeUndefined();
    });
  });

  describe("refresh_token", () => {
    async function tokens(scopes = ["openid", "offline_access", "api"]) {
      const { verifier, challenge } = pkcePair();
      const c = await storeAuthorizationCode(ctx.container, { clientRowId: web.client.id, userId, challenge, redirectUri: REDIRECT, scopes });
      const res = await token({ grant_type: "authorization_code", code: c, code_verifier: verifier, redirect_uri: REDIRECT }, { authorization: basic(web.client.clientId, web.secret) });
      return (await res.json()) as Record<string, string>;
    }
    const refresh = (rt: string, extra: Record<string, string> = {}) =>
      token({ grant_type: "refresh_token", refresh_token: rt, ...extra }, { authorization: basic(web.client.clientId, web.secret) });

    it("rotates on every use; reusing a rotated token revokes the whole family (RFC 9700 §4.14.2)", async () => {
      const first = await tokens();
      const second = (await (await refresh(first.refresh_token!)).json()) as Record<string, string>;
      expect(second.refresh_token).toBeTruthy();
      expect(second.refresh_token).not.toBe(first.refresh_token);
      const third = (await (await refresh(second.refresh_token!)).json()) as Record<string, string>;
      expect((await introspect(third.access_token!, web)).active).toBe(true);

      const reuse = await refresh(first.refresh_token!);
      expect(reuse.status).toBe(400);
      expect(await reuse.json()).toMatchObject({ error: "invalid_grant" });
      // The family is gone: the newest refresh token and the access tokens issued from the family.
      expect((await refresh(third.refresh_token!)).status).toBe(400);
      expect((await introspect(third.access_token!, web)).active).toBe(false);
      expect((await introspect(second.access_token!, web)).active).toBe(false);
      expect((await ctx.container.audit.list({ type: "token.refresh_reuse_detected" })).length).toBeGreaterThan(0);
    });

    it("narrows scope but never widens it", async () => {
      const first = await tokens();
      const narrowed = (await (await refresh(first.refresh_token!, { scope: "api" })).json()) as Record<string, string>;
      expect(narrowed.scope).toBe("api");
      // The new refresh token keeps the original grant (RFC 6749 §6).
      const back = (await (await refresh(narrowed.refresh_token!)).json()) as Record<string, string>;
      expect(back.scope).toBe("openid offline_access api");
      const wider = await refresh(back.refresh_token!, { scope: "api profile" });
      expect(await wider.json()).toMatchObject({ error: "invalid_scope" });
    });

    it("expires after the idle lifetime", async () => {
      const first = await tokens();
      ctx.clock.advance((web.client.refreshTokenIdleTtl + 1) * 1000);
      const res = await refresh(first.refresh_token!);
      expect(await res.json()).toMatchObject({ error: "invalid_grant" });
    });

    it("cannot be used by another client", async () => {
      const first = await tokens();
      const res = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token!, client_id: spa.clientId });
      expect(await res.json()).toMatchObject({ error: "invalid_grant" });
    });
  });

  describe("introspection and revocation", () => {
    const cc = async () =>
      ((await (await token({ grant_type: "client_credentials" }, { authorization: basic(service.client.clientId, service.secret) })).json()) as { access_token: string }).access_token;

    it("returns the RFC 7662 members for an active token and active:false for expired, forged or unknown ones", async () => {
      const at = await cc();
      const active = await introspect(at);
      expect(active).toMatchObject({ active: true, client_id: service.client.clientId, token_type: "Bearer", iss: ISSUER, sub: service.client.clientId, scope: "api api.write" });
      expect(typeof active.exp).toBe("number");
      const forgedKey = await generateKeyPair("RS256");
      const forged = await new SignJWT({ client_id: service.client.clientId, jti: "x" })
        .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: (decodeProtectedHeader(at).kid as string) })
        .setIssuer(ISSUER).setSubject("x").setIssuedAt().setExpirationTime("5m").sign(forgedKey.privateKey);
      expect(await introspect(forged)).toEqual({ active: false });
      expect(await introspect("not-a-token")).toEqual({ active: false });
      ctx.clock.advance(901_000);
      expect(await introspect(at)).toEqual({ active: false });
    });

    it("does not reveal a token to an unrelated client", async () => {
      const at = await cc();
      expect(await introspect(at, web)).toEqual({ active: false });
    });

    it("requires client authentication (public clients cannot introspect)", async () => {
      const res = await call(ctx.container, "/oauth/introspect", { form: { token: await cc() } });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "invalid_client" });
      const pub = await call(ctx.container, "/oauth/introspect", { form: { token: await cc(), client_id: spa.clientId } });
      expect(pub.status).toBe(401);
      expect(await pub.json()).toMatchObject({ error: "invalid_client" });
    });

    it("lets a public client revoke its own refresh token with client_id alone (RFC 7009 §2.1)", async () => {
      const { verifier, challenge } = pkcePair();
      const c = await storeAuthorizationCode(ctx.container, { clientRowId: spa.id, userId, challenge, redirectUri: REDIRECT, scopes: ["api"] });
      const t = (await (await token({ grant_type: "authorization_code", code: c, code_verifier: verifier, redirect_uri: REDIRECT, client_id: spa.clientId })).json()) as Record<string, string>;
      const res = await call(ctx.container, "/oauth/revoke", { form: { token: t.refresh_token!, client_id: spa.clientId } });
      expect(res.status).toBe(200);
      const again = await token({ grant_type: "refresh_token", refresh_token: t.refresh_token!, client_id: spa.clientId });
      expect(await again.json()).toMatchObject({ error: "invalid_grant" });
    });

    it("revokes an access token by jti (active:false afterwards, also for a new process)", async () => {
      const at = await cc();
      const res = await call(ctx.container, "/oauth/revoke", { form: { token: at, token_type_hint: "access_token" }, headers: { authorization: basic(service.client.clientId, service.secret) } });
      expect(res.status).toBe(200);
      expect(await introspect(at)).toEqual({ active: false });
      // A second process on the same database (its own memory cache) knows it too.
      if (databaseKind === "postgres") {
        const second = await createTestContainer({ target: { ...ctx.target, dispose: () => undefined }, overrides: { masterKey: ctx.masterKey } });
        try {
          const res2 = await call(second.container, "/oauth/introspect", { form: { token: at }, headers: { authorization: basic(service.client.clientId, service.secret) } });
          expect(await res2.json()).toEqual({ active: false });
        } finally {
          await second.container.close();
        }
      }
    });

    it("revoking a refresh token revokes its family and access tokens; unknown tokens answer 200", async () => {
      const { verifier, challenge } = pkcePair();
      const c = await storeAuthorizationCode(ctx.container, { clientRowId: web.client.id, userId, challenge, redirectUri: REDIRECT, scopes: ["api"] });
      const auth = { authorization: basic(web.client.clientId, web.secret) };
      const t = (await (await token({ grant_type: "authorization_code", code: c, code_verifier: verifier, redirect_uri: REDIRECT }, auth)).json()) as Record<string, string>;
      // A wrong hint is only a hint (RFC 7009 §2.1).
      const res = await call(ctx.container, "/oauth/revoke", { form: { token: t.refresh_token!, token_type_hint: "access_token" }, headers: auth });
      expect(res.status).toBe(200);
      expect((await introspect(t.access_token!, web)).active).toBe(false);
      expect((await token({ grant_type: "refresh_token", refresh_token: t.refresh_token! }, auth)).status).toBe(400);
      const unknown = await call(ctx.container, "/oauth/revoke", { form: { token: "unknown-token" }, headers: auth });
      expect(unknown.status).toBe(200);
    });

    it("refuses to revoke another client's token", async () => {
      const at = await cc();
      const res = await call(ctx.container, "/oauth/revoke", { form: { token: at }, headers: { authorization: basic(web.client.clientId, web.secret) } });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "unauthorized_client" });
      expect((await introspect(at)).active).toBe(true);
    });
  });

  describe("metadata", () => {
    it("publishes RFC 8414 metadata for exactly what is implemented", async () => {
      const res = await call(ctx.container, "/.well-known/oauth-authorization-server");
      expect(res.status).toBe(200);
      const doc = (await res.json()) as Record<string, unknown>;
      expect(doc).toMatchObject({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/oauth/authorize`,
        token_endpoint: `${ISSUER}/oauth/token`,
        jwks_uri: `${ISSUER}/oauth/jwks`,
        revocation_endpoint: `${ISSUER}/oauth/revoke`,
        introspection_endpoint: `${ISSUER}/oauth/introspect`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
        authorization_response_iss_parameter_supported: true,
        grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      });
      expect(doc.scopes_supported).toEqual(expect.arrayContaining(["openid", "api"]));
      expect(doc.token_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]);
      const etag = res.headers.get("etag")!;
      const cached = await call(ctx.container, "/.well-known/oauth-authorization-server", { headers: { "if-none-match": etag } });
      expect(cached.status).toBe(304);
    });
  });
});

describe(`expired record purge (${databaseKind})`, () => {
  it("deletes expired codes, tokens and revocation entries, and keeps live ones", async () => {
    const ctx = await createTestContainer();
    try {
      await runStartupTasks(ctx.container);
      const c = ctx.container;
      const { client, clientSecret } = await c.clients.create({ name: "W", type: "confidential", grantTypes: ["authorization_code", "refresh_token"], redirectUris: [REDIRECT] });
      const userId = (await c.users.create({ email: "purge@example.com", password: "purge-password-1" })).id;
      const { verifier, challenge } = pkcePair();
      const code = await storeAuthorizationCode(c, { clientRowId: client.id, userId, challenge, redirectUri: REDIRECT });
      const t = (await (await call(c, "/oauth/token", { form: { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT }, headers: { authorization: basic(client.clientId, clientSecret!) } })).json()) as Record<string, string>;
      await call(c, "/oauth/revoke", { form: { token: t.access_token! }, headers: { authorization: basic(client.clientId, clientSecret!) } });
      expect(await c.expiredRecords.runOnce()).toMatchObject({ accessTokens: 0, refreshTokens: 0, authorizationCodes: 0, revokedAccessTokens: 0 });
      ctx.clock.advance(2 * 86_400_000); // access token (15 min) and code (+1 day grace) are past
      expect(await c.expiredRecords.runOnce()).toMatchObject({ accessTokens: 1, refreshTokens: 0, authorizationCodes: 1, revokedAccessTokens: 1 });
      ctx.clock.advance(31 * 86_400_000); // the refresh token's absolute lifetime (30 days)
      expect(await c.expiredRecords.runOnce()).toMatchObject({ refreshTokens: 1 });
    } finally {
      await ctx.cleanup();
    }
  });
});

describe.runIf(databaseKind === "postgres")("two instances on one PostgreSQL and Redis", () => {
  it("share the revocation list and the rate-limit counters", async () => {
    const { make, dispose } = sharedDeployment({ AUTHLY_RATE_LIMIT_PER_CLIENT: "5" });
    const a = await make();
    const b = await make();
    try {
      await runStartupTasks(a.container);
      const { client, clientSecret } = await a.container.clients.create({ name: "S", type: "confidential", grantTypes: ["client_credentials"] });
      const auth = { authorization: basic(client.clientId, clientSecret!) };
      const at = ((await (await call(a.container, "/oauth/token", { form: { grant_type: "client_credentials" }, headers: auth })).json()) as { access_token: string }).access_token;
      const introspectOnB = async () => (await (await call(b.container, "/oauth/introspect", { form: { token: at }, headers: auth })).json()) as { active: boolean };
      await b.container.revocations.start(); // what startContainer does: listen for announcements
      expect((await introspectOnB()).active).toBe(true); // B has read its copy of the list by now
      expect((await call(a.container, "/oauth/revoke", { form: { token: at }, headers: auth })).status).toBe(200);
      // Announced through Redis: B's list has it without reading the database again.
      const { jti } = decodeJwt(at) as { jti: string };
      await vi.waitFor(() => expect(b.container.revocations.isRevoked(jti)).toBe(true));
      expect((await introspectOnB()).active).toBe(false);
      // Introspection counter for this client (limit 5): two calls above, three here, the sixth is refused on either instance.
      expect((await call(b.container, "/oauth/introspect", { form: { token: at }, headers: auth })).status).toBe(200);
      expect((await call(a.container, "/oauth/introspect", { form: { token: at }, headers: auth })).status).toBe(200);
      expect((await call(b.container, "/oauth/introspect", { form: { token: at }, headers: auth })).status).toBe(200);
      const limited = await call(a.container, "/oauth/introspect", { form: { token: at }, headers: auth });
      expect(limited.status).toBe(429);
    } finally {
      await a.container.close();
      await b.container.close();
      dispose();
    }
  });
});

describe(`rate limits (${databaseKind})`, () => {
  it("answers 429 with Retry-After per client and per IP", async () => {
    const ctx = await createTestContainer({ env: { AUTHLY_RATE_LIMIT_PER_CLIENT: "3", AUTHLY_RATE_LIMIT_PER_IP: "5" }, target: freshDatabase() });
    try {
      await runStartupTasks(ctx.container);
      const { client, clientSecret } = await ctx.container.clients.create({ name: "S", type: "confidential", grantTypes: ["client_credentials"] });
      const auth = { authorization: basic(client.clientId, clientSecret!) };
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(ctx.container, "/oauth/token", { form: { grant_type: "client_credentials" }, headers: auth, ip: "10.0.0.1" })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await call(ctx.container, "/oauth/token", { form: { grant_type: "client_credentials" }, headers: auth, ip: "10.0.0.2" });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      // Per IP: the sixth request from one address is refused whatever it is.
      const ipStatuses: number[] = [];
      for (let i = 0; i < 6; i++) ipStatuses.push((await call(ctx.container, "/oauth/introspect", { form: { token: "x" }, ip: "10.0.0.9" })).status);
      expect(ipStatuses.slice(0, 5).every((s) => s === 401)).toBe(true);
      expect(ipStatuses[5]).toBe(429);
    } finally {
      await ctx.cleanup();
    }
  });
});
