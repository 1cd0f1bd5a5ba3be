// Attacks on the stateful token paths: many concurrent presentations of one refresh token or one
// authorization code, rotation racing revocation, and a cache that loses its entries. Run on both
// databases; security decisions must come from the database, whatever the cache does.
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MemoryCache } from "../lib/cache/memory-cache";
import { RedisCache } from "../lib/cache/redis-cache";
import type { Client } from "../lib/generated/prisma/client";
import { JWT_BEARER_ASSERTION_TYPE } from "../lib/oauth/client-auth";
import { silentLogger } from "../lib/observability/logger";
import { systemClock } from "../lib/server/clock";
import { runStartupTasks } from "../lib/server/first-start";
import type { Container } from "../lib/server/container";
import { basic, call, pkcePair, storeAuthorizationCode } from "./support/oauth";
import { startPrivateRedis, type PrivateRedis } from "./support/redis-server";
import { createTestContainer, databaseKind, freshDatabase, type TestContext } from "./support/test-env";
import { randomBytes, randomUUID } from "node:crypto";

const REDIRECT = "https://app.example.com/callback";
const CONCURRENCY = 50;
const ROUNDS = 4;

type Json = Record<string, unknown>;

async function setUp(container: Container) {
  await runStartupTasks(container);
  await container.scopes.create({ name: "api" });
  const made = await container.clients.create({
    name: "Web",
    type: "confidential",
    grantTypes: ["authorization_code", "refresh_token"],
    redirectUris: [REDIRECT],
    scopes: ["openid", "profile", "offline_access", "api"],
  });
  const user = await container.users.create({ email: `user-${randomUUID()}@example.com`, password: "user-password-123" });
  return { web: { client: made.client, secret: made.clientSecret! }, userId: user.id };
}

function helpers(container: () => Container, web: () => { client: Client; secret: string }, userId: () => string) {
  const auth = () => ({ authorization: basic(web().client.clientId, web().secret) });
  const token = (form: Record<string, string>) => call(container(), "/oauth/token", { form, headers: auth() });
  const introspect = async (tok: string) => (await (await call(container(), "/oauth/introspect", { form: { token: tok }, headers: auth() })).json()) as Json;
  const newCode = async () => {
    const { verifier, challenge } = pkcePair();
    const code = await storeAuthorizationCode(container(), { clientRowId: web().client.id, userId: userId(), challenge, redirectUri: REDIRECT, scopes: ["openid", "offline_access", "api"] });
    return { code, verifier };
  };
  const exchange = (c: { code: string; verifier: string }) => token({ grant_type: "authorization_code", code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT });
  const tokens = async () => {
    const res = await exchange(await newCode());
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, string>;
  };
  const refresh = (rt: string) => token({ grant_type: "refresh_token", refresh_token: rt });
  /** Every refresh token and access token row of the family: all must be revoked. */
  const familyState = async (familyId: string) => {
    const prisma = container().prisma;
    const [family, refreshTokens, accessTokens] = await Promise.all([
      prisma.refreshTokenFamily.findUnique({ where: { id: familyId } }),
      prisma.refreshToken.findMany({ where: { familyId } }),
      prisma.accessToken.findMany({ where: { familyId } }),
    ]);
    return { family, refreshTokens, accessTokens };
  };
  const familyOf = async (rt: string) => {
    const { hashSecret } = await import("../lib/security/secrets");
    return (await container().prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: hashSecret(rt) } })).familyId;
  };
  return { token, introspect, newCode, exchange, tokens, refresh, familyState, familyOf };
}

