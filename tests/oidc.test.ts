/**
 * The OpenID Connect layer at the token endpoint, UserInfo and Discovery: ID tokens (OIDC Core §2,
 * §3.1.3.6, §12.2), claims by scope and by claims request (§5.4, §5.5), public and pairwise
 * subjects (§8), UserInfo errors (RFC 6750 §3), provider metadata (Discovery §3).
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../lib/generated/prisma/client";
import { findRoute } from "../lib/http/routes";
import { runStartupTasks } from "../lib/server/first-start";
import { basic, call, pkcePair, storeAuthorizationCode } from "./support/oauth";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";

const ISSUER = "http://localhost:3000";

interface Registered {
  client: Client;
  secret: string;
}

describe(`OpenID Connect tokens, UserInfo and Discovery (${databaseKind})`, () => {
  let ctx: TestContext;
  let userId: string;
  let rp: Registered;
  let rpEs: Registered;
  let rpEd: Registered;
  let pairA1: Registered;
  let pairA2: Registered;
  let pairB: Registered;
  let service: Registered;

  const register = async (name: string, extra: Record<string, unknown> = {}): Promise<Registered> => {
    const { client, clientSecret } = await ctx.container.clients.create({
      name,
      type: "confidential",
      redirectUris: ["https://rp.example.com/cb"],
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["openid", "profile", "email", "phone", "address", "offline_access"],
      ...extra,
    });
    return { client, secret: clientSecret! };
  };

  beforeAll(async () => {
    ctx = await createTestContainer();
    const c = ctx.container;
    await runStartupTasks(c);
    await c.scopes.create({ name: "api", description: "Example API" });
    const user = await c.users.create({ email: "alice@example.com", password: "alice-password-1", name: "Alice Example" });
    userId = user.id;
    await c.prisma.user.update({
      where: { id: userId },
      data: { givenName: "Alice", familyName: "Example", emailVerified: true, addressLocality: "Oslo", addressCountry: "NO", nickname: "" },
    });
    rp = await register("RP");
    rpEs = await register("RP ES256", { idTokenSignedResponseAlg: "ES256" });
    rpEd = await register("RP EdDSA", { idTokenSignedResponseAlg: "EdDSA" });
    pairA1 = await register("Pairwise A1", { subjectType: "pairwise", redirectUris: ["https://a.example.com/cb"] });
    pairA2 = await register("Pairwise A2", { subjectType: "pairwise", redirectUris: ["https://a.example.com/other"] });
    pairB = await register("Pairwise B", { subjectType: "pairwise", redirectUris: ["https://b.example.com/cb"] });
    const created = await c.clients.create({ name: "Service", type: "confidential", grantTypes: ["client_credentials"], scopes: ["api"] });
    service = { client: created.client, secret: created.clientSecret! };
  });

  afterAll(async () => {
    await ctx?.cleanup();
  });

  const jwks = async () => createLocalJWKSet(JSON.parse((await ctx.container.keyStore.jwks()).body));

  async function verifyIdToken(token: string, client: Client): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, await jwks(), { issuer: ISSUER, audience: client.clientId, currentDate: ctx.clock.now() });
    return payload;
  }

  /** A signed-in browser session and a code for it, redeemed at the token endpoint. */
  async function codeExchange(
    registered: Registered,
    options: { scopes?: string[]; nonce?: string; claims?: Record<string, unknown>; sessionId?: string } = {},
  ): Promise<{ body: Record<string, string>; sessionId: string }> {
    const sessionId = options.sessionId ?? (await ctx.container.sessions.start({ userId })).id;
    const { verifier, challenge } = pkcePair();
    const code = await storeAuthorizationCode(ctx.container, {
      clientRowId: registered.client.id,
      userId,
      challenge,
      scopes: options.scopes ?? ["openid", "profile", "email", "offline_access"],
      nonce: options.nonce,
      sessionId,
      claims: options.claims,
    });
    const res = await call(ctx.container, "/oauth/token", {
      form: { grant_type: "authorization_code", code, code_verifier: verifier },
      headers: { authorization: basic(registered.client.clientId, registered.secret) },
    });
    expect(res.status).toBe(200);
    return { body: (await res.json()) as Record<string, string>, sessionId };
  }

  const userinfo = (token: string, options: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) =>
    call(ctx.container, "/oidc/userinfo", {
      method: options.method ?? "GET",
      ...(options.form && { form: options.form }),
      headers: { ...(token && { authorization: `Bearer ${token}` }), ...options.headers },
    });

  describe("ID tokens", () => {
    it("issues a signed ID token with the required claims for an openid code exchange (Core §2, §3.1.3.6)", async () => {
      const nonce = "n-0S6_WzA2Mj ünïcødé & <tags>";
      const { body, sessionId } = await codeExchange(rp, { nonce });
      expect(body.id_token).toBeTruthy();
      const header = decodeProtectedHeader(body.id_token!);
      expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
      expect(header.kid).toBeTruthy();
      const claims = await verifyIdToken(body.id_token!, rp.client);
      const now = Math.floor(ctx.clock.nowMs() / 1000);
      expect(claims).toMatchObject({ iss: ISSUER, sub: userId, aud: rp.client.clientId, iat: now, exp: now + rp.client.idTokenTtl, auth_time: now, nonce, amr: ["pwd"], sid: sessionId });
      // Core §3.1.3.6: at_hash = base64url(left half of SHA-256(access_token)).
      const digest = createHash("sha256").update(body.access_token!).digest();
      expect(claims.at_hash).toBe(digest.subarray(0, 16).toString("base64url"));
      // Core §5.4: with a code flow the scope claims are served by UserInfo, not the ID token.
      expect(claims).not.toHaveProperty("email");
      expect(claims).not.toHaveProperty("name");
      expect(claims).not.toHaveProperty("azp");
      expect(Object.values(claims)).not.toContain(null);
    });

    it("omits nonce when the request had none, and issues no ID token without openid", async () => {
      const { body } = await codeExchange(rp);
      expect(await verifyIdToken(body.id_token!, rp.client)).not.toHaveProperty("nonce");
      const plain = await codeExchange(rp, { scopes: ["profile"] });
      expect(plain.body).not.toHaveProperty("id_token");
    });

    it.each([
      ["ES256", () => rpEs, "sha256"],
      ["EdDSA", () => rpEd, "sha512"],
    ] as const)("signs with the client's id_token_signed_response_alg %s", async (alg, registered, hash) => {
      const { body } = await codeExchange(registered(), { nonce: "abc" });
      expect(decodeProtectedHeader(body.id_token!).alg).toBe(alg);
      const claims = await verifyIdToken(body.id_token!, registered().client);
      const digest = createHash(hash).update(body.access_token!).digest();
      expect(claims.at_hash).toBe(digest.subarray(0, digest.length / 2).toString("base64url"));
      // The access token itself stays RS256 (RFC 9068 tokens for resource servers).
      expect(decodeProtectedHeader(body.access_token!).alg).toBe("RS256");
    });

    it("adds the user claims asked for in the claims request's id_token member (Core §5.5)", async () => {
      const { body } = await codeExchange(rp, { scopes: ["openid"], claims: { id_token: { email: { essential: true }, name: null, nickname: null, sub: { value: "x" } } } });
      const claims = await verifyIdToken(body.id_token!, rp.client);
      expect(claims).toMatchObject({ email: "alice@example.com", name: "Alice Example", sub: userId });
      // An empty value is omitted, never null or "".
      expect(claims).not.toHaveProperty("nickname");
    });

    it("issues a new ID token on refresh with the original auth_time and sid, and no nonce (Core §12.2)", async () => {
      const { body, sessionId } = await codeExchange(rp, { nonce: "first" });
      const first = await verifyIdToken(body.id_token!, rp.client);
      ctx.clock.advance(120_000);
      const res = await call(ctx.container, "/oauth/token", {
        form: { grant_type: "refresh_token", refresh_token: body.refresh_token! },
        headers: { authorization: basic(rp.client.clientId, rp.secret) },
      });
      expect(res.status).toBe(200);
      const refreshed = (await res.json()) as Record<string, string>;
      const second = await verifyIdToken(refreshed.id_token!, rp.client);
      expect(second).toMatchObject({ iss: first.iss, sub: first.sub, aud: first.aud, auth_time: first.auth_time, sid: sessionId });
      expect(second.iat).toBe(first.iat! + 120);
      expect(second).not.toHaveProperty("nonce");
      expect(second.at_hash).toBe(createHash("sha256").update(refreshed.access_token!).digest().subarray(0, 16).toString("base64url"));

      // A refresh narrowed to non-OpenID scopes gets no ID token.
      const narrowed = await call(ctx.container, "/oauth/token", {
        form: { grant_type: "refresh_token", refresh_token: refreshed.refresh_token!, scope: "profile" },
        headers: { authorization: basic(rp.client.clientId, rp.secret) },
      });
      expect(narrowed.status).toBe(200);
      expect(await narrowed.json()).not.toHaveProperty("id_token");
    });
  });

  describe("pairwise subjects (Core §8.1)", () => {
    it("gives clients of one sector the same sub, other sectors another, never the user id", async () => {
      const a1 = await verifyIdToken((await codeExchange(pairA1)).body.id_token!, pairA1.client);
      const a2 = await verifyIdToken((await codeExchange(pairA2)).body.id_token!, pairA2.client);
      const b = await verifyIdToken((await codeExchange(pairB)).body.id_token!, pairB.client);
      expect(a1.sub).toBe(a2.sub);
      expect(a1.sub).not.toBe(b.sub);
      expect(a1.sub).not.toBe(userId);
      expect(b.sub).not.toBe(userId);
      // Stable: the same value on the next sign-in.
      const again = await verifyIdToken((await codeExchange(pairB)).body.id_token!, pairB.client);
      expect(again.sub).toBe(b.sub);
    });

    it("uses the pairwise sub in the access token, introspection and UserInfo", async () => {
      const { body } = await codeExchange(pairB);
      const id = await verifyIdToken(body.id_token!, pairB.client);
      const at = await jwtVerify(body.access_token!, await jwks(), { currentDate: ctx.clock.now() });
      expect(at.payload.sub).toBe(id.sub);
      const introspected = await call(ctx.container, "/oauth/introspect", {
        form: { token: body.refresh_token! },
        headers: { authorization: basic(pairB.client.clientId, pairB.secret) },
      });
      expect(((await introspected.json()) as { sub: string }).sub).toBe(id.sub);
      const info = await userinfo(body.access_token!);
      expect(info.status).toBe(200);
      expect(await info.json()).toMatchObject({ sub: id.sub, name: "Alice Example", email: "alice@example.com" });
    });

    it("accepts a sector_identifier_uri that lists the redirect URIs, and uses its host as the sector (Registration §5)", async () => {
      const listed = ["https://one.example.com/cb", "https://two.example.com/cb"];
      const server = createServer((req, res) => {
        const body = req.url === "/sector.json" ? JSON.stringify(listed) : req.url === "/partial.json" ? JSON.stringify(listed.slice(0, 1)) : "not json";
        res.writeHead(200, { "content-type": "application/json" }).end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const pairwise = (sectorIdentifierUri: string, redirectUris: string[]) =>
          register(`Sector ${redirectUris.length}`, { subjectType: "pairwise", sectorIdentifierUri, redirectUris, grantTypes: ["authorization_code"], scopes: ["openid"] });
        const both = await pairwise(`${base}/sector.json`, listed);
        const one = await pairwise(`${base}/sector.json`, [listed[1]!]);
        expect(both.client.sectorIdentifierUri).toBe(`${base}/sector.json`);
        // One sector (the sector_identifier_uri's host): the same sub for both clients.
        const a = await verifyIdToken((await codeExchange(both, { scopes: ["openid"] })).body.id_token!, both.client);
        const b = await verifyIdToken((await codeExchange(one, { scopes: ["openid"] })).body.id_token!, one.client);
        expect(a.sub).toBe(b.sub);
        expect(a.sub).not.toBe(userId);
        await expect(pairwise(`${base}/partial.json`, listed)).rejects.toThrow(/does not list the redirect URI/);
        await expect(pairwise(`${base}/garbage.json`, listed)).rejects.toThrow(/not JSON/);
        await expect(pairwise("http://sector.example.com/sector.json", listed)).rejects.toThrow(/https/);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it("refuses pairwise clients whose redirect URIs span hosts without a sector_identifier_uri", async () => {
      await expect(
        ctx.container.clients.create({
          name: "Two hosts",
          type: "confidential",
          subjectType: "pairwise",
          redirectUris: ["https://one.example.com/cb", "https://two.example.com/cb"],
          grantTypes: ["authorization_code"],
          scopes: ["openid"],
        }),
      ).rejects.toThrow(/sectorIdentifierUri|sector_identifier_uri/i);
    });
  });

  describe("UserInfo (Core §5.3)", () => {
    it("returns the claims of the granted scopes, omitting those without a value", async () => {
      const { body } = await codeExchange(rp, { scopes: ["openid", "profile", "email", "phone", "address"] });
      const res = await userinfo(body.access_token!);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const claims = (await res.json()) as Record<string, unknown>;
      expect(claims).toMatchObject({
        sub: userId,
        name: "Alice Example",
        given_name: "Alice",
        family_name: "Example",
        email: "alice@example.com",
        email_verified: true,
        address: { locality: "Oslo", country: "NO" },
      });
      expect(typeof claims.updated_at).toBe("number");
      // No phone number: neither phone claim appears; no empty or null values anywhere.
      expect(claims).not.toHaveProperty("phone_number");
      expect(claims).not.toHaveProperty("phone_number_verified");
      expect(claims).not.toHaveProperty("nickname");
      expect(Object.values(claims)).not.toContain(null);
    });

    it("returns only sub for the openid scope, plus what the claims request's userinfo member names", async () => {
      const only = await codeExchange(rp, { scopes: ["openid"] });
      expect(await (await userinfo(only.body.access_token!)).json()).toEqual({ sub: userId });
      const asked = await codeExchange(rp, { scopes: ["openid"], claims: { userinfo: { email: { essential: true }, given_name: null, acr: null } } });
      expect(await (await userinfo(asked.body.access_token!)).json()).toEqual({ sub: userId, email: "alice@example.com", given_name: "Alice" });
    });

    it("accepts the token in a POST form body (RFC 6750 §2.2)", async () => {
      const { body } = await codeExchange(rp, { scopes: ["openid", "email"] });
      const res = await userinfo("", { method: "POST", form: { access_token: body.access_token! } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ sub: userId, email: "alice@example.com" });
    });

    it("answers RFC 6750 §3 errors with WWW-Authenticate", async () => {
      const { body } = await codeExchange(rp, { scopes: ["openid"] });
      const at = body.access_token!;

      const none = await userinfo("");
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toBe(`Bearer realm="${ISSUER}"`);

      const garbage = await userinfo("not-a-token");
      expect(garbage.status).toBe(401);
      expect(garbage.headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);

      const basicScheme = await userinfo("", { headers: { authorization: "Basic Zm9vOmJhcg==" } });
      expect(basicScheme.status).toBe(400);
      expect(basicScheme.headers.get("www-authenticate")).toMatch(/error="invalid_request"/);

      const twice = await userinfo(at, { method: "POST", form: { access_token: at } });
      expect(twice.status).toBe(400);
      expect(await twice.json()).toMatchObject({ error: "invalid_request" });

      // A query-string token is not accepted (RFC 6750 §2.3 is optional and leaks tokens into logs).
      const inQuery = await call(ctx.container, `/oidc/userinfo?access_token=${encodeURIComponent(at)}`);
      expect(inQuery.status).toBe(401);

      // client_credentials tokens have no openid scope and no user.
      const cc = await call(ctx.container, "/oauth/token", {
        form: { grant_type: "client_credentials", scope: "api" },
        headers: { authorization: basic(service.client.clientId, service.secret) },
      });
      const serviceToken = ((await cc.json()) as { access_token: string }).access_token;
      const insufficient = await userinfo(serviceToken);
      expect(insufficient.status).toBe(403);
      expect(insufficient.headers.get("www-authenticate")).toMatch(/error="insufficient_scope"/);

      const ok = await userinfo(at);
      expect(ok.status).toBe(200);
      const revoked = await call(ctx.container, "/oauth/revoke", { form: { token: at }, headers: { authorization: basic(rp.client.clientId, rp.secret) } });
      expect(revoked.status).toBe(200);
      const afterRevoke = await userinfo(at);
      expect(afterRevoke.status).toBe(401);
      expect(afterRevoke.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    });

    it("refuses expired tokens and tokens of disabled users", async () => {
      const { body } = await codeExchange(rp, { scopes: ["openid"] });
      const other = await codeExchange(rp, { scopes: ["openid"] });
      ctx.clock.advance((rp.client.accessTokenTtl + 1) * 1000);
      expect((await userinfo(body.access_token!)).status).toBe(401);

      const fresh = await codeExchange(rp, { scopes: ["openid"] });
      expect((await userinfo(fresh.body.access_token!)).status).toBe(200);
      await ctx.container.prisma.user.update({ where: { id: userId }, data: { status: "disabled" } });
      try {
        expect((await userinfo(fresh.body.access_token!)).status).toBe(401);
      } finally {
        await ctx.container.prisma.user.update({ where: { id: userId }, data: { status: "active" } });
      }
      expect(other.body.access_token).not.toBe(fresh.body.access_token);
    });

    it("answers a CORS preflight and exposes WWW-Authenticate", async () => {
      const res = await call(ctx.container, "/oidc/userinfo", { method: "OPTIONS", headers: { origin: "https://spa.example.com", "access-control-request-headers": "authorization" } });
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    });
  });

  describe("Discovery (OpenID Connect Discovery 1.0 §3, §4)", () => {
    it("publishes the provider metadata, consistent with the RFC 8414 document", async () => {
      const res = await call(ctx.container, "/.well-known/openid-configuration");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const doc = (await res.json()) as Record<string, unknown>;
      expect(doc.issuer).toBe(ISSUER);
      expect(doc).toMatchObject({
        authorization_endpoint: `${ISSUER}/oauth/authorize`,
        token_endpoint: `${ISSUER}/oauth/token`,
        userinfo_endpoint: `${ISSUER}/oidc/userinfo`,
        jwks_uri: `${ISSUER}/oauth/jwks`,
        end_session_endpoint: `${ISSUER}/oidc/logout`,
        check_session_iframe: `${ISSUER}/oidc/check-session`,
        response_types_supported: ["code"],
        response_modes_supported: ["query", "form_post"],
        grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
        subject_types_supported: ["public", "pairwise"],
        id_token_signing_alg_values_supported: ["RS256", "ES256", "EdDSA"],
        token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        code_challenge_methods_supported: ["S256"],
        claims_parameter_supported: true,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        ui_locales_supported: ["en", "de", "fr"],
        acr_values_supported: ["urn:authly:acr:password"],
        frontchannel_logout_supported: true,
        frontchannel_logout_session_supported: true,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
      });
      expect(doc.scopes_supported).toEqual(expect.arrayContaining(["openid", "profile", "email", "address", "phone", "offline_access"]));
      expect(doc.claims_supported).toEqual(expect.arrayContaining(["sub", "iss", "auth_time", "acr", "name", "email", "email_verified", "address", "phone_number"]));
      expect(doc).not.toHaveProperty("userinfo_signing_alg_values_supported");
      expect(doc).not.toHaveProperty("registration_endpoint");

      // Every advertised endpoint exists (Discovery §3: nothing that is not implemented).
      for (const [name, value] of Object.entries(doc)) {
        if (!/_(endpoint|uri|iframe)$/.test(name) || typeof value !== "string") continue;
        expect(value.startsWith(ISSUER), name).toBe(true);
        expect(findRoute(value.slice(ISSUER.length)), `${name} ${value}`).toBeDefined();
      }
      // RFC 8414 §2 and Discovery §3 describe one server: the two documents agree member by member.
      const oauth = (await (await call(ctx.container, "/.well-known/oauth-authorization-server")).json()) as Record<string, unknown>;
      expect(oauth).toEqual(doc);
    });
  });
});
