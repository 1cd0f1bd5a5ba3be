/**
 * An in-memory copy of data whose record lives elsewhere (the database), with one set of rules for
 * every such copy in the server: the signing keys, the discovery documents, clients, tenant settings.
 *
 * - **Loading.** Values come from an async `load(key, previous)`; at most one load per key runs at a
 *   time (single flight: any number of concurrent readers share it).
 * - **Freshness.** A loaded value is fresh for `ttlMs` (a number, or computed from the value). Past
 *   that, for `staleMs` more (0 by default; `Infinity` = until a reload succeeds), a read still
 *   answers with the old value and starts a reload in the background (stale-while-revalidate);
 *   after `staleMs` the value is gone and the next read waits for a load.
 * - **Failures.** A failed load rejects its waiters and stores nothing; a value that was there keeps
 *   serving (within `staleMs`), and the next background try comes `retryAfterFailureMs` later.
 * - **Synchronous reads.** `peek` / `getNow` answer a warm read with a plain value, no promise: the
 *   hot paths depend on it (docs/architecture.md, "Two doors").
 * - **Invalidation.** `invalidate(key?)` drops a copy here (a load already running no longer
 *   counts: its result is not stored). With a `channel`, `publish(key?)` tells the other instances
 *   over the Cache's pub/sub (Redis when configured) and their copies drop or reload at once; a
 *   reconnect of the Cache (messages may have been lost meanwhile) does the same to every copy.
 *   The subscription is taken on the first load (or by `listen()`), and retried on later loads if it
 *   failed. Messages are hints: every copy also expires by itself.
 *
 * Time comes from the injected clock; nothing here starts a timer.
 */
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import type { Cache, Unsubscribe } from "./cache";
import type { Channel } from "./channels";

/** Any value but `undefined`, which the synchronous reads use to say "nothing to serve" (`null` is a value). */
export type Cacheable = object | string | number | boolean | bigint | symbol | null;

/** What one change message invalidates: one key, every key, or nothing (e.g. the sender's own message). */
export type Invalidation<K> = { key: K } | "all" | "ignore";

/**
 * What a change announcement (or a reconnect) does to the copies it names: `"drop"` forgets them
 * (the next read loads and waits), `"reload"` reloads them in the background while they keep serving.
 */
export type InvalidationMode = "drop" | "reload";

export interface InvalidationChannel<K> {
  /** The shared cache whose pub/sub carries the messages. */
  cache: Cache;
  channel: Channel;
  /** The message that announces a change of `key` (`undefined`: of everything). */
  encode(key: K | undefined): string;
  /** What a received message invalidates. */
  decode(message: string): Invalidation<K>;
  mode: InvalidationMode;
}

export interface InvalidatingCacheOptions<K, V> {
  /** Names the cache in log lines and errors ("clients", "signing keys", ...). */
  name: string;
  clock: Clock;
  logger: Logger;
  /** Reads the value of `key` from its record; `previous` is the copy it replaces, if any (to reuse parts of it). */
  load(key: K, previous: V | undefined): Promise<V>;
  /** How long a loaded value is fresh, in ms (≤ 0: stale at once); a function to decide per value. */
  ttlMs: number | ((value: V, key: K) => number);
  /** How long past its TTL a value keeps serving while a reload runs; default 0, `Infinity` = until one succeeds. */
  staleMs?: number;
  /** After a failed load, a value still serving waits this long before the next background try; default 0. */
  retryAfterFailureMs?: number;
  /** At most this many keys; storing one more drops the oldest stored. Default: no bound. */
  maxEntries?: number;
  /** Cross-instance invalidation over the Cache's pub/sub. */
  channel?: InvalidationChannel<K>;
}

interface Entry<V> {
  value: V;
  /** A read at or after this instant starts a background reload. */
  freshUntil: number;
  /** A read at or after this instant no longer gets this value. */
  servableUntil: number;
}

