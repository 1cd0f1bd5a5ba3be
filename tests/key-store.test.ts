import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { createLocalJWKSet, jwtVerify, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RedisCache } from "../lib/cache/redis-cache";
import { loadConfig } from "../lib/config/config";
import { runCliCaptured } from "../lib/cli/run";
import { runRoute } from "../lib/http/pipeline";
import { findRoute } from "../lib/http/routes";
import { UNKNOWN_KID_RELOAD_INTERVAL_MS } from "../lib/keys/key-store";
import { KeyRotationSchedule } from "../lib/keys/rotation-schedule";
import { signingAlgorithms, type SigningAlgorithm } from "../lib/protocol/constants";
import { jwksHandler } from "../lib/oauth/jwks";
import { silentLogger } from "../lib/observability/logger";
import type { Container } from "../lib/server/container";
import { runStartupTasks, startContainer } from "../lib/server/first-start";
import { REDIS_TEST_URL } from "./support/paths";
import { createTestContainer, databaseKind, fastHasher, freshDatabase, type TestContext } from "./support/test-env";

const DAY_MS = 86_400_000;
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const PUBLIC_JWK_MEMBERS = ["kty", "kid", "alg", "use", "n", "e", "crv", "x", "y"];

type Jwk = Record<string, unknown> & { kid: string; alg: string };
const parseJwks = (body: string) => (JSON.parse(body) as { keys: Jwk[] }).keys;

async function activeKids(container: Container): Promise<Record<string, string>> {
  const keys = await container.signingKeys.list();
  return Object.fromEntries(keys.filter((k) => k.status === "active").map((k) => [k.alg, k.kid]));
}

async function kidOf(container: Container, alg: SigningAlgorithm = "RS256"): Promise<string> {
  const token = await container.keyStore.sign({ sub: "probe" }, { typ: "JWT", alg });
  return JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).kid as string;
}

