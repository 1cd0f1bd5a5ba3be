import type { Cache } from "../cache/cache";
import { RateLimiter, type RateLimitDecision } from "../cache/rate-limiter";
import type { Logger } from "../observability/logger";
import { addressBlock } from "./address-block";

export type LimitedEndpoint = "authorize" | "token" | "introspect" | "revoke" | "userinfo" | "logout";

/**
 * Thrown when an address or a client is over its limit. The protocol layer answers it in its own
 * terms (lib/oauth/errors.ts `tooManyRequests`: 429 with Retry-After, RFC 6585 §4).
 */
export class RateLimitExceeded extends Error {
  constructor(
    /** Whole seconds until the window ends (>= 1), for Retry-After. */
    readonly retryAfterSeconds: number,
  ) {
    super("too many requests, retry later");
    this.name = "RateLimitExceeded";
  }
}

/**
 * Per-IP and per-client fixed-window limits for the protocol endpoints, counted in the shared
 * cache (Redis when configured, so every instance sees the same counters). A limit of 0 is off.
 * Without Redis the counters get an in-process cache of their own: whatever floods them evicts
 * only other counters, never the entries other services keep. No security decision rests on them
 * (revocations, lockouts and replay guards are recorded in the database).
 * When the cache fails the request is let through (fail open) and the failure is logged: an
 * outage of the limiter must not become an outage of the token endpoint.
 */
export class ProtocolRateLimits {
  private readonly perIp: RateLimiter | undefined;
  private readonly perClient: RateLimiter | undefined;

  constructor(
    cache: Cache,
    private readonly logger: Logger,
    options: { windowSeconds: number; perIp: number; perClient: number },
  ) {
    const windowMs = options.windowSeconds * 1000;
    this.perIp = options.perIp > 0 ? new RateLimiter(cache, { limit: options.perIp, windowMs, name: "ip" }) : undefined;
    this.perClient = options.perClient > 0 ? new RateLimiter(cache, { limit: options.perClient, windowMs, name: "client" }) : undefined;
  }

  /**
   * Throws RateLimitExceeded when the address is over its limit.
   * With the in-process cache the answer is synchronous (undefined, or a throw); with Redis it is a promise.
   */
  checkIp(endpoint: LimitedEndpoint, ip: string): void | Promise<void> {
    // An IPv6 client is counted by its /64 (RFC 6177 §2), so rotating addresses within it neither
    // escapes the limit nor creates a counter per address.
    if (this.perIp) return this.check(this.perIp, `${endpoint}:${addressBlock(ip)}`);
  }

  /** Same, per client_id. */
  checkClient(endpoint: LimitedEndpoint, clientId: string): void | Promise<void> {
    if (this.perClient) return this.check(this.perClient, `${endpoint}:${clientId}`);
  }

  private check(limiter: RateLimiter, key: string): void | Promise<void> {
    let now: RateLimitDecision | undefined;
    try {
      now = limiter.consumeNow(key);
    } catch (error) {
      this.logger.warn("rate limiter unavailable; request allowed", { error });
      return;
    }
    if (now) return this.enforce(now);
    return limiter.consume(key).then(
      (decision) => this.enforce(decision),
      (error: unknown) => this.logger.warn("rate limiter unavailable; request allowed", { error }),
    );
  }

  private enforce(decision: RateLimitDecision): void {
    if (!decision.allowed) throw new RateLimitExceeded(decision.retryAfterSeconds);
  }
}
