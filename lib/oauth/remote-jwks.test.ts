/**
 * RemoteKeySets (remote-jwks.ts) with a stub egress and a manual clock: what is fetched when, and
 * what a failure does. The egress policy itself is tested in lib/security/egress.test.ts.
 */
import { SignJWT, errors as joseErrors, exportJWK, generateKeyPair, jwtVerify, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { EgressFailedError, EgressRefusedError, type Egress, type EgressRequest, type EgressResponse } from "../security/egress";
import { ManualClock } from "../server/clock";
import { JWKS_CACHE_MAX_AGE_MS, JWKS_COOLDOWN_MS, JWKS_MAX_BYTES, JWKS_TIMEOUT_MS, RemoteKeySetError, RemoteKeySets } from "./remote-jwks";

const URI = "https://rp.example/jwks.json";

interface SigningKey {
  kid: string;
  jwk: JWK;
  privateKey: CryptoKey;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const pair = await generateKeyPair("ES256", { extractable: true });
  return { kid, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" }, privateKey: pair.privateKey };
}

const signedBy = (key: SigningKey, kid = key.kid) => new SignJWT({ sub: "client" }).setProtectedHeader({ alg: "ES256", kid }).sign(key.privateKey);

function response(body: string | object, status = 200): EgressResponse {
  return { status, headers: {}, body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)), truncated: false };
}
const jwks = (...keys: SigningKey[]) => response({ keys: keys.map((k) => k.jwk) });

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Answers every fetch with `reply` (replace it to change what the "server" serves) and records the calls. */
class StubEgress implements Egress {
  readonly calls: { url: string; request: EgressRequest }[] = [];
  reply: (url: string) => Promise<EgressResponse> = () => Promise.reject(new Error("no reply set"));

  fetch(url: string, request: EgressRequest): Promise<EgressResponse> {
    this.calls.push({ url, request });
    return this.reply(url);
  }
}