describe(`concurrent use of one refresh token or code (${databaseKind})`, () => {
  let ctx: TestContext;
  let web: { client: Client; secret: string };
  let userId: string;
  const h = helpers(() => ctx.container, () => web, () => userId);

  beforeAll(async () => {
    ctx = await createTestContainer({ env: { AUTHLY_RATE_LIMIT_PER_IP: "0", AUTHLY_RATE_LIMIT_PER_CLIENT: "0" } });
    ({ web, userId } = await setUp(ctx.container));
  });
  afterAll(() => ctx.cleanup());

  it(`${CONCURRENCY} presentations of one refresh token at once: exactly one succeeds, then the whole family is dead (RFC 9700 §4.14.2)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const first = await h.tokens();
      const familyId = await h.familyOf(first.refresh_token!);
      const responses = await Promise.all(Array.from({ length: CONCURRENCY }, () => h.refresh(first.refresh_token!)));
      const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, string>>));
      const winners = bodies.filter((_, i) => responses[i]!.status === 200);
      expect(winners).toHaveLength(1);
      for (let i = 0; i < responses.length; i++) {
        if (responses[i]!.status !== 200) {
          expect(responses[i]!.status).toBe(400);
          expect(bodies[i]!.error).toBe("invalid_grant");
        }
      }
      const winner = winners[0]!;
      // The winner's new tokens are dead: the losers' reuse revoked the family after the winner committed.
      expect((await h.introspect(winner.access_token!)).active).toBe(false);
      expect((await h.introspect(winner.refresh_token!)).active).toBe(false);
      expect((await h.introspect(first.access_token!)).active).toBe(false);
      expect((await h.refresh(winner.refresh_token!)).status).toBe(400);
      const state = await h.familyState(familyId);
      expect(state.family?.revokedAt).not.toBeNull();
      expect(state.refreshTokens.length).toBe(2);
      expect(state.refreshTokens.every((t) => t.revokedAt !== null)).toBe(true);
      expect(state.accessTokens.length).toBe(2);
      expect(state.accessTokens.every((t) => t.revokedAt !== null)).toBe(true);

      // The real client comes back with the old token: reuse again (revoked or not), recorded again.
      const before = (await ctx.container.audit.list({ type: "token.refresh_reuse_detected", take: 1000 })).filter((e) => e.targetId === familyId).length;
      const late = await h.refresh(first.refresh_token!);
      expect(await late.json()).toMatchObject({ error: "invalid_grant", error_description: "the refresh token has already been used" });
      const after = (await ctx.container.audit.list({ type: "token.refresh_reuse_detected", take: 1000 })).filter((e) => e.targetId === familyId).length;
      expect(after).toBe(before + 1);
    }
  });

  it(`${CONCURRENCY} redemptions of one authorization code at once: exactly one succeeds, then everything issued from it is dead (RFC 6749 §4.1.2)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const code = await h.newCode();
      const responses = await Promise.all(Array.from({ length: CONCURRENCY }, () => h.exchange(code)));
      const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, string>>));
      const winners = bodies.filter((_, i) => responses[i]!.status === 200);
      expect(winners).toHaveLength(1);
      expect(bodies.filter((b) => b.error === "invalid_grant")).toHaveLength(CONCURRENCY - 1);
      const winner = winners[0]!;
      expect((await h.introspect(winner.access_token!)).active).toBe(false);
      expect((await h.introspect(winner.refresh_token!)).active).toBe(false);
      expect((await h.refresh(winner.refresh_token!)).status).toBe(400);
      const familyId = await h.familyOf(winner.refresh_token!);
      const state = await h.familyState(familyId);
      expect(state.family?.revokedAt).not.toBeNull();
      expect(state.accessTokens.every((t) => t.revokedAt !== null)).toBe(true);
    }
  });

  it("rotation racing revocation (RFC 7009) never leaves a live token behind", async () => {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const first = await h.tokens();
      const familyId = await h.familyOf(first.refresh_token!);
      const revoke = call(ctx.container, "/oauth/revoke", { form: { token: first.refresh_token!, token_type_hint: "refresh_token" }, headers: { authorization: basic(web.client.clientId, web.secret) } });
      const refreshes = Array.from({ length: 5 }, () => h.refresh(first.refresh_token!));
      const [revoked, ...rotated] = await Promise.all([revoke, ...refreshes]);
      expect(revoked.status).toBe(200);
      for (const res of rotated) {
        if (res.status !== 200) continue;
        const body = (await res.json()) as Record<string, string>;
        expect((await h.introspect(body.access_token!)).active).toBe(false);
        expect((await h.introspect(body.refresh_token!)).active).toBe(false);
      }
      const state = await h.familyState(familyId);
      expect(state.family?.revokedAt).not.toBeNull();
      expect(state.refreshTokens.every((t) => t.revokedAt !== null)).toBe(true);
      expect(state.accessTokens.every((t) => t.revokedAt !== null)).toBe(true);
    }
  });

  it("nothing can be added to a revoked family: a rotation after revocation issues nothing", async () => {
    const first = await h.tokens();
    const familyId = await h.familyOf(first.refresh_token!);
    await ctx.container.tokenRevoker.revokeFamily(familyId, "test");
    const res = await h.refresh(first.refresh_token!);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
    expect((await h.familyState(familyId)).refreshTokens).toHaveLength(1);
  });
});

