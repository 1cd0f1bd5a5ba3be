/**
 * A small key-value cache shared by the server's components.
 *
 * Used for:
 *  - cached client metadata and other derived data (`get`/`set` with a TTL);
 *  - replay guards, e.g. a JWT `jti` that may be seen only once (`setIfAbsent`);
 *  - rate-limit counters (`increment`, see `RateLimiter`);
 *  - cross-instance invalidation messages (`publish`/`subscribe`).
 *
 * Two implementations: `MemoryCache` (one process, the default) and `RedisCache`
 * (shared by every instance pointed at the same Redis).
 *
 * Semantics common to both (checked by `cache.contract.test.ts`):
 *  - Every key and channel is namespaced by the cache's `prefix` (default `"authly:"`), so several
 *    deployments or test runs can share one Redis. Callers pass un-prefixed names.
 *  - Values are strings; callers serialize (e.g. JSON) themselves.
 *  - TTLs are in milliseconds and must be positive finite numbers (fractions are rounded up);
 *    an invalid TTL rejects with a `RangeError`. A key without a TTL lives until deleted/overwritten.
 *  - `set` replaces the value and the TTL: `set` without `ttlMs` makes the key persistent.
 *  - After `close()`, every operation rejects.
 */

export type CacheKind = "memory" | "redis";

/** Default namespace for keys and channels. */
export const DEFAULT_CACHE_PREFIX = "authly:";

export interface CacheSetOptions {
  /** Time to live in milliseconds; omit for a key that never expires. */
  ttlMs?: number;
}

export interface CacheTtlOptions {
  /** Time to live in milliseconds (required: replay guards and counters must expire). */
  ttlMs: number;
}

/** Result of `Cache.increment`. */
export interface CounterResult {
  /** The counter's value after this increment (1 for the first increment of a window). */
  count: number;
  /** When the current window ends (epoch ms, from the cache's clock). */
  resetAtMs: number;
  /** Milliseconds until the window ends (relative, so it is immune to clock differences). */
  resetInMs: number;
}

/** Receives one published message. Exceptions (and rejected promises) are logged, not propagated. */
export type MessageHandler = (message: string) => void | Promise<void>;

/** Stops one subscription. Idempotent. */
export type Unsubscribe = () => Promise<void>;

export interface Cache {
  readonly kind: CacheKind;
  /** The namespace prepended to every key and channel. */
  readonly prefix: string;

  /** The value, or `null` when the key is absent or expired. */
  get(key: string): Promise<string | null>;

  /** Stores `value`, replacing any value and TTL the key had. */
  set(key: string, value: string, options?: CacheSetOptions): Promise<void>;

  /**
   * Atomically stores `value` only if the key is absent (or expired).
   * Resolves `true` if this call stored it, `false` if the key already existed: among any number
   * of concurrent calls for one key (across all instances sharing the store), exactly one gets `true`.
   * Used for replay detection (e.g. `jti`), with the TTL set to the token's remaining lifetime.
   */
  setIfAbsent(key: string, value: string, options: CacheTtlOptions): Promise<boolean>;

  /** Removes the key (no-op when absent). */
  delete(key: string): Promise<void>;

  /**
   * Atomic fixed-window counter. The first increment of an absent key creates it with count 1
   * and starts a window of `ttlMs`; later increments add 1 without extending the window; when the
   * window ends the key disappears and the next increment starts a new window.
   * Rejects if the key holds a non-integer value.
   */
  increment(key: string, options: CacheTtlOptions): Promise<CounterResult>;

  /**
   * Sends `message` to every current subscriber of `channel` (on every instance sharing the store).
   * Fire-and-forget like Redis pub/sub: subscribers that are not connected at that moment miss it,
   * so use it for invalidation hints, never as the only copy of data.
   * Delivery is asynchronous: handlers never run inside `publish` itself.
   */
  publish(channel: string, message: string): Promise<void>;

  /**
   * Registers `handler` for `channel`. Resolves once the subscription is active (messages published
   * afterwards are delivered, in publish order per publisher); resolves with a function that removes it.
   */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;

  /**
   * In-process caches only: the same as `get` / `increment`, answered synchronously. Hot paths use
   * them when present to avoid promise round trips; callers fall back to the async methods.
   */
  getNow?(key: string): string | null;
  incrementNow?(key: string, options: CacheTtlOptions): CounterResult;

  /**
   * Shared caches only: calls `listener` each time the connection comes back after an outage.
   * Pub/sub messages sent during the outage were lost, so subscribers that must not miss anything
   * (the revocation list) read their source again. Returns a function that removes the listener.
   */
  onReconnect?(listener: () => void): () => void;

  /** Resolves if the cache is usable; rejects (promptly) when the backing store is unreachable. */
  ping(): Promise<void>;

  /** Releases connections/timers and drops subscriptions. Idempotent. */
  close(): Promise<void>;
}

/** Error thrown by every operation after `close()`. */
export class CacheClosedError extends Error {
  constructor() {
    super("cache is closed");
    this.name = "CacheClosedError";
  }
}

/** Validates a TTL and normalizes it to a whole number of milliseconds (rounded up). */
export function normalizeTtlMs(ttlMs: number): number {
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive finite number of milliseconds, got ${String(ttlMs)}`);
  }
  return Math.ceil(ttlMs);
}

/** Runs a message handler, logging (never propagating) a throw or a rejected promise. */
export function deliverSafely(
  handler: MessageHandler,
  message: string,
  onError: (error: unknown) => void,
): void {
  try {
    const result = handler(message);
    if (result && typeof (result as Promise<void>).then === "function") {
      (result as Promise<void>).then(undefined, onError);
    }
  } catch (error) {
    onError(error);
  }
}
