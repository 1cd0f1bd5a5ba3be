import { createHash } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import type { Clock } from "../server/clock";
import { systemClock } from "../server/clock";
import type { Logger } from "../observability/logger";
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

export interface RedisCacheOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. The cache owns the connections it opens. */
  url: string;
  /** Connection problems are logged here (warn once per outage, info on recovery). */
  logger: Logger;
  /** Namespace for keys and channels; default `"authly:"`. */
  prefix?: string;
  /** Used only to turn Redis' relative PTTL into `resetAtMs`; default the system clock. */
  clock?: Clock;
  /** Give up on a TCP connect after this long (ms); default 2000. */
  connectTimeoutMs?: number;
  /** Reject any command without a reply after this long (ms), queued or sent; default 2000. */
  commandTimeoutMs?: number;
  /**
   * Name shown by `CLIENT LIST` (no spaces); the subscriber connection gets `<name>-subscriber`.
   * Default `"authly"`.
   */
  connectionName?: string;
}

/**
 * ioredis options used for connections the cache opens: connect lazily (first command or `ping()`),
 * never let a command wait forever while Redis is down (bounded by `commandTimeout`, and flushed after
 * one failed reconnect by `maxRetriesPerRequest: 1`), but keep a short offline queue so that commands
 * issued while the first connection or a quick reconnect is in progress still succeed.
 * Reconnection continues in the background with ioredis' default capped backoff.
 */
function redisClientOptions(options: { connectTimeoutMs?: number; commandTimeoutMs?: number; connectionName?: string }): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectionName: options.connectionName ?? "authly",
  };
}

/**
 * Fixed-window counter: INCR, and PEXPIRE only when the key is new (or, as a repair, when it somehow
 * has no TTL), so the window is never extended. Returns {count, remaining ms}. Atomic as a script.
 */
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return {count, tonumber(ARGV[1])}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;
const INCREMENT_SHA = createHash("sha1").update(INCREMENT_SCRIPT).digest("hex");

interface Subscription {
  handler: MessageHandler;
  active: boolean;
}

interface ChannelEntry {
  subscriptions: Set<Subscription>;
  /** Settles when Redis has confirmed the SUBSCRIBE for this channel. */
  ready: Promise<void>;
}

type ConnectionRole = "main" | "subscriber";

/**
 * `Cache` backed by Redis (ioredis), shared by every instance using the same Redis and prefix.
 * Uses one connection for commands and a second one, created on the first `subscribe`, for pub/sub.
 * Failure behaviour: no operation ever hangs. Until the first connection attempt has failed, a command
 * waits at most `commandTimeoutMs` (about 0.1 s for a refused connection); once a connection error has
 * been seen, operations reject immediately ("Redis is unreachable") until the connection is ready again.
 * Connection errors are logged (warn once per outage, info on recovery), never left unhandled; the
 * client keeps reconnecting in the background, and channel subscriptions are restored automatically
 * (messages published while disconnected are lost).
 */
export class RedisCache implements Cache {
  readonly kind = "redis" as const;
  readonly prefix: string;

  private readonly client: Redis;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly channels = new Map<string, ChannelEntry>();
  private subscriber: Redis | null = null;
  /** False from a connection error until the connection is ready again (an outage is under way). */
  private readonly healthy: Record<ConnectionRole, boolean> = { main: true, subscriber: true };
  /** The last connection error per connection (e.g. "connect ECONNREFUSED 127.0.0.1:6379"), for probes. */
  private readonly lastError: Partial<Record<ConnectionRole, string>> = {};
  private readonly reconnectListeners = new Set<() => void>();
  private closed = false;

  constructor(options: RedisCacheOptions) {
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.prefix = options.prefix ?? DEFAULT_CACHE_PREFIX;
    assertRedisUrl(options.url);
    this.client = new Redis(options.url, redisClientOptions(options));
    this.watch(this.client, "main");
  }

  async get(key: string): Promise<string | null> {
    this.assertUsable();
    return this.client.get(this.prefix + key);
  }

