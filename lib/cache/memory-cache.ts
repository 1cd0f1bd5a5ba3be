import type { Clock } from "../server/clock";
import type { Logger } from "../observability/logger";
import { silentLogger } from "../observability/logger";
import {
  CacheClosedError,
  DEFAULT_CACHE_PREFIX,
  deliverSafely,
  normalizeTtlMs,
  type Cache,
  type CacheSetOptions,
  type CacheTtlOptions,
  type CounterResult,
  type MessageHandler,
  type Unsubscribe,
} from "./cache";

export interface MemoryCacheOptions {
  /** Source of time for expiry (inject a `ManualClock` in tests). */
  clock: Clock;
  /** Receives handler failures and eviction warnings. Defaults to a silent logger. */
  logger?: Logger;
  /** Namespace for keys and channels; default `"authly:"`. */
  prefix?: string;
  /**
   * Upper bound on stored entries; when a new key would exceed it, the oldest-written entry is
   * evicted (with a rate-limited warning). Default 100 000. Note that eviction can drop a replay
   * guard before its TTL, so size this well above the expected number of live keys.
   */
  maxEntries?: number;
  /** Remove all expired entries every this many writes (expired keys are also dropped lazily on read). Default 1000. */
  sweepEveryWrites?: number;
}

interface Entry {
  value: string;
  /** Epoch ms at which the entry stops existing; `null` = never. */
  expiresAtMs: number | null;
}

interface Subscription {
  handler: MessageHandler;
  active: boolean;
}

const EVICTION_WARN_INTERVAL_MS = 60_000;

/**
 * In-process `Cache`: a `Map` whose expiry is checked against the injected clock.
 * Data and pub/sub are local to this instance (nothing is shared between processes or instances),
 * which is right for a single-instance deployment and for tests.
 * Memory stays bounded: expired entries are removed on read and by a sweep every `sweepEveryWrites`
 * writes, and `maxEntries` caps the total.
 */
export class MemoryCache implements Cache {
  readonly kind = "memory" as const;
  readonly prefix: string;

  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxEntries: number;
  private readonly sweepEveryWrites: number;
  private readonly entries = new Map<string, Entry>();
  private readonly channels = new Map<string, Set<Subscription>>();
  private writesSinceSweep = 0;
  private evictedSinceWarning = 0;
  private lastEvictionWarningMs: number | null = null;
  private closed = false;

  constructor(options: MemoryCacheOptions) {
    this.clock = options.clock;
    this.logger = options.logger ?? silentLogger;
    this.prefix = options.prefix ?? DEFAULT_CACHE_PREFIX;
    this.maxEntries = positiveInteger(options.maxEntries ?? 100_000, "maxEntries");
    this.sweepEveryWrites = positiveInteger(options.sweepEveryWrites ?? 1000, "sweepEveryWrites");
  }

