import { createHash, createPrivateKey, createPublicKey, randomUUID, type JsonWebKey } from "node:crypto";
import type { Cache } from "../cache/cache";
import { channels } from "../cache/channels";
import { CachedValue } from "../cache/invalidating-cache";
import type { SigningKey } from "../generated/prisma/client";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { isSigningAlgorithm, JwsSigner, JwsVerifier, parseCompactJws, sameMediaType } from "./jws";
import type { SigningAlgorithm } from "../protocol/constants";
import type { SigningKeyService } from "./signing-key-service";

/** Cache channel announcing that the signing keys changed (rotation): every instance reloads. */
export const KEYS_CHANGED_CHANNEL = channels.keysChanged;
/** A token with an unknown kid reloads the keys at most this often (a flood of garbage cannot hammer the database). */
export const UNKNOWN_KID_RELOAD_INTERVAL_MS = 10_000;
/** After a failed background reload, the previous copy serves this long before the next try. */
const RETRY_AFTER_FAILURE_MS = 5_000;

/** JWK members a JWKS may publish (RFC 7517 §4, RFC 7518 §6.2.1/§6.3.1, RFC 8037 §2); never d, p, q, dp, dq, qi. */
const PUBLIC_JWK_MEMBERS = ["kty", "kid", "alg", "use", "n", "e", "crv", "x", "y"] as const;

export interface KeyStoreOptions {
  signingKeys: SigningKeyService;
  cache: Cache;
  clock: Clock;
  logger: Logger;
  /** How long this instance trusts its in-memory copy before reloading it in the background. */
  cacheSeconds: number;
}

export interface VerifiedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  kid: string;
}

interface PublishedKey {
  verifier: JwsVerifier;
  /** Retired keys stop verifying at their expiresAt (no token they signed is valid after it). */
  expiresAtMs: number | undefined;
}

/** One immutable copy of the keys, swapped whole on reload. */
interface KeySnapshot {
  signers: ReadonlyMap<SigningAlgorithm, JwsSigner>;
  published: ReadonlyMap<string, PublishedKey>;
  jwks: { body: string; etag: string; headers: Record<string, string> };
  /** When the copy must be reloaded: the cache TTL, or earlier when a retired key expires. */
  refreshAtMs: number;
}

/** RFC 7517 §8.5 media type; rotation publishes the next key well ahead, so relying parties may cache. */
const JWKS_HEADERS = {
  "content-type": "application/jwk-set+json; charset=utf-8",
  "cache-control": "public, max-age=300, stale-while-revalidate=60",
  "access-control-allow-origin": "*",
} as const;

/**
 * The signing keys in memory: per algorithm the active private key, every publishable public key
 * by kid, and the JWKS body with its ETag, held in one `CachedValue` (lib/cache/invalidating-cache.ts).
 * Requests never read the database: the copy is reloaded in the background after `cacheSeconds`
 * or when a retired key expires (stale-while-revalidate), at once when another instance announces
 * a rotation on `keys:changed`, and (rate-limited) when a token names an unknown kid.
 */

export class KeyStore {
  private readonly keys: CachedValue<KeySnapshot>;
  private lastUnknownKidReloadMs = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Tells our own `keys:changed` messages apart from other instances'. */
  private readonly instanceId = randomUUID();
  private readonly cacheMs: number;

  constructor(private readonly deps: KeyStoreOptions) {
    this.cacheMs = Math.max(0, deps.cacheSeconds) * 1000;
    this.keys = new CachedValue<KeySnapshot>({
      name: "signing keys",
      clock: deps.clock,
      logger: deps.logger,
      load: (previous) => this.read(previous),
      // Fresh for cacheSeconds, or until the first retired key expires, whichever comes first.
      ttlMs: (snapshot) => snapshot.refreshAtMs - deps.clock.nowMs(),
      // A stale copy keeps serving until a reload succeeds; requests never wait for one.
      staleMs: Number.POSITIVE_INFINITY,
      retryAfterFailureMs: Math.min(RETRY_AFTER_FAILURE_MS, this.cacheMs || RETRY_AFTER_FAILURE_MS),
      // A rotation on another instance: reload at once (the old copy serves meanwhile); our own announcement is ignored.
      channel: {
        cache: deps.cache,
        channel: KEYS_CHANGED_CHANNEL,
        mode: "reload",
        message: () => JSON.stringify({ origin: this.instanceId }),
        accepts: (message) => originOf(message) !== this.instanceId,
      },
    });
  }