  async set(key: string, value: string, options?: CacheSetOptions): Promise<void> {
    this.assertUsable();
    if (options?.ttlMs === undefined) {
      await this.client.set(this.prefix + key, value);
    } else {
      await this.client.set(this.prefix + key, value, "PX", normalizeTtlMs(options.ttlMs));
    }
  }

  async setIfAbsent(key: string, value: string, options: CacheTtlOptions): Promise<boolean> {
    this.assertUsable();
    const ttlMs = normalizeTtlMs(options.ttlMs);
    const reply = await this.client.set(this.prefix + key, value, "PX", ttlMs, "NX");
    return reply === "OK";
  }

  async delete(key: string): Promise<void> {
    this.assertUsable();
    await this.client.del(this.prefix + key);
  }

  async increment(key: string, options: CacheTtlOptions): Promise<CounterResult> {
    this.assertUsable();
    const ttlMs = normalizeTtlMs(options.ttlMs);
    const fullKey = this.prefix + key;
    let reply: unknown;
    try {
      reply = await this.client.evalsha(INCREMENT_SHA, 1, fullKey, ttlMs);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      reply = await this.client.eval(INCREMENT_SCRIPT, 1, fullKey, ttlMs);
    }
    if (!Array.isArray(reply) || reply.length !== 2 || typeof reply[0] !== "number" || typeof reply[1] !== "number") {
      throw new Error("unexpected reply from the Redis increment script");
    }
    const [count, resetInMs] = reply as [number, number];
    return { count, resetAtMs: this.clock.nowMs() + resetInMs, resetInMs };
  }

  async publish(channel: string, message: string): Promise<void> {
    this.assertUsable();
    await this.client.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    if (this.closed) throw new CacheClosedError();
    const fullChannel = this.prefix + channel;
    const subscriber = this.getSubscriber();
    this.assertUsable(subscriber, "subscriber");
    const entry = this.channels.get(fullChannel) ?? this.addChannel(subscriber, fullChannel);
    const subscription: Subscription = { handler, active: true };
    entry.subscriptions.add(subscription);

    const remove = (): boolean => {
      subscription.active = false;
      entry.subscriptions.delete(subscription);
      if (entry.subscriptions.size > 0 || this.channels.get(fullChannel) !== entry) return false;
      this.channels.delete(fullChannel);
      return true;
    };

    try {
      await entry.ready;
    } catch (error) {
      if (remove() && !this.closed) subscriber.unsubscribe(fullChannel).catch(() => undefined);
      throw error;
    }

    return async () => {
      if (!subscription.active) return;
      if (!remove() || this.closed) return;
      // Commands on one connection run in order, so a later SUBSCRIBE to this channel still wins.
      try {
        await subscriber.unsubscribe(fullChannel);
      } catch (error) {
        // Locally the handler is already gone; a stale server-side subscription only costs ignored messages.
        this.logger.debug("redis unsubscribe failed", { channel, err: error });
      }
    };
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => {
      this.reconnectListeners.delete(listener);
    };
  }

