/**
 * Key sets that private_key_jwt clients publish at their `jwks_uri` (RFC 7591 §2, OIDC Core §9):
 * fetched through the egress policy (lib/security/egress.ts: https, checked addresses, no
 * redirects, size cap, timeout), parsed, and cached per URI in this instance (no module state).
 *
 * - A set is reused for `cacheMaxAgeMs` (10 minutes), then fetched again before use.
 * - A token whose `kid` the set does not hold makes one refetch, at most once per `cooldownMs`
 *   (30 s) per URI: a client that rotated its keys is picked up, and assertions with made-up kids
 *   cannot make Authly hammer the client's server.
 * - A failed fetch is remembered for `cooldownMs` after it failed: requests needing a fetch in that
 *   window fail at once.
 * - Concurrent requests for one URI share one fetch, including the refetch for an unknown kid.
 * Failures are fail-closed: a set past its max age that cannot be fetched again does not verify.
 * A failed refetch for an unknown kid leaves a set that is still within its max age in use: anyone
 * can send an assertion with a made-up kid, and a refetch it triggers must not take the client's
 * current keys away.
 */
import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import type { Egress } from "../security/egress";
import type { Clock } from "../server/clock";

/** The largest key set document accepted. */
export const JWKS_MAX_BYTES = 256 * 1024;
export const JWKS_TIMEOUT_MS = 5_000;
export const JWKS_CACHE_MAX_AGE_MS = 600_000;
export const JWKS_COOLDOWN_MS = 30_000;
const MAX_CACHED_SETS = 1_000;

/** RFC 7517 §5: a JSON object with a "keys" array of JWK objects. */
const jwkSetSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).max(100) });

/** A key set could not be fetched or is not a JWK Set. `message` is short and secret-free. */
export class RemoteKeySetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RemoteKeySetError";
  }
}

interface Entry {
  keys?: JWTVerifyGetKey;
  /** When `keys` was fetched. */
  fetchedAt: number;
  /** When the last fetch (good or bad) started. */
  attemptedAt: number;
  /** The last fetch's error, unless a later fetch succeeded. */
  failure?: unknown;
  /** When `failure` happened. */
  failedAt: number;
  pending?: Promise<JWTVerifyGetKey>;
}

export interface RemoteKeySetOptions {
  egress: Egress;
  clock: Clock;
  cacheMaxAgeMs?: number;
  cooldownMs?: number;
  timeoutMs?: number;
}

export class RemoteKeySets {
  private readonly entries = new Map<string, Entry>();
  private readonly cacheMaxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly deps: RemoteKeySetOptions) {
    this.cacheMaxAgeMs = deps.cacheMaxAgeMs ?? JWKS_CACHE_MAX_AGE_MS;
    this.cooldownMs = deps.cooldownMs ?? JWKS_COOLDOWN_MS;
    this.timeoutMs = deps.timeoutMs ?? JWKS_TIMEOUT_MS;
  }

  /** A key resolver for jose's jwtVerify backed by the key set at `uri`. */
  keySet(uri: string): JWTVerifyGetKey {
    return (header, token) => this.getKey(uri, header, token);
  }

  private async getKey(uri: string, header: Parameters<JWTVerifyGetKey>[0], token: Parameters<JWTVerifyGetKey>[1]) {
    const now = this.deps.clock.nowMs();
    const entry = this.entries.get(uri);
    const fresh = entry?.keys && now - entry.fetchedAt < this.cacheMaxAgeMs ? entry.keys : undefined;
    const keys = fresh ?? (await this.load(uri));
    try {
      return await keys(header, token);
    } catch (error) {
      // An unknown kid: the client may have rotated its keys; refetch once (after the cooldown).
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      const current = this.entries.get(uri);
      // A refetch already under way (started for the same new kid, most likely): use its result.
      if (current?.pending) return (await current.pending)(header, token);
      if (current && this.deps.clock.nowMs() - current.attemptedAt < this.cooldownMs) throw error;
      return (await this.load(uri))(header, token);
    }
  }

  /** Fetches the set (single-flight per URI); a failure within the cooldown is repeated without a fetch. */
  private load(uri: string): Promise<JWTVerifyGetKey> {
    const now = this.deps.clock.nowMs();
    let entry = this.entries.get(uri);
    if (entry?.pending) return entry.pending;
    if (entry?.failure && now - entry.failedAt < this.cooldownMs) return Promise.reject(entry.failure);
    if (!entry) {
      if (this.entries.size >= MAX_CACHED_SETS) this.entries.delete(this.entries.keys().next().value!);
      entry = { fetchedAt: 0, attemptedAt: now, failedAt: 0 };
      this.entries.set(uri, entry);
    }
    const target = entry;
    target.attemptedAt = now;
    target.pending = this.fetchSet(uri)
      .then((keys) => {
        Object.assign(target, { keys, fetchedAt: this.deps.clock.nowMs(), failure: undefined });
        return keys;
      })
      .catch((error: unknown) => {
        const failedAt = this.deps.clock.nowMs();
        // Fail closed once the set is past its max age; until then it stays in use (see above).
        const keys = target.keys && failedAt - target.fetchedAt < this.cacheMaxAgeMs ? target.keys : undefined;
        Object.assign(target, { keys, failure: error, failedAt });
        throw error;
      })
      .finally(() => {
        target.pending = undefined;
      });
    return target.pending;
  }

  private async fetchSet(uri: string): Promise<JWTVerifyGetKey> {
    // Rejects with EgressRefusedError / EgressFailedError, which callers log as the cause.
    const response = await this.deps.egress.fetch(uri, {
      method: "GET",
      headers: { accept: "application/jwk-set+json, application/json" },
      maxBytes: JWKS_MAX_BYTES,
      timeoutMs: this.timeoutMs,
    });
    if (response.status !== 200) throw new RemoteKeySetError(`jwks_uri answered HTTP ${response.status}`);
    let document: unknown;
    try {
      document = JSON.parse(response.body.toString("utf8"));
    } catch (error) {
      throw new RemoteKeySetError("jwks_uri did not serve JSON", { cause: error });
    }
    const parsed = jwkSetSchema.safeParse(document);
    if (!parsed.success) throw new RemoteKeySetError("jwks_uri did not serve a JWK Set (RFC 7517 §5)");
    return createLocalJWKSet(parsed.data as JSONWebKeySet);
  }
}