  /** Subscribes to `keys:changed` and loads the keys (the only load a request may wait for). */
  async start(): Promise<void> {
    if (this.closed) throw new Error("the key store is closed");
    // Subscribe before loading, so a rotation between the two is not missed.
    await this.keys.listen();
    await this.ensureLoaded();
  }

  /** Signs a JWT with the active key of `alg` (default RS256); the header is `{alg, typ, kid}`. */
  async sign(payload: Record<string, unknown>, options: { typ: string; alg?: SigningAlgorithm }): Promise<string> {
    const alg = options.alg ?? "RS256";
    let signer = (await this.ensureLoaded()).signers.get(alg);
    if (!signer) {
      // No active key (keys created after our load): one rate-limited reload, then give up.
      signer = (await this.reloadRateLimited())?.signers.get(alg);
      if (!signer) throw new Error(`no active ${alg} signing key`);
    }
    return signer.sign(payload, options.typ);
  }

  /**
   * Verifies a compact JWS against the published keys: null when it is malformed, names an unknown
   * or expired kid, has another `typ` than asked, or its signature fails. Claims (exp, iat, aud, ...)
   * are the caller's to check.
   */
  async verify(token: string, options: { typ?: string } = {}): Promise<VerifiedJws | null> {
    const jws = parseCompactJws(token);
    if (!jws) return null;
    const kid = jws.header.kid;
    if (typeof kid !== "string" || kid === "") return null;
    // RFC 8725 §3.11: explicit typing keeps one kind of JWT from being accepted as another.
    if (options.typ !== undefined && (typeof jws.header.typ !== "string" || !sameMediaType(jws.header.typ, options.typ))) return null;
    let key = (await this.ensureLoaded()).published.get(kid);
    if (!key) {
      key = (await this.reloadRateLimited())?.published.get(kid);
      if (!key) return null;
    }
    if (key.expiresAtMs !== undefined && this.deps.clock.nowMs() >= key.expiresAtMs) return null;
    if (!(await key.verifier.verifyParsed(jws))) return null;
    return { header: jws.header, payload: jws.payload, kid };
  }

  /** The JWK Set (RFC 7517 §5) of every publishable key, precomputed, with a strong ETag (one object per key set version). */
  async jwks(): Promise<{ body: string; etag: string; headers: Record<string, string> }> {
    return (await this.ensureLoaded()).jwks;
  }

  /** Re-reads the keys from the database (a read that starts after this call). */
  async reload(): Promise<void> {
    await this.reloadFresh();
  }

  /** Reloads here and tells every other instance to reload (after a rotation). */
  async invalidate(): Promise<void> {
    await this.reloadFresh();
    // Best effort: other instances still pick the change up when their copy expires (AUTHLY_KEY_CACHE_SECONDS).
    await this.keys.publish();
  }

  /** Unsubscribes and waits for a running reload; the store serves no further loads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.keys.close();
  }

  /** The JWKS document without waiting, once loaded (a stale copy also schedules a reload). */
  currentJwks(): { body: string; etag: string; headers: Record<string, string> } | undefined {
    return this.keys.peek()?.jwks;
  }

  /** The current copy, loading it on first use; a stale copy keeps serving while a reload runs. */
  private ensureLoaded(): Promise<KeySnapshot> {
    const snapshot = this.keys.peek();
    if (snapshot) return Promise.resolve(snapshot);
    if (this.closed) return Promise.reject(new Error("the key store is closed"));
    return this.keys.load();
  }

