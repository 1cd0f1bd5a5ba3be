import type { Clock } from "../server/clock";
import type { Logger } from "../observability/logger";
import type { Cache } from "./cache";
import { MemoryCache } from "./memory-cache";
import { RedisCache } from "./redis-cache";

export * from "./cache";
export { MemoryCache, type MemoryCacheOptions } from "./memory-cache";
export { RedisCache, redisClientOptions, type RedisCacheOptions } from "./redis-cache";
export { RateLimiter, type RateLimiterOptions, type RateLimitDecision } from "./rate-limiter";

export interface CreateCacheOptions {
  /** When set, a `RedisCache` on this URL; otherwise an in-process `MemoryCache`. */
  redisUrl?: string | undefined;
  prefix?: string;
  clock: Clock;
  logger: Logger;
}

/** Builds the configured cache: Redis when a URL is given, in-memory otherwise. */
export function createCache(options: CreateCacheOptions): Cache {
  const { redisUrl, prefix, clock, logger } = options;
  if (redisUrl) return new RedisCache({ url: redisUrl, prefix, clock, logger: logger.child({ component: "cache" }) });
  return new MemoryCache({ prefix, clock, logger: logger.child({ component: "cache" }) });
}