  async ping(): Promise<void> {
    this.assertUsable();
    let reply: string;
    try {
      reply = await this.client.ping();
    } catch (error) {
      // Prefer the connection's own error (ECONNREFUSED host:port) over ioredis' retry message.
      const reason = this.client.status !== "ready" && this.lastError.main ? this.lastError.main : error instanceof Error ? error.message : String(error);
      throw new Error(`Redis is unreachable: ${reason}`, { cause: error });
    }
    if (reply !== "PONG") throw new Error("unexpected reply to Redis PING");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.channels.values()) {
      for (const subscription of entry.subscriptions) subscription.active = false;
    }
    this.channels.clear();
    const connections = this.subscriber ? [this.subscriber, this.client] : [this.client];
    await Promise.all(connections.map(shutdown));
  }

  private getSubscriber(): Redis {
    if (!this.subscriber) {
      // ioredis' own resubscription after a reconnect issues SUBSCRIBE with no one to handle its
      // failure: when Redis goes away again before it is answered, the flushed command becomes an
      // unhandled rejection. The cache resubscribes itself instead (see `watch`).
      const subscriber = this.client.duplicate({ connectionName: `${this.client.options.connectionName ?? "authly"}-subscriber`, autoResubscribe: false });
      this.watch(subscriber, "subscriber");
      subscriber.on("message", (fullChannel: string, message: string) => this.dispatch(fullChannel, message));
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }

  private addChannel(subscriber: Redis, fullChannel: string): ChannelEntry {
    const entry: ChannelEntry = {
      subscriptions: new Set(),
      ready: subscriber.subscribe(fullChannel).then(() => undefined),
    };
    this.channels.set(fullChannel, entry);
    return entry;
  }

  private dispatch(fullChannel: string, message: string): void {
    const entry = this.channels.get(fullChannel);
    if (!entry) return;
    const channel = fullChannel.slice(this.prefix.length);
    for (const subscription of [...entry.subscriptions]) {
      if (!subscription.active) continue;
      deliverSafely(subscription.handler, message, (error) =>
        this.logger.warn("cache message handler failed", { channel, err: error }),
      );
    }
  }

  /**
   * Handles 'error' events (so a down Redis never becomes an unhandled error), logging a warning once
   * per outage and an info line when the connection is ready again.
   */
  private watch(connection: Redis, role: ConnectionRole): void {
    const onError = (error: Error) => {
      this.lastError[role] = error.message.split("\n")[0];
      if (this.healthy[role]) {
        this.healthy[role] = false;
        this.logger.warn("redis connection error; retrying in the background", { connection: role, err: error });
      } else {
        this.logger.debug("redis connection error", { connection: role, err: error });
      }
    };
    // A connection that was up and closed (Redis restarted, network cut) may miss pub/sub messages
    // until it is ready again, even when it reconnects without ever reporting an error.
    let wasUp = false;
    let lostSinceUp = false;
    const onClose = () => {
      if (wasUp) lostSinceUp = true;
    };
    const onReady = () => {
      if (!this.healthy[role]) {
        this.healthy[role] = true;
        this.logger.info("redis connection restored", { connection: role });
      }
      if (lostSinceUp) {
        lostSinceUp = false;
        const notify = () => {
          for (const listener of [...this.reconnectListeners]) {
            try {
              listener();
            } catch (error) {
              this.logger.warn("reconnect listener failed", { err: error });
            }
          }
        };
        // The subscriber connection comes back without its channels: subscribe again, then tell the
        // listeners (they reload what may have changed meanwhile, so nothing published after the
        // SUBSCRIBE is answered is missed). A failure means Redis went away again: the next 'ready' retries.
        const channels = role === "subscriber" ? [...this.channels.keys()] : [];
        if (channels.length === 0) notify();
        else {
          connection.subscribe(...channels).then(notify, (error: unknown) => {
            lostSinceUp = true;
            this.logger.debug("redis resubscribe failed; retried on the next reconnect", { err: error });
          });
        }
      }
      wasUp = true;
    };
    connection.on("error", onError);
    connection.on("ready", onReady);
    connection.on("close", onClose);
  }

  /**
   * Throws if closed, or if `connection` is known to be down (it reported an error and is not ready
   * again): during an outage commands fail immediately instead of each waiting for the command timeout.
   * Before the first connection and during a reconnect that has not failed yet, commands are queued.
   */
  private assertUsable(connection: Redis = this.client, role: ConnectionRole = "main"): void {
    if (this.closed) throw new CacheClosedError();
    if (!this.healthy[role] && connection.status !== "ready") {
      const reason = this.lastError[role] ? `: ${this.lastError[role]}` : "";
      throw new Error(`Redis is unreachable${reason} (reconnecting in the background)`);
    }
  }
}

/** QUIT politely when connected (bounded by the command timeout), otherwise just drop the socket. */
async function shutdown(connection: Redis): Promise<void> {
  if (connection.status === "end") return;
  if (connection.status === "ready") {
    try {
      await connection.quit();
      return;
    } catch {
      // fall through
    }
  }
  connection.disconnect();
}

/** Rejects anything but a redis:// or rediss:// URL, without echoing it (it may hold a password). */
function assertRedisUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error("invalid Redis URL (expected redis://host:port or rediss://host:port)");
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new Error(`unsupported Redis URL scheme "${protocol}" (expected redis: or rediss:)`);
  }
}