  /** Joins a running load, or starts one if none ran in the last UNKNOWN_KID_RELOAD_INTERVAL_MS. */
  private async reloadRateLimited(): Promise<KeySnapshot | undefined> {
    if (this.closed) return undefined;
    if (!this.keys.isLoading()) {
      const now = this.deps.clock.nowMs();
      if (now - this.lastUnknownKidReloadMs < UNKNOWN_KID_RELOAD_INTERVAL_MS) return undefined;
      this.lastUnknownKidReloadMs = now;
    }
    return this.keys.load().catch(() => undefined);
  }

  /**
   * A load that starts after this call: joins none that is already running (it may have read
   * the database before a rotation committed) but queues one behind it, shared by every caller
   * that asks meanwhile.
   */
  private reloadFresh(): Promise<KeySnapshot> {
    if (this.closed) return Promise.reject(new Error("the key store is closed"));
    return this.keys.refresh();
  }

  private async read(previous: KeySnapshot | undefined): Promise<KeySnapshot> {
    const rows = await this.deps.signingKeys.listPublishable();
    const now = this.deps.clock.nowMs();
    const signers = new Map<SigningAlgorithm, JwsSigner>();
    const activatedAt = new Map<SigningAlgorithm, number>();
    const published = new Map<string, PublishedKey>();
    const jwks: Record<string, unknown>[] = [];
    let refreshAtMs = now + this.cacheMs;

    for (const row of rows) {
      if (!isSigningAlgorithm(row.alg)) {
        this.deps.logger.warn("skipping a signing key with an unsupported algorithm", { kid: row.kid, alg: row.alg });
        continue;
      }
      const alg = row.alg;
      const expiresAtMs = row.status === "retired" ? row.expiresAt?.getTime() : undefined;
      if (expiresAtMs !== undefined) refreshAtMs = Math.min(refreshAtMs, expiresAtMs);
      const publicJwk = publicMembers(row);
      // Key objects are immutable: reuse the ones the previous copy built.
      const verifier = previous?.published.get(row.kid)?.verifier ?? new JwsVerifier(alg, createPublicKey({ key: publicJwk as JsonWebKey, format: "jwk" }));
      published.set(row.kid, { verifier, expiresAtMs });
      jwks.push(publicJwk);

      if (row.status === "active") {
        const since = (row.activatedAt ?? row.createdAt).getTime();
        // Only one key per algorithm should be active; if a race left two, sign with the newest.
        if (signers.has(alg) && since <= activatedAt.get(alg)!) continue;
        const reused = [...(previous?.signers.values() ?? [])].find((s) => s.kid === row.kid);
        signers.set(alg, reused ?? this.signerFor(row, alg));
        activatedAt.set(alg, since);
      }
    }

    const body = JSON.stringify({ keys: jwks });
    // A strong validator (RFC 9110 §8.8.3): identical bytes on every instance for the same key set.
    const etag = `"${createHash("sha256").update(body).digest("base64url")}"`;
    this.deps.logger.debug("loaded signing keys", { published: published.size, active: [...signers.values()].map((s) => s.kid) });
    return { signers, published, jwks: { body, etag, headers: { ...JWKS_HEADERS } }, refreshAtMs };
  }

  private signerFor(row: SigningKey, alg: SigningAlgorithm): JwsSigner {
    const privateJwk = this.deps.signingKeys.decryptPrivateJwk(row);
    return new JwsSigner(row.kid, alg, createPrivateKey({ key: privateJwk as JsonWebKey, format: "jwk" }));
  }
}

/** The announcing instance named by a `keys:changed` message (undefined when the message is not ours to read). */
function originOf(message: string): unknown {
  try {
    return (JSON.parse(message) as { origin?: unknown }).origin;
  } catch {
    return undefined;
  }
}

function publicMembers(row: SigningKey): Record<string, unknown> {
  const stored = row.publicJwk as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name of PUBLIC_JWK_MEMBERS) {
    if (typeof stored[name] === "string") out[name] = stored[name];
  }
  // The row is the authority for kid and alg (RFC 7517 §4.4, §4.5); use "sig" (§4.2).
  out.kid = row.kid;
  out.alg = row.alg;
  out.use = "sig";
  return out;
}
