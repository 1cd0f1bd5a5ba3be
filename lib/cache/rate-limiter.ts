import type { Cache, CounterResult } from "./cache";

export interface RateLimiterOptions {
  /** Requests allowed per window (positive integer). */
  limit: number;
  /** Window length in milliseconds (positive integer). */
  windowMs: number;
  /**
   * Distinguishes limiters sharing one cache, so e.g. the token endpoint and the login form keep
   * separate counters for the same client key. Default `"default"`.
   */
  name?: string;
}

export interface RateLimitDecision {
  /** Whether this request is within the limit. */
  allowed: boolean;
  /** Requests still allowed in the current window after this one (0 when denied). */
  remaining: number;
  /** The configured limit (handy for `RateLimit-Limit` headers). */
  limit: number;
  /** When the current window ends (epoch ms, from the cache's clock). */
  resetAtMs: number;
  /** Whole seconds until the window ends (>= 1) when denied, for `Retry-After`; 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * Fixed-window rate limiter on top of `Cache.increment`.
 *
 * The first request for a key opens a window of `windowMs`; up to `limit` requests in that window are
 * allowed and the rest denied until it ends, when the counter starts again from zero. Denied requests
 * are counted too but never extend the window. Being a fixed window, a client can make up to
 * 2 × `limit` requests across a window boundary; that is the accepted trade-off for one atomic
 * command per request. With `RedisCache` the limit is shared by every instance.
 *
 * `consume` rejects if the cache fails (e.g. Redis down): the caller decides whether to fail open or closed.
 */
export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly keyPrefix: string;

  constructor(
    private readonly cache: Cache,
    options: RateLimiterOptions,
  ) {
    if (!Number.isInteger(options.limit) || options.limit <= 0) {
      throw new RangeError(`limit must be a positive integer, got ${String(options.limit)}`);
    }
    if (!Number.isInteger(options.windowMs) || options.windowMs <= 0) {
      throw new RangeError(`windowMs must be a positive integer, got ${String(options.windowMs)}`);
    }
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.keyPrefix = `ratelimit:${options.name ?? "default"}:`;
  }

  /** Counts one request for `key` (e.g. a client id or an IP address) and says whether it is allowed. */
  async consume(key: string): Promise<RateLimitDecision> {
    return this.decide(await this.cache.increment(this.keyPrefix + key, { ttlMs: this.windowMs }));
  }

  /** `consume` without a promise when the cache is in-process; undefined when it cannot answer synchronously. */
  consumeNow(key: string): RateLimitDecision | undefined {
    if (!this.cache.incrementNow) return undefined;
    return this.decide(this.cache.incrementNow(this.keyPrefix + key, { ttlMs: this.windowMs }));
  }

  private decide({ count, resetAtMs, resetInMs }: CounterResult): RateLimitDecision {
    const allowed = count <= this.limit;
    return {
      allowed,
      remaining: Math.max(0, this.limit - count),
      limit: this.limit,
      resetAtMs,
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(resetInMs / 1000)),
    };
  }
}