describe(`revocations outlive the cache (${databaseKind})`, () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(() => redis?.dispose());

  async function instance(cacheFor: () => RedisCache | MemoryCache, target = freshDatabase()) {
    return createTestContainer({ target, env: { REDIS_URL: redis.url }, overrides: { cache: cacheFor() } });
  }

  it("a Redis flush or restart never brings a revoked access token back; with Redis down introspection and UserInfo still answer", async () => {
    const ctx = await instance(() => new RedisCache({ url: redis.url, logger: silentLogger, prefix: `t:${randomUUID()}:` }));
    try {
      const { web, userId } = await setUp(ctx.container);
      const h = helpers(() => ctx.container, () => web, () => userId);
      const revokedTokens = await h.tokens();
      const liveTokens = await h.tokens();
      expect((await call(ctx.container, "/oauth/revoke", { form: { token: revokedTokens.access_token! }, headers: { authorization: basic(web.client.clientId, web.secret) } })).status).toBe(200);
      expect((await h.introspect(revokedTokens.access_token!)).active).toBe(false);

      await redis.flush();
      expect((await h.introspect(revokedTokens.access_token!)).active).toBe(false);
      await redis.stop();
      await redis.start();
      expect((await h.introspect(revokedTokens.access_token!)).active).toBe(false);

      // Redis unreachable: answers from the list in memory (rate limits fail open), never 500.
      await redis.stop();
      try {
        const inactive = await call(ctx.container, "/oauth/introspect", { form: { token: revokedTokens.access_token! }, headers: { authorization: basic(web.client.clientId, web.secret) } });
        expect(inactive.status).toBe(200);
        expect(await inactive.json()).toMatchObject({ active: false });
        expect((await h.introspect(liveTokens.access_token!)).active).toBe(true);
        const userinfoRevoked = await call(ctx.container, "/oidc/userinfo", { headers: { authorization: `Bearer ${revokedTokens.access_token}` } });
        expect(userinfoRevoked.status).toBe(401);
        const userinfoLive = await call(ctx.container, "/oidc/userinfo", { headers: { authorization: `Bearer ${liveTokens.access_token}` } });
        expect(userinfoLive.status).toBe(200);
        // A restarted process (new instance, empty memory) reads the record from the database.
        await ctx.container.close();
        const again = await createTestContainer({ target: { ...ctx.target, dispose: () => undefined }, env: { REDIS_URL: redis.url }, overrides: { cache: new RedisCache({ url: redis.url, logger: silentLogger, prefix: `t:${randomUUID()}:` }), masterKey: ctx.masterKey } });
        try {
          const { jti } = decodeJwt(revokedTokens.access_token!) as { jti: string };
          expect(await again.container.revocations.isRevoked(jti)).toBe(true);
        } finally {
          await again.container.close();
        }
      } finally {
        await redis.start();
      }
    } finally {
      await ctx.cleanup();
    }
  });

  it("a client assertion's jti stays used through a Redis flush and restart; of concurrent presentations exactly one passes (RFC 7523 §3)", async () => {
    const ctx = await instance(() => new RedisCache({ url: redis.url, logger: silentLogger, prefix: `t:${randomUUID()}:` }));
    try {
      await runStartupTasks(ctx.container);
      await ctx.container.scopes.create({ name: "api" });
      const pair = await generateKeyPair("ES256", { extractable: true });
      const { client } = await ctx.container.clients.create({
        name: "JWT",
        type: "confidential",
        grantTypes: ["client_credentials"],
        scopes: ["api"],
        tokenEndpointAuthMethod: "private_key_jwt",
        jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] },
      });
      const signed = async () => {
        const now = Math.floor(ctx.clock.nowMs() / 1000);
        return new SignJWT({ jti: randomUUID(), iss: client.clientId, sub: client.clientId, aud: `${ctx.container.config.issuer}/oauth/token`, iat: now, exp: now + 60 })
          .setProtectedHeader({ alg: "ES256", kid: "k1" })
          .sign(pair.privateKey);
      };
      const present = (assertion: string) =>
        call(ctx.container, "/oauth/token", { form: { grant_type: "client_credentials", client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: assertion } });

      const first = await signed();
      expect((await present(first)).status).toBe(200);
      await redis.flush();
      expect((await present(first)).status).toBe(401);
      await redis.stop();
      try {
        expect((await present(first)).status).toBe(401);
      } finally {
        await redis.start();
      }
      expect((await present(first)).status).toBe(401);

      const raced = await signed();
      const statuses = await Promise.all(Array.from({ length: 20 }, () => present(raced).then((r) => r.status)));
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 401)).toHaveLength(19);
    } finally {
      await ctx.cleanup();
    }
  });

  it("an in-memory cache evicting its entries (rate-limit keys for many addresses) never brings a revoked token back", async () => {
    const small = await createTestContainer({
      env: { AUTHLY_RATE_LIMIT_PER_IP: "1000" },
      overrides: { cache: new MemoryCache({ clock: systemClock, maxEntries: 20 }) },
    });
    try {
      const { web, userId } = await setUp(small.container);
      const h = helpers(() => small.container, () => web, () => userId);
      const issued = await h.tokens();
      expect((await call(small.container, "/oauth/revoke", { form: { token: issued.access_token! }, headers: { authorization: basic(web.client.clientId, web.secret) } })).status).toBe(200);
      // Fill the cache far past its size with per-address counters.
      for (let i = 0; i < 100; i++) await call(small.container, "/oauth/introspect", { form: { token: "x" }, ip: `10.1.${i}.${randomBytes(1)[0]}` });
      expect((await h.introspect(issued.access_token!)).active).toBe(false);
    } finally {
      await small.cleanup();
    }
  });

  it.runIf(databaseKind === "postgres")("an instance that missed the announcement (Redis down) reads the revocation from the database", async () => {
    const target = freshDatabase();
    const make = () =>
      createTestContainer({ target: { ...target, dispose: () => undefined }, env: { REDIS_URL: redis.url }, overrides: { cache: new RedisCache({ url: redis.url, logger: silentLogger, prefix: "shared:" }), masterKey } });
    const masterKey = randomBytes(32);
    const a = await make();
    const b = await make();
    try {
      const { web, userId } = await setUp(a.container);
      const h = helpers(() => a.container, () => web, () => userId);
      const issued = await h.tokens();
      const { jti } = decodeJwt(issued.access_token!) as { jti: string };
      await b.container.revocations.start();
      expect(await b.container.revocations.isRevoked(jti)).toBe(false);
      await redis.stop();
      try {
        expect((await call(a.container, "/oauth/revoke", { form: { token: issued.access_token! }, headers: { authorization: basic(web.client.clientId, web.secret) } })).status).toBe(200);
        // B's list is older than its staleness bound once its clock passes it: the lookup reads the database.
        b.clock.advance(31_000);
        const introspected = (await (await call(b.container, "/oauth/introspect", { form: { token: issued.access_token! }, headers: { authorization: basic(web.client.clientId, web.secret) } })).json()) as Json;
        expect(introspected.active).toBe(false);
      } finally {
        await redis.start();
      }
      // And on reconnect an instance reads the database at once (announcements sent meanwhile were lost).
      const second = await h.tokens();
      const secondJti = (decodeJwt(second.access_token!) as { jti: string }).jti;
      await redis.stop();
      await a.container.tokenRevoker.revokeAccessToken(secondJti, new Date((decodeJwt(second.access_token!).exp as number) * 1000));
      await redis.start();
      await vi.waitFor(() => expect(b.container.revocations.isRevoked(secondJti)).toBe(true), { timeout: 15_000, interval: 100 });
    } finally {
      await a.container.close();
      await b.container.close();
      target.dispose();
    }
  });
});
