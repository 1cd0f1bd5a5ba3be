import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryCache } from "../cache/memory-cache";
import type { ClientService } from "../clients/client-service";
import type { Client } from "../generated/prisma/client";
import { silentLogger } from "../observability/logger";
import { ProtocolRateLimits } from "../security/rate-limits";
import { hashSecret } from "../security/secrets";
import { ManualClock } from "../server/clock";
import { ClientAuthenticator, JWT_BEARER_ASSERTION_TYPE } from "./client-auth";
import { OAuthError } from "./errors";

const ISSUER = "http://localhost:3000";
const SECRET = "known-client-secret";

const knownClient = {
  clientId: "known",
  tokenEndpointAuthMethod: "client_secret_basic",
  secretHash: hashSecret(SECRET),
  secretExpiresAt: null,
  updatedAt: new Date(0),
  jwks: null,
  jwksUri: null,
  tokenEndpointAuthSigningAlg: null,
} as unknown as Client;

function setup(options: { perClient?: number; asyncLookup?: boolean } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 29, 12, 0, 0));
  const rateCache = new MemoryCache({ clock });
  const looked: string[] = [];
  const findActive = (id: string) => {
    looked.push(id);
    const found = id === knownClient.clientId ? knownClient : null;
    return options.asyncLookup ? Promise.resolve(found) : found;
  };
  // No client here has remote keys, so dependencies for them are left out.
  const auth = new ClientAuthenticator({
    clients: { findActive } as unknown as ClientService,
    assertions: { recordClientAssertion: async () => true },
    clock,
    logger: silentLogger,
    rateLimits: new ProtocolRateLimits(rateCache, silentLogger, { windowSeconds: 60, perIp: 0, perClient: options.perClient ?? 3 }),
    issuer: ISSUER,
  } as unknown as ConstructorParameters<typeof ClientAuthenticator>[0]);
  return { auth, rateCache, looked };
}

const basicHeader = (raw: string | Uint8Array) => `Basic ${Buffer.from(raw).toString("base64")}`;
const unsignedAssertion = (sub: string) =>
  `${Buffer.from('{"alg":"ES256"}').toString("base64url")}.${Buffer.from(JSON.stringify({ iss: sub, sub, aud: ISSUER, jti: "j", exp: 1 })).toString("base64url")}.c2ln`;

async function attempt(auth: ClientAuthenticator, params: Record<string, string>, authorization?: string): Promise<OAuthError> {
  const request = new Request(`${ISSUER}/oauth/token`, { method: "POST", headers: authorization ? { authorization } : {} });
  try {
    await auth.authenticate(request, new Map(Object.entries(params)), "token", `${ISSUER}/oauth/token`);
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error("expected authentication to fail");
}

describe("per-client rate-limit keys", () => {
  it.each([false, true])("are never written for unknown client ids, by any method (async lookup: %s)", async (asyncLookup) => {
    const { auth, rateCache } = setup({ asyncLookup });
    for (let i = 0; i < 50; i++) {
      const id = `junk-${randomUUID()}`;
      const failures = [
        await attempt(auth, {}, basicHeader(`${id}:whatever`)),
        await attempt(auth, { client_id: id, client_secret: "whatever" }),
        await attempt(auth, { client_id: id }),
        await attempt(auth, { client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: unsignedAssertion(id) }),
      ];
      for (const e of failures) expect([e.status, e.error]).toEqual([401, "invalid_client"]);
    }
    expect(rateCache.size).toBe(0);
  });

  it("count a known client's failed authentications, then answer 429", async () => {
    const { auth, rateCache } = setup({ perClient: 3 });
    for (let i = 0; i < 3; i++) expect((await attempt(auth, {}, basicHeader("known:wrong"))).error).toBe("invalid_client");
    const limited = await attempt(auth, {}, basicHeader(`known:${SECRET}`));
    expect([limited.status, limited.error]).toEqual([429, "temporarily_unavailable"]);
    expect(rateCache.size).toBe(1);
  });
});

describe("credentials outside the edge text rule", () => {
  it.each([
    ["a NUL in the client id", basicHeader("kno\u0000wn:secret")],
    ["a form-encoded NUL in the client id (RFC 6749 §2.3.1)", basicHeader("kno%00wn:secret")],
    ["a NUL in the secret", basicHeader("known:sec\u0000ret")],
    ["a line feed in the secret", basicHeader("known:secret%0A")],
    ["bytes that are not UTF-8", basicHeader(new Uint8Array([0x6b, 0xff, 0x3a, 0x73]))],
    ["an encoded lone surrogate", basicHeader("known%ED%A0%80:secret")],
  ])("Basic with %s: invalid_client 401 with a challenge, nothing looked up", async (_name, header) => {
    const { auth, looked, rateCache } = setup();
    const e = await attempt(auth, {}, header);
    expect([e.status, e.error]).toEqual([401, "invalid_client"]);
    expect(e.headers["www-authenticate"]).toMatch(/^Basic /);
    expect(looked).toEqual([]);
    expect(rateCache.size).toBe(0);
  });

  it.each([
    ["a NUL", "kno\u0000wn"],
    ["a lone surrogate", "known\ud800"],
    ["a tab", "known\t"],
  ])("a client assertion whose sub has %s: invalid_client, nothing looked up", async (_name, sub) => {
    const { auth, looked } = setup();
    const e = await attempt(auth, { client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: unsignedAssertion(sub) });
    expect([e.status, e.error]).toEqual([401, "invalid_client"]);
    expect(looked).toEqual([]);
  });
});