/**
 * Lets every pending promise chain run. Only microtasks stand between a verification and its key
 * lookup once the token is signed (sign tokens before, WebCrypto signing is not a microtask).
 */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("RemoteKeySets", () => {
  let k1: SigningKey;
  let k2: SigningKey;
  let k3: SigningKey;
  beforeAll(async () => {
    [k1, k2, k3] = await Promise.all([signingKey("k1"), signingKey("k2"), signingKey("k3")]);
  });

  function setup() {
    const clock = new ManualClock();
    const egress = new StubEgress();
    const sets = new RemoteKeySets({ egress, clock });
    const verify = async (token: string | Promise<string>, uri = URI) => (await jwtVerify(await token, sets.keySet(uri))).payload;
    return { clock, egress, sets, verify };
  }

  it("fetches through the egress with the JWKS size cap, timeout and accept header", async () => {
    const { egress, verify } = setup();
    egress.reply = async () => jwks(k1);
    expect(await verify(signedBy(k1))).toMatchObject({ sub: "client" });
    expect(egress.calls).toEqual([
      { url: URI, request: { method: "GET", headers: { accept: "application/jwk-set+json, application/json" }, maxBytes: JWKS_MAX_BYTES, timeoutMs: JWKS_TIMEOUT_MS } },
    ]);
    expect(JWKS_MAX_BYTES).toBe(256 * 1024);
    expect(JWKS_TIMEOUT_MS).toBe(5_000);
  });

  it("reuses a set within its max age (10 minutes) and fetches it again after", async () => {
    const { clock, egress, verify } = setup();
    expect(JWKS_CACHE_MAX_AGE_MS).toBe(600_000);
    egress.reply = async () => jwks(k1);
    await verify(signedBy(k1));
    clock.advance(JWKS_CACHE_MAX_AGE_MS - 1);
    await verify(signedBy(k1));
    await verify(signedBy(k1));
    expect(egress.calls).toHaveLength(1);

    // The client rotated k1 out: the refetch after the max age no longer accepts it.
    egress.reply = async () => jwks(k2);
    clock.advance(1);
    await verify(signedBy(k2));
    expect(egress.calls).toHaveLength(2);
    await expect(verify(signedBy(k1))).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(egress.calls).toHaveLength(2);
  });

  it("keeps one cache per URI", async () => {
    const { egress, verify } = setup();
    egress.reply = async (url) => (url === URI ? jwks(k1) : jwks(k2));
    await verify(signedBy(k1));
    await verify(signedBy(k2), "https://other.example/jwks");
    await expect(verify(signedBy(k2))).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(egress.calls.map((c) => c.url)).toEqual([URI, "https://other.example/jwks"]);
  });

  it("refetches for an unknown kid at most once per cooldown (30 s)", async () => {
    const { clock, egress, verify } = setup();
    expect(JWKS_COOLDOWN_MS).toBe(30_000);
    egress.reply = async () => jwks(k1);
    await verify(signedBy(k1));
    // Right after a fetch: an unknown kid fails without another fetch.
    egress.reply = async () => jwks(k1, k2);
    await expect(verify(signedBy(k2))).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    clock.advance(JWKS_COOLDOWN_MS - 1);
    await expect(verify(signedBy(k2))).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(egress.calls).toHaveLength(1);

    // After the cooldown: one refetch, which picks up the rotated-in key.
    clock.advance(1);
    expect(await verify(signedBy(k2))).toMatchObject({ sub: "client" });
    expect(egress.calls).toHaveLength(2);

    // Made-up kids cannot make it fetch again within the cooldown.
    for (let i = 0; i < 20; i++) await expect(verify(signedBy(k3, `made-up-${i}`))).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    clock.advance(JWKS_COOLDOWN_MS - 1);
    await expect(verify(signedBy(k3))).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(egress.calls).toHaveLength(2);

    // A kid the refetched set still lacks fails after its one refetch.
    clock.advance(1);
    await expect(verify(signedBy(k3))).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(egress.calls).toHaveLength(3);
    // Known kids never needed a fetch of their own.
    await verify(signedBy(k1));
    expect(egress.calls).toHaveLength(3);
  });

  it("shares one fetch between concurrent requests", async () => {
    const { egress, verify } = setup();
    const gate = deferred<EgressResponse>();
    egress.reply = () => gate.promise;
    const tokens = await Promise.all(Array.from({ length: 5 }, () => signedBy(k1)));
    const results = Promise.all(tokens.map((t) => verify(t)));
    await settle();
    expect(egress.calls).toHaveLength(1);
    gate.resolve(jwks(k1));
    expect(await results).toHaveLength(5);
    expect(egress.calls).toHaveLength(1);
  });

  it("lets concurrent requests with a new kid wait for the one refetch under way", async () => {
    const { clock, egress, verify } = setup();
    egress.reply = async () => jwks(k1);
    await verify(signedBy(k1));
    clock.advance(JWKS_COOLDOWN_MS);
    const gate = deferred<EgressResponse>();
    egress.reply = () => gate.promise;
    // Five requests signed with the client's new key arrive together; all miss the cached set.
    const tokens = await Promise.all(Array.from({ length: 5 }, () => signedBy(k2)));
    const results = Promise.allSettled(tokens.map((t) => verify(t)));
    await settle();
    expect(egress.calls).toHaveLength(2);
    gate.resolve(jwks(k1, k2));
    expect((await results).map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
    expect(egress.calls).toHaveLength(2);
  });

  it("remembers a failed fetch for the cooldown, counted from the failure", async () => {
    const { clock, egress, verify } = setup();
    const refused = new EgressRefusedError("address", "rp.example resolves to 10.0.0.5, a private address");
    // The failing fetch takes 5 s (a timeout, say).
    egress.reply = async () => {
      clock.advance(5_000);
      throw refused;
    };
    // The egress error reaches the caller unchanged (client-auth logs it as the cause).
    await expect(verify(signedBy(k1))).rejects.toBe(refused);
    expect(egress.calls).toHaveLength(1);
    clock.advance(JWKS_COOLDOWN_MS - 1);
    await expect(verify(signedBy(k1))).rejects.toBe(refused);
    expect(egress.calls).toHaveLength(1);

    clock.advance(1);
    egress.reply = async () => jwks(k1);
    await verify(signedBy(k1));
    expect(egress.calls).toHaveLength(2);
  });

  it("fails closed when a set past its max age cannot be fetched again", async () => {
    const { clock, egress, verify } = setup();
    egress.reply = async () => jwks(k1);
    await verify(signedBy(k1));
    clock.advance(JWKS_CACHE_MAX_AGE_MS);
    const down = new EgressFailedError("timeout", "timeout");
    egress.reply = () => Promise.reject(down);
    await expect(verify(signedBy(k1))).rejects.toBe(down);
    await expect(verify(signedBy(k1))).rejects.toBe(down);
    expect(egress.calls).toHaveLength(2);
  });

  it("keeps a set within its max age in use when a refetch for an unknown kid fails", async () => {
    const { clock, egress, verify } = setup();
    egress.reply = async () => jwks(k1);
    await verify(signedBy(k1));
    clock.advance(JWKS_COOLDOWN_MS);
    const down = new EgressFailedError("network", "network error (ECONNRESET)");
    egress.reply = () => Promise.reject(down);
    // Anyone may present a made-up kid; the refetch it causes fails...
    await expect(verify(signedBy(k3, "made-up"))).rejects.toBe(down);
    // ...and the client's own key still verifies, without another fetch.
    expect(await verify(signedBy(k1))).toMatchObject({ sub: "client" });
    await expect(verify(signedBy(k3, "made-up-2"))).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    expect(egress.calls).toHaveLength(2);

    // Once the set is past its max age it must be fetched again, and the failure then counts.
    clock.advance(JWKS_CACHE_MAX_AGE_MS - JWKS_COOLDOWN_MS);
    await expect(verify(signedBy(k1))).rejects.toBe(down);
    expect(egress.calls).toHaveLength(3);
  });

  describe("refuses what is not a JWK Set", () => {
    it.each([
      ["a status other than 200", response({ keys: [] }, 404), "jwks_uri answered HTTP 404"],
      ["a 201", response({ keys: [] }, 201), "jwks_uri answered HTTP 201"],
      ["a body that is not JSON", response("<html>not json</html>"), "jwks_uri did not serve JSON"],
      ["an empty body", response(""), "jwks_uri did not serve JSON"],
      ["an object without keys", response({}), "jwks_uri did not serve a JWK Set (RFC 7517 §5)"],
      ["a bare array of keys", response([{ kty: "EC" }]), "jwks_uri did not serve a JWK Set (RFC 7517 §5)"],
      ["keys that are not an array", response({ keys: { kty: "EC" } }), "jwks_uri did not serve a JWK Set (RFC 7517 §5)"],
      ["a key without kty", response({ keys: [{ kid: "k1" }] }), "jwks_uri did not serve a JWK Set (RFC 7517 §5)"],
      ["more than 100 keys", response({ keys: Array.from({ length: 101 }, (_, i) => ({ kty: "EC", kid: String(i) })) }), "jwks_uri did not serve a JWK Set (RFC 7517 §5)"],
    ])("%s", async (_name, answer, message) => {
      const { clock, egress, verify } = setup();
      egress.reply = async () => answer;
      const error = await verify(signedBy(k1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteKeySetError);
      expect((error as Error).message).toBe(message);
      // Remembered like any failure: no second fetch within the cooldown.
      await expect(verify(signedBy(k1))).rejects.toBe(error);
      expect(egress.calls).toHaveLength(1);
      clock.advance(JWKS_COOLDOWN_MS);
      egress.reply = async () => jwks(k1);
      await verify(signedBy(k1));
      expect(egress.calls).toHaveLength(2);
    });
  });
});