describe(`signing key store (${databaseKind})`, () => {
  const contexts: TestContext[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    while (contexts.length) await contexts.pop()!.cleanup();
  });

  async function started(options: Parameters<typeof createTestContainer>[0] = {}): Promise<TestContext> {
    const ctx = await createTestContainer(options);
    contexts.push(ctx);
    await runStartupTasks(ctx.container);
    return ctx;
  }

  describe("serving from memory", () => {
    it("signs, verifies and serves the JWKS with no database read after the first (lazy) load", async () => {
      const { container } = await started();
      const reads = vi.spyOn(container.signingKeys, "listPublishable");
      const decrypts = vi.spyOn(container.signingKeys, "decryptPrivateJwk");
      const active = await activeKids(container);

      const tokens: Partial<Record<SigningAlgorithm, string>> = {};
      for (let i = 0; i < 100; i++) {
        for (const alg of signingAlgorithms) {
          const token = await container.keyStore.sign({ sub: `user-${i}`, n: i }, { typ: "at+jwt", alg });
          tokens[alg] ??= token;
          const verified = await container.keyStore.verify(token, { typ: "at+jwt" });
          expect(verified).toMatchObject({ kid: active[alg], header: { alg, typ: "at+jwt", kid: active[alg] }, payload: { sub: `user-${i}`, n: i } });
        }
        await container.keyStore.jwks();
      }
      // Concurrency does not add reads either.
      await Promise.all(Array.from({ length: 50 }, () => container.keyStore.sign({ sub: "x" }, { typ: "JWT" })));
      expect(reads).toHaveBeenCalledTimes(1);
      // Only the three active private keys were decrypted, once.
      expect(decrypts).toHaveBeenCalledTimes(3);

      // Default algorithm RS256; typ is checked when asked for; garbage never reaches the database.
      expect(await kidOf(container)).toBe(active.RS256);
      expect(await container.keyStore.verify(tokens.RS256!, { typ: "id_token+jwt" })).toBeNull();
      expect(await container.keyStore.verify(tokens.RS256!, { typ: "application/AT+JWT" })).not.toBeNull();
      expect(await container.keyStore.verify(tokens.RS256!)).not.toBeNull();
      expect(await container.keyStore.verify("not.a.token")).toBeNull();
      expect(await container.keyStore.verify("")).toBeNull();
      const [h, p, s] = tokens.ES256!.split(".");
      expect(await container.keyStore.verify(`${h}.${p}x.${s}`)).toBeNull();
      expect(reads).toHaveBeenCalledTimes(1);

      // The JWKS: active + next for every algorithm, public members only; jose verifies our tokens with it.
      const { body, etag } = await container.keyStore.jwks();
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      const keys = parseJwks(body);
      expect(keys).toHaveLength(6);
      for (const key of keys) {
        expect(PUBLIC_JWK_MEMBERS).toEqual(expect.arrayContaining(Object.keys(key)));
        for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
        expect(key.use).toBe("sig");
      }
      for (const alg of signingAlgorithms) {
        const { protectedHeader } = await jwtVerify(tokens[alg]!, createLocalJWKSet({ keys: keys as never }), { algorithms: [alg] });
        expect(protectedHeader.kid).toBe(active[alg]);
      }
      expect(reads).toHaveBeenCalledTimes(1);
    });

    it("startContainer loads the keys at start-up, so the first request reads nothing; background work only when asked", async () => {
      const target = freshDatabase();
      const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", AUTHLY_ISSUER: "http://localhost:3000", ...target.env });
      const rotationStart = vi.spyOn(KeyRotationSchedule.prototype, "start");
      const container = await startContainer(config, { logger: silentLogger, database: await target.open(), passwordHasher: fastHasher(), masterKey: randomBytes(32) }, () => undefined);
      try {
        expect(rotationStart).not.toHaveBeenCalled();
        const reads = vi.spyOn(container.signingKeys, "listPublishable");
        await container.keyStore.sign({ sub: "a" }, { typ: "JWT" });
        await container.keyStore.jwks();
        expect(reads).not.toHaveBeenCalled();
      } finally {
        await container.close();
        target.dispose();
      }
    });

    it("after cacheSeconds the next call reloads in the background while the old copy keeps serving", async () => {
      const { container, clock } = await started({ env: { AUTHLY_KEY_CACHE_SECONDS: "60" } });
      const original = container.signingKeys.listPublishable.bind(container.signingKeys);
      const reads = vi.spyOn(container.signingKeys, "listPublishable");
      const before = await kidOf(container);
      expect(reads).toHaveBeenCalledTimes(1);

      // Rotate behind the store's back (no invalidate): only the TTL can reveal it.
      const [rotated] = await container.signingKeys.rotate(["RS256"]);
      clock.advance(59_000);
      expect(await kidOf(container)).toBe(before);
      expect(reads).toHaveBeenCalledTimes(1);

      // Hold the database read open: requests must not wait for it.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      reads.mockImplementation(async () => {
        await gate;
        return original();
      });
      clock.advance(1_000);
      const during = await Promise.all(Array.from({ length: 20 }, () => kidOf(container)));
      expect(new Set(during)).toEqual(new Set([before]));
      await container.keyStore.jwks();
      expect(reads).toHaveBeenCalledTimes(2); // single flight
      release();
      await reads.mock.results[1]!.value;
      await vi.waitFor(async () => expect(await kidOf(container)).toBe(rotated!.activated));
      expect(reads).toHaveBeenCalledTimes(2);
    });

    it("an unknown kid reloads at most once per 10 seconds, however many tokens arrive", async () => {
      const { container, clock } = await started();
      const reads = vi.spyOn(container.signingKeys, "listPublishable");
      await container.keyStore.jwks();
      expect(reads).toHaveBeenCalledTimes(1);

      const foreign = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
      const forged = await new SignJWT({ sub: "mallory" }).setProtectedHeader({ alg: "RS256", kid: "no-such-key", typ: "JWT" }).sign(foreign);
      const results = await Promise.all(Array.from({ length: 200 }, () => container.keyStore.verify(forged)));
      expect(results.every((r) => r === null)).toBe(true);
      expect(reads).toHaveBeenCalledTimes(2);
      expect(await container.keyStore.verify(forged)).toBeNull();
      expect(reads).toHaveBeenCalledTimes(2);

      clock.advance(UNKNOWN_KID_RELOAD_INTERVAL_MS - 1);
      expect(await container.keyStore.verify(forged)).toBeNull();
      expect(reads).toHaveBeenCalledTimes(2);
      clock.advance(1);
      expect(await container.keyStore.verify(forged)).toBeNull();
      expect(reads).toHaveBeenCalledTimes(3);

      // A known kid with a foreign signature fails without any reload.
      const known = (await activeKids(container)).RS256!;
      const impostor = await new SignJWT({ sub: "mallory" }).setProtectedHeader({ alg: "RS256", kid: known }).sign(foreign);
      expect(await container.keyStore.verify(impostor)).toBeNull();
      // alg confusion: an HS256 token naming our kid.
      const hs = await new SignJWT({ sub: "mallory" }).setProtectedHeader({ alg: "HS256", kid: known }).sign(randomBytes(32));
      expect(await container.keyStore.verify(hs)).toBeNull();
      expect(reads).toHaveBeenCalledTimes(3);
    });

    it("a key rotated in by another process is found through the unknown-kid reload", async () => {
      const { container } = await started();
      await container.keyStore.jwks();
      // Another process rotates and signs with the new key; this store has not heard of it yet
      // (its copy lists the new key already as `next`, so take two rotations to get an unseen kid).
      await container.signingKeys.rotate(["ES256"]);
      const [second] = await container.signingKeys.rotate(["ES256"]);
      const jwk = container.signingKeys.decryptPrivateJwk((await container.signingKeys.list()).find((k) => k.kid === second!.activated)!);
      const { importJWK } = await import("jose");
      const token = await new SignJWT({ sub: "u" }).setProtectedHeader({ alg: "ES256", kid: second!.activated }).sign(await importJWK(jwk, "ES256"));
      expect(await container.keyStore.verify(token)).toMatchObject({ kid: second!.activated, payload: { sub: "u" } });
    });
  });

  describe("rotation", () => {
    it("after rotate + invalidate: new kid, retired tokens still verify, JWKS has active+next+retired until expiresAt", async () => {
      const { container, clock } = await started();
      const oldTokens = await Promise.all(signingAlgorithms.map((alg) => container.keyStore.sign({ sub: "before" }, { typ: "JWT", alg })));
      const oldKids = await activeKids(container);
      const { etag: oldEtag } = await container.keyStore.jwks();

      const results = await container.signingKeys.rotate();
      await container.keyStore.invalidate();

      for (const [i, alg] of signingAlgorithms.entries()) {
        const result = results.find((r) => r.alg === alg)!;
        expect(result.retired).toBe(oldKids[alg]);
        expect(await kidOf(container, alg)).toBe(result.activated);
        expect(await container.keyStore.verify(oldTokens[i]!)).toMatchObject({ kid: oldKids[alg], payload: { sub: "before" } });
      }
      const { body, etag } = await container.keyStore.jwks();
      expect(etag).not.toBe(oldEtag);
      const kids = parseJwks(body).map((k) => k.kid).sort();
      expect(kids).toEqual(results.flatMap((r) => [r.retired!, r.activated, r.next]).sort());

      // The retired keys' expiresAt: once passed, they stop verifying and leave the JWKS.
      const retired = (await container.signingKeys.list()).filter((k) => k.status === "retired");
      const expiresAt = Math.max(...retired.map((k) => k.expiresAt!.getTime()));
      clock.set(expiresAt - 1);
      expect(await container.keyStore.verify(oldTokens[0]!)).not.toBeNull();
      clock.set(expiresAt);
      expect(await container.keyStore.verify(oldTokens[0]!)).toBeNull();
      await container.keyStore.reload();
      const after = parseJwks((await container.keyStore.jwks()).body).map((k) => k.kid);
      expect(after).toHaveLength(6);
      for (const kid of Object.values(oldKids)) expect(after).not.toContain(kid);
      for (const token of oldTokens) expect(await container.keyStore.verify(token)).toBeNull();
    });

    it("a retired key's expiry alone schedules a background reload that drops it from the JWKS", async () => {
      const { container, clock } = await started({ env: { AUTHLY_KEY_CACHE_SECONDS: "86400" } });
      await container.signingKeys.rotate(["EdDSA"]);
      await container.keyStore.invalidate();
      expect(parseJwks((await container.keyStore.jwks()).body)).toHaveLength(7);
      const retired = (await container.signingKeys.list()).find((k) => k.status === "retired")!;
      clock.set(retired.expiresAt!.getTime());
      await container.keyStore.jwks(); // serves the old copy, starts the reload
      await vi.waitFor(async () => expect(parseJwks((await container.keyStore.jwks()).body)).toHaveLength(6));
    });
  });

  describe("rotation schedule", () => {
    it("rotates when the active key is older than rotationDays, and not before", async () => {
      const { container, clock } = await started({ env: { AUTHLY_KEY_ROTATION_DAYS: "30" } });
      const before = await kidOf(container);
      expect(await container.keyRotation.runOnce()).toEqual([]);
      clock.advance(30 * DAY_MS - 1);
      expect(await container.keyRotation.runOnce()).toEqual([]);
      clock.advance(1);
      expect(await container.keyRotation.runOnce()).toEqual(["RS256", "ES256", "EdDSA"]);
      // The store was invalidated: the new kid without waiting for the cache TTL.
      const after = await kidOf(container);
      expect(after).not.toBe(before);
      expect(after).toBe((await activeKids(container)).RS256);
      expect(await container.keyRotation.runOnce()).toEqual([]);
      const rotations = await container.audit.list({ type: "keys.rotated" });
      expect(rotations.filter((e) => e.actorType === "system")).toHaveLength(3);
    });

    it("two schedules due at once rotate each algorithm once (lock + re-check)", async () => {
      const { container, clock } = await started({ env: { AUTHLY_KEY_ROTATION_DAYS: "7" } });
      const other = new KeyRotationSchedule({ signingKeys: container.signingKeys, keyStore: container.keyStore, db: container.db, clock, logger: silentLogger, rotationDays: 7 });
      clock.advance(7 * DAY_MS);
      const [a, b] = await Promise.all([container.keyRotation.runOnce(), other.runOnce()]);
      expect([...a, ...b].sort()).toEqual([...signingAlgorithms].sort());
      expect((await container.signingKeys.list()).filter((k) => k.status === "retired")).toHaveLength(3);
    });

    it("never rotates with rotationDays 0; start() checks once at once and stop() ends it", async () => {
      const { container, clock } = await started({ env: { AUTHLY_KEY_ROTATION_DAYS: "0" } });
      clock.advance(3650 * DAY_MS);
      expect(await container.keyRotation.runOnce()).toEqual([]);
      container.keyRotation.start();
      await container.keyRotation.stop();
      expect((await container.signingKeys.list()).filter((k) => k.status === "retired")).toHaveLength(0);

      const due = new KeyRotationSchedule({ signingKeys: container.signingKeys, keyStore: container.keyStore, db: container.db, clock, logger: silentLogger, rotationDays: 1 });
      const rotate = vi.spyOn(container.signingKeys, "rotate");
      due.start();
      await vi.waitFor(() => expect(rotate).toHaveBeenCalledTimes(1));
      await due.stop();
      expect((await container.signingKeys.list()).filter((k) => k.status === "retired")).toHaveLength(3);
    });

    it("`authly keys rotate` through the CLI runner invalidates the key store", async () => {
      const { container } = await started();
      const before = await kidOf(container, "ES256");
      const invalidate = vi.spyOn(container.keyStore, "invalidate");
      const out = await runCliCaptured(["keys", "rotate", "--alg", "ES256", "--json"], container);
      expect(out.exitCode).toBe(0);
      const [result] = JSON.parse(out.stdout) as { alg: string; activated: string; retired: string }[];
      expect(result).toMatchObject({ alg: "ES256", retired: before });
      expect(invalidate).toHaveBeenCalledTimes(1);
      // ManualClock never moved, so only the invalidation can have reloaded the store.
      expect(await kidOf(container, "ES256")).toBe(result!.activated);
    });
  });

  describe.runIf(databaseKind === "postgres")("two instances on one PostgreSQL and Redis", () => {
    async function pair() {
      const target = freshDatabase();
      const prefix = `authly-test:${randomUUID()}:`;
      const masterKey = randomBytes(32);
      const make = async () => {
        const ctx = await createTestContainer({
          target,
          env: { REDIS_URL: REDIS_TEST_URL, AUTHLY_KEY_CACHE_SECONDS: "86400", AUTHLY_KEY_ROTATION_DAYS: "30" },
          overrides: { masterKey, cache: new RedisCache({ url: REDIS_TEST_URL, logger: silentLogger, prefix }) },
        });
        contexts.push(ctx);
        return ctx;
      };
      const a = await make();
      await runStartupTasks(a.container);
      const b = await make();
      await a.container.keyStore.start();
      await b.container.keyStore.start();
      return { a, b };
    }

    it("a rotation on A reaches B over Redis pub/sub without waiting for B's TTL", async () => {
      const { a, b } = await pair();
      const before = await kidOf(b.container);
      expect(await kidOf(a.container)).toBe(before);
      const bReads = vi.spyOn(b.container.signingKeys, "listPublishable");

      const out = await runCliCaptured(["keys", "rotate", "--alg", "RS256", "--json"], a.container);
      expect(out.exitCode).toBe(0);
      const [result] = JSON.parse(out.stdout) as { activated: string }[];
      await vi.waitFor(async () => expect(await kidOf(b.container)).toBe(result!.activated), { timeout: 5_000, interval: 10 });
      expect(bReads).toHaveBeenCalledTimes(1);
      // B verifies A's new tokens and still accepts the retired key's.
      const fromA = await a.container.keyStore.sign({ sub: "a" }, { typ: "JWT" });
      expect(await b.container.keyStore.verify(fromA)).toMatchObject({ kid: result!.activated });
      expect((await b.container.keyStore.jwks()).body).toBe((await a.container.keyStore.jwks()).body);
    });

    it("schedules on both instances rotate once between them", async () => {
      const { a, b } = await pair();
      a.clock.advance(30 * DAY_MS);
      b.clock.advance(30 * DAY_MS);
      const [ra, rb] = await Promise.all([a.container.keyRotation.runOnce(), b.container.keyRotation.runOnce()]);
      expect([...ra, ...rb].sort()).toEqual([...signingAlgorithms].sort());
      expect((await a.container.signingKeys.list()).filter((k) => k.status === "retired")).toHaveLength(3);
      const active = (await activeKids(a.container)).RS256;
      await vi.waitFor(async () => {
        expect(await kidOf(a.container)).toBe(active);
        expect(await kidOf(b.container)).toBe(active);
      }, { timeout: 5_000, interval: 10 });
    });
  });

  describe("JWKS endpoint", () => {
    async function get(container: Container, headers: Record<string, string> = {}, method = "GET") {
      return runRoute(findRoute("/oauth/jwks")!, new Request("http://localhost/oauth/jwks", { method, headers }), container);
    }

    it("200 with the JWK Set media type, caching headers and an ETag; public members only", async () => {
      const { container } = await started();
      const response = await get(container);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/jwk-set+json; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("public, max-age=300, stale-while-revalidate=60");
      const { body, etag } = await container.keyStore.jwks();
      expect(response.headers.get("etag")).toBe(etag);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      const text = await response.text();
      expect(text).toBe(body);
      const keys = parseJwks(text);
      expect(keys.map((k) => k.alg).sort()).toEqual(["ES256", "ES256", "EdDSA", "EdDSA", "RS256", "RS256"]);
      for (const key of keys) {
        for (const member of Object.keys(key)) expect(PUBLIC_JWK_MEMBERS).toContain(member);
      }
      for (const member of PRIVATE_JWK_MEMBERS) expect(text).not.toMatch(new RegExp(`"${member}"\\s*:`));
    });

    it("304 for a matching If-None-Match (also weak or in a list), 200 otherwise; HEAD and 405", async () => {
      const { container } = await started();
      const { etag } = await container.keyStore.jwks();
      for (const value of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
        const response = await get(container, { "if-none-match": value });
        expect(response.status).toBe(304);
        expect(await response.text()).toBe("");
        expect(response.headers.get("etag")).toBe(etag);
        expect(response.headers.get("cache-control")).toContain("max-age=300");
      }
      expect((await get(container, { "if-none-match": '"stale"' })).status).toBe(200);
      const head = await get(container, {}, "HEAD");
      expect(head.status).toBe(200);
      expect(await head.text()).toBe("");
      expect((await get(container, {}, "POST")).status).toBe(405);

      // Called directly (no pipeline), after a rotation the old ETag no longer matches.
      await container.signingKeys.rotate(["RS256"]);
      await container.keyStore.invalidate();
      const fresh = await jwksHandler(new Request("http://localhost/oauth/jwks", { headers: { "if-none-match": etag } }), { container, requestId: "r", clientIp: "127.0.0.1" });
      expect(fresh.status).toBe(200);
      expect(fresh.headers.get("etag")).not.toBe(etag);
    });
  });
});