/** A keyed cache with loads, TTL, stale-while-revalidate and invalidation (see the file comment). */
export class InvalidatingCache<K, V extends Cacheable> {
  private readonly entries = new Map<K, Entry<V>>();
  /** The load of each key whose result will be stored (an invalidated one is removed from here). */
  private readonly flights = new Map<K, Promise<V>>();
  /** `refresh` callers waiting for the load in flight to end, to share the one that starts after it. */
  private readonly queued = new Map<K, Promise<V>>();
  private readonly staleMs: number;
  private readonly retryAfterFailureMs: number;
  private readonly maxEntries: number;
  private unsubscribe: Unsubscribe | undefined;
  private subscribing: Promise<void> | undefined;
  private detachReconnect: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: InvalidatingCacheOptions<K, V>) {
    this.staleMs = nonNegative(options.staleMs ?? 0, "staleMs");
    this.retryAfterFailureMs = nonNegative(options.retryAfterFailureMs ?? 0, "retryAfterFailureMs");
    this.maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
    if (!(this.maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${String(options.maxEntries)}`);
  }

  /** Number of stored values, fresh or not. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The value without waiting, or `undefined` when there is none that may be served. A stale value
   * (past its TTL, within `staleMs`) is returned and starts a background reload. Never starts the
   * first load of a key.
   */
  peek(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.options.clock.nowMs();
    if (now < entry.freshUntil) return entry.value;
    if (now < entry.servableUntil) {
      this.reloadInBackground(key);
      return entry.value;
    }
    this.entries.delete(key);
    return undefined;
  }

  /** A plain value when one may be served (`peek`), otherwise the promise of a load (`load`). */
  getNow(key: K): V | Promise<V> {
    const value = this.peek(key);
    return value !== undefined ? value : this.load(key);
  }

  /** The value, loading it when there is none that may be served. */
  get(key: K): Promise<V> {
    const value = this.peek(key);
    return value !== undefined ? Promise.resolve(value) : this.load(key);
  }

  /** Joins the load of `key` in flight, or starts one, whatever the freshness of the copy. */
  load(key: K): Promise<V> {
    return this.flights.get(key) ?? this.startLoad(key);
  }

  /** Whether a load of `key` (one whose result will be stored) is running. */
  isLoading(key: K): boolean {
    return this.flights.has(key);
  }

  /**
   * A load that starts after this call (one already running may have read the record before a
   * change): it waits for the running one, then shared by every caller meanwhile. The current copy
   * keeps serving until it is done.
   */
  refresh(key: K): Promise<V> {
    const flight = this.flights.get(key);
    if (flight === undefined) return this.startLoad(key);
    let queued = this.queued.get(key);
    if (queued === undefined) {
      queued = flight
        .catch(() => undefined)
        .then(() => {
          this.queued.delete(key);
          return this.flights.get(key) ?? this.startLoad(key);
        });
      this.queued.set(key, queued);
    }
    return queued;
  }

  /** Forgets the copy of `key` (or every copy) here: the next read loads it again and waits. */
  invalidate(key?: K): void {
    if (key === undefined) {
      this.entries.clear();
      this.flights.clear();
    } else {
      this.entries.delete(key);
      this.flights.delete(key);
    }
  }

  /**
   * Tells the other instances that `key` (or everything) changed. Best effort: a failure is
   * logged, never thrown (their copies still expire by themselves).
   */
  async publish(key?: K): Promise<void> {
    const channel = this.options.channel;
    if (channel === undefined) return;
    try {
      await channel.cache.publish(channel.channel, channel.encode(key));
    } catch (error) {
      this.options.logger.warn("cannot announce a change to other instances", { cache: this.options.name, channel: channel.channel, error });
    }
  }

  /** After a change to the record: `invalidate` here, then `publish` to the other instances. */
  async announce(key?: K): Promise<void> {
    this.invalidate(key);
    await this.publish(key);
  }

  /**
   * Subscribes to the channel and watches the Cache's reconnects (once; a failed subscription is
   * logged and retried by the next load). Resolves when subscribed or failed, never rejects.
   */
  listen(): Promise<void> {
    const channel = this.options.channel;
    if (channel === undefined || this.closed || this.unsubscribe !== undefined) return Promise.resolve();
    this.subscribing ??= channel.cache
      .subscribe(channel.channel, (message) => this.receive(channel.decode(message)))
      .then(
        async (unsubscribe) => {
          if (this.closed) {
            await unsubscribe().catch(() => undefined);
            return;
          }
          this.unsubscribe = unsubscribe;
          // Messages sent while the connection was down are lost: treat a reconnect as "everything changed".
          this.detachReconnect ??= channel.cache.onReconnect?.(() => this.receive("all"));
        },
        (error: unknown) => {
          this.options.logger.warn("cannot subscribe to changes from other instances; relying on the TTL", { cache: this.options.name, channel: channel.channel, error });
        },
      )
      .finally(() => {
        this.subscribing = undefined;
      });
    return this.subscribing;
  }

  /** Unsubscribes and waits for the loads in flight; afterwards no load starts (copies still serve). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.subscribing;
    this.detachReconnect?.();
    this.detachReconnect = undefined;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.().catch(() => undefined);
    await Promise.all([...this.flights.values(), ...this.queued.values()].map((p) => p.catch(() => undefined)));
  }

  private receive(what: Invalidation<K>): void {
    if (what === "ignore" || this.closed) return;
    const mode = this.options.channel?.mode ?? "drop";
    if (mode === "drop") {
      this.invalidate(what === "all" ? undefined : what.key);
      return;
    }
    const keys = what === "all" ? new Set([...this.entries.keys(), ...this.flights.keys()]) : [what.key];
    for (const key of keys) {
      this.refresh(key).catch((error: unknown) =>
        this.options.logger.warn("reloading after a change failed; the previous copy keeps serving", { cache: this.options.name, error }),
      );
    }
  }

  private reloadInBackground(key: K): void {
    if (this.closed || this.flights.has(key)) return;
    this.startLoad(key).catch((error: unknown) =>
      this.options.logger.warn("background reload failed; the previous copy keeps serving", { cache: this.options.name, error }),
    );
  }

  private startLoad(key: K): Promise<V> {
    if (this.closed) return Promise.reject(new Error(`the ${this.options.name} cache is closed`));
    if (this.options.channel !== undefined && this.unsubscribe === undefined && this.subscribing === undefined) void this.listen();
    let started: Promise<V>;
    try {
      started = this.options.load(key, this.entries.get(key)?.value);
    } catch (error) {
      started = Promise.reject(error);
    }
    const flight: Promise<V> = started
      .then(
        (value) => {
          if (this.flights.get(key) === flight) this.store(key, value);
          return value;
        },
        (error: unknown) => {
          const entry = this.entries.get(key);
          if (entry !== undefined && this.flights.get(key) === flight) {
            entry.freshUntil = Math.min(this.options.clock.nowMs() + this.retryAfterFailureMs, entry.servableUntil);
          }
          throw error;
        },
      )
      .finally(() => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      });
    this.flights.set(key, flight);
    return flight;
  }

  private store(key: K, value: V): void {
    const ttlMs = typeof this.options.ttlMs === "function" ? this.options.ttlMs(value, key) : this.options.ttlMs;
    const freshUntil = this.options.clock.nowMs() + ttlMs;
    if (!this.entries.has(key)) {
      while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
    }
    this.entries.set(key, { value, freshUntil, servableUntil: freshUntil + this.staleMs });
  }
}

export interface CachedValueChannel {
  cache: Cache;
  channel: Channel;
  /** The message `publish` sends; default `""`. */
  message?: () => string;
  /** Whether a received message applies to this copy (e.g. not the sender's own); default: every message. */
  accepts?: (message: string) => boolean;
  mode: InvalidationMode;
}

export interface CachedValueOptions<V> extends Omit<InvalidatingCacheOptions<typeof ONLY, V>, "load" | "ttlMs" | "maxEntries" | "channel"> {
  load(previous: V | undefined): Promise<V>;
  ttlMs: number | ((value: V) => number);
  channel?: CachedValueChannel;
}

const ONLY = "value";

/** One value with the rules of `InvalidatingCache` (a document, a settings record, a key set). */
export class CachedValue<V extends Cacheable> {
  private readonly cache: InvalidatingCache<typeof ONLY, V>;

  constructor(options: CachedValueOptions<V>) {
    const { load, ttlMs, channel, ...rest } = options;
    this.cache = new InvalidatingCache<typeof ONLY, V>({
      ...rest,
      load: (_key, previous) => load(previous),
      ttlMs: typeof ttlMs === "function" ? (value) => ttlMs(value) : ttlMs,
      channel: channel && {
        cache: channel.cache,
        channel: channel.channel,
        mode: channel.mode,
        encode: () => channel.message?.() ?? "",
        decode: (message) => (channel.accepts === undefined || channel.accepts(message) ? "all" : "ignore"),
      },
    });
  }

  /** See `InvalidatingCache.peek`. */
  peek(): V | undefined {
    return this.cache.peek(ONLY);
  }

  getNow(): V | Promise<V> {
    return this.cache.getNow(ONLY);
  }

  get(): Promise<V> {
    return this.cache.get(ONLY);
  }

  load(): Promise<V> {
    return this.cache.load(ONLY);
  }

  isLoading(): boolean {
    return this.cache.isLoading(ONLY);
  }

  refresh(): Promise<V> {
    return this.cache.refresh(ONLY);
  }

  invalidate(): void {
    this.cache.invalidate(ONLY);
  }

  publish(): Promise<void> {
    return this.cache.publish(ONLY);
  }

  announce(): Promise<void> {
    return this.cache.announce(ONLY);
  }

  listen(): Promise<void> {
    return this.cache.listen();
  }

  close(): Promise<void> {
    return this.cache.close();
  }
}

function nonNegative(value: number, name: string): number {
  if (Number.isNaN(value) || value < 0) throw new RangeError(`${name} must be a non-negative number of milliseconds, got ${String(value)}`);
  return value;
}