  /** Number of stored entries, including expired ones not yet swept (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  getNow(key: string): string | null {
    this.assertOpen();
    return this.live(this.prefix + key)?.value ?? null;
  }

  async get(key: string): Promise<string | null> {
    this.assertOpen();
    return this.live(this.prefix + key)?.value ?? null;
  }

  async set(key: string, value: string, options?: CacheSetOptions): Promise<void> {
    this.assertOpen();
    const ttlMs = options?.ttlMs === undefined ? null : normalizeTtlMs(options.ttlMs);
    this.write(this.prefix + key, value, ttlMs === null ? null : this.clock.nowMs() + ttlMs);
  }

  async setIfAbsent(key: string, value: string, options: CacheTtlOptions): Promise<boolean> {
    this.assertOpen();
    const ttlMs = normalizeTtlMs(options.ttlMs);
    const fullKey = this.prefix + key;
    // Check and write happen in one synchronous step, so this is atomic within the process.
    if (this.live(fullKey)) return false;
    this.write(fullKey, value, this.clock.nowMs() + ttlMs);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    this.entries.delete(this.prefix + key);
  }

  async increment(key: string, options: CacheTtlOptions): Promise<CounterResult> {
    return this.incrementNow(key, options);
  }

  incrementNow(key: string, options: CacheTtlOptions): CounterResult {
    this.assertOpen();
    const ttlMs = normalizeTtlMs(options.ttlMs);
    const fullKey = this.prefix + key;
    const now = this.clock.nowMs();
    const existing = this.live(fullKey);
    if (!existing) {
      this.write(fullKey, "1", now + ttlMs);
      return { count: 1, resetAtMs: now + ttlMs, resetInMs: ttlMs };
    }
    if (!/^-?\d+$/.test(existing.value)) {
      throw new Error("value is not an integer");
    }
    const count = Number(existing.value) + 1;
    existing.value = String(count);
    // Same repair as the Redis script: a counter must never live forever.
    if (existing.expiresAtMs === null) existing.expiresAtMs = now + ttlMs;
    return { count, resetAtMs: existing.expiresAtMs, resetInMs: existing.expiresAtMs - now };
  }

  async publish(channel: string, message: string): Promise<void> {
    this.assertOpen();
    const subscriptions = this.channels.get(this.prefix + channel);
    if (!subscriptions || subscriptions.size === 0) return;
    const targets = [...subscriptions];
    // Deliver asynchronously (like Redis): never inside publish(), in publish order, and skipping
    // handlers that unsubscribed in the meantime.
    queueMicrotask(() => {
      for (const subscription of targets) {
        if (!subscription.active || this.closed) continue;
        deliverSafely(subscription.handler, message, (error) =>
          this.logger.warn("cache message handler failed", { channel, err: error }),
        );
      }
    });
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.assertOpen();
    const fullChannel = this.prefix + channel;
    const subscription: Subscription = { handler, active: true };
    let subscriptions = this.channels.get(fullChannel);
    if (!subscriptions) {
      subscriptions = new Set();
      this.channels.set(fullChannel, subscriptions);
    }
    subscriptions.add(subscription);
    return async () => {
      if (!subscription.active) return;
      subscription.active = false;
      const current = this.channels.get(fullChannel);
      if (!current) return;
      current.delete(subscription);
      if (current.size === 0) this.channels.delete(fullChannel);
    };
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subscriptions of this.channels.values()) {
      for (const subscription of subscriptions) subscription.active = false;
    }
    this.channels.clear();
    this.entries.clear();
  }

  /** The entry if present and unexpired; drops it if expired. */
  private live(fullKey: string): Entry | undefined {
    const entry = this.entries.get(fullKey);
    if (!entry) return undefined;
    if (entry.expiresAtMs !== null && entry.expiresAtMs <= this.clock.nowMs()) {
      this.entries.delete(fullKey);
      return undefined;
    }
    return entry;
  }

  private write(fullKey: string, value: string, expiresAtMs: number | null): void {
    // Re-insert so Map order stays "oldest written first" for eviction.
    this.entries.delete(fullKey);
    if (++this.writesSinceSweep >= this.sweepEveryWrites) this.sweep();
    if (this.entries.size >= this.maxEntries) this.evictOldest();
    this.entries.set(fullKey, { value, expiresAtMs });
  }

  private sweep(): void {
    this.writesSinceSweep = 0;
    const now = this.clock.nowMs();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAtMs !== null && entry.expiresAtMs <= now) this.entries.delete(key);
    }
  }

  private evictOldest(): void {
    const now = this.clock.nowMs();
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.entries().next();
      if (oldest.done) return;
      const [key, entry] = oldest.value;
      this.entries.delete(key);
      if (entry.expiresAtMs === null || entry.expiresAtMs > now) this.evictedSinceWarning++;
    }
    if (
      this.evictedSinceWarning > 0 &&
      (this.lastEvictionWarningMs === null || now - this.lastEvictionWarningMs >= EVICTION_WARN_INTERVAL_MS)
    ) {
      this.logger.warn("memory cache full: evicted live entries", {
        evicted: this.evictedSinceWarning,
        maxEntries: this.maxEntries,
      });
      this.evictedSinceWarning = 0;
      this.lastEvictionWarningMs = now;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new CacheClosedError();
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
