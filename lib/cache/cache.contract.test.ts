/**
 * One behavioural contract, run against every Cache implementation:
 * MemoryCache on a ManualClock (time is advanced deterministically) and RedisCache on a real Redis.
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ManualClock, systemClock } from "../server/clock";
import { createLogger, silentLogger } from "../observability/logger";
import { CacheClosedError, type Cache } from "./cache";
import { MemoryCache } from "./memory-cache";
import { RedisCache } from "./redis-cache";

const REDIS_URL = "redis://127.0.0.1:6379";

interface CacheHarness {
  /** Creates a cache in this test's namespace; equal `namespace` means equal prefix. */
  create(namespace?: string): Cache;
  /** Whether two instances with the same prefix share data and messages (Redis yes, memory no). */
  sharedStore: boolean;
  /** A TTL that is short in this implementation's time (real ms for Redis, simulated for memory). */
  shortTtlMs: number;
  /** Slack allowed when comparing `resetAtMs` values (PTTL granularity and elapsed real time). */
  timeToleranceMs: number;
  /** Lets `ms` of cache time pass: advances the ManualClock, or sleeps for real. */
  elapse(ms: number): Promise<void>;
  /** The clock the cache reports `resetAtMs` against. */
  now(): number;
  /** Closes every cache created by `create`. */
  dispose(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retries `check` until it stops throwing, for at most `timeoutMs` (then rethrows its last error). */
async function eventually(check: () => Promise<void> | void, timeoutMs = 3000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

/** Collects messages and lets a test wait for a given number of them. */
function inbox() {
  const messages: string[] = [];
  return {
    messages,
    handler: (message: string) => {
      messages.push(message);
    },
    waitFor: (count: number) =>
      eventually(() => {
        expect(messages.length).toBeGreaterThanOrEqual(count);
      }),
  };
}

export function describeCacheContract(name: string, makeHarness: () => CacheHarness): void {
  describe(`Cache contract: ${name}`, () => {
    let h: CacheHarness;
    let cache: Cache;

    beforeEach(() => {
      h = makeHarness();
      cache = h.create();
    });
    afterEach(async () => {
      await h.dispose();
    });

    describe("get / set / delete", () => {
      it("returns null for a missing key", async () => {
        expect(await cache.get("missing")).toBeNull();
      });

      it("stores, overwrites and deletes values", async () => {
        await cache.set("k", "v1");
        expect(await cache.get("k")).toBe("v1");
        await cache.set("k", "v2");
        expect(await cache.get("k")).toBe("v2");
        await cache.delete("k");
        expect(await cache.get("k")).toBeNull();
        await cache.delete("k"); // deleting an absent key is a no-op
      });

      it("round-trips empty, unicode and JSON values exactly", async () => {
        const values = ["", "héllo → 世界 🔑", JSON.stringify({ a: [1, "two"], b: null }), " padded "];
        for (const [i, value] of values.entries()) {
          await cache.set(`v${i}`, value);
          expect(await cache.get(`v${i}`)).toBe(value);
        }
      });

      it("exposes its kind and prefix", () => {
        expect(["memory", "redis"]).toContain(cache.kind);
        expect(cache.prefix.length).toBeGreaterThan(0);
      });
    });

    describe("TTL", () => {
      it("keeps a value until its TTL", async () => {
        await cache.set("k", "v", { ttlMs: 60_000 });
        await h.elapse(h.shortTtlMs * 2);
        expect(await cache.get("k")).toBe("v");
      });

      it("expires a value after its TTL", async () => {
        await cache.set("k", "v", { ttlMs: h.shortTtlMs });
        await h.elapse(h.shortTtlMs);
        await eventually(async () => expect(await cache.get("k")).toBeNull());
      });

      it("set without ttlMs makes a key persistent again", async () => {
        await cache.set("k", "v1", { ttlMs: h.shortTtlMs });
        await cache.set("k", "v2");
        await h.elapse(h.shortTtlMs * 2); // well past the old TTL
        expect(await cache.get("k")).toBe("v2");
      });

      it("set with ttlMs replaces an earlier TTL", async () => {
        await cache.set("k", "v1", { ttlMs: 60_000 });
        await cache.set("k", "v2", { ttlMs: h.shortTtlMs });
        await h.elapse(h.shortTtlMs);
        await eventually(async () => expect(await cache.get("k")).toBeNull());
      });

      it("rejects invalid TTLs with a RangeError", async () => {
        for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(cache.set("k", "v", { ttlMs })).rejects.toBeInstanceOf(RangeError);
          await expect(cache.setIfAbsent("k", "v", { ttlMs })).rejects.toBeInstanceOf(RangeError);
          await expect(cache.increment("k", { ttlMs })).rejects.toBeInstanceOf(RangeError);
        }
        expect(await cache.get("k")).toBeNull();
      });

      it("accepts fractional TTLs (rounded up)", async () => {
        await cache.set("k", "v", { ttlMs: 60_000.5 });
        expect(await cache.get("k")).toBe("v");
      });
    });

    describe("setIfAbsent", () => {
      it("stores only when the key is absent and never overwrites", async () => {
        expect(await cache.setIfAbsent("jti", "first", { ttlMs: 60_000 })).toBe(true);
        expect(await cache.setIfAbsent("jti", "second", { ttlMs: 60_000 })).toBe(false);
        expect(await cache.get("jti")).toBe("first");
      });

      it("does not overwrite a value written by set", async () => {
        await cache.set("jti", "existing");
        expect(await cache.setIfAbsent("jti", "new", { ttlMs: 60_000 })).toBe(false);
        expect(await cache.get("jti")).toBe("existing");
      });

      it("lets exactly one of 20 concurrent calls win", async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => cache.setIfAbsent("jti", `caller-${i}`, { ttlMs: 60_000 })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await cache.get("jti")).toBe(`caller-${results.indexOf(true)}`);
      });

      it("succeeds again once the earlier value has expired", async () => {
        expect(await cache.setIfAbsent("jti", "a", { ttlMs: h.shortTtlMs })).toBe(true);
        await h.elapse(h.shortTtlMs);
        await eventually(async () => expect(await cache.get("jti")).toBeNull());
        expect(await cache.setIfAbsent("jti", "b", { ttlMs: 60_000 })).toBe(true);
        expect(await cache.get("jti")).toBe("b");
      });

      it("applies the TTL to the stored value", async () => {
        expect(await cache.setIfAbsent("jti", "a", { ttlMs: h.shortTtlMs })).toBe(true);
        await h.elapse(h.shortTtlMs);
        await eventually(async () => expect(await cache.get("jti")).toBeNull());
      });
    });

    describe("increment", () => {
      it("counts from 1 within a fixed window that later increments do not extend", async () => {
        const ttlMs = 60_000;
        const before = h.now();
        const first = await cache.increment("hits", { ttlMs });
        const after = h.now();
        expect(first.count).toBe(1);
        expect(first.resetInMs).toBe(ttlMs);
        expect(first.resetAtMs).toBeGreaterThanOrEqual(before + ttlMs);
        expect(first.resetAtMs).toBeLessThanOrEqual(after + ttlMs);

        await h.elapse(h.shortTtlMs);
        const second = await cache.increment("hits", { ttlMs });
        expect(second.count).toBe(2);
        expect(second.resetInMs).toBeGreaterThan(0);
        expect(second.resetInMs).toBeLessThanOrEqual(ttlMs - h.shortTtlMs + h.timeToleranceMs);
        expect(Math.abs(second.resetAtMs - first.resetAtMs)).toBeLessThanOrEqual(h.timeToleranceMs);

        const third = await cache.increment("hits", { ttlMs: 5 * ttlMs }); // a different ttl does not move the window
        expect(third.count).toBe(3);
        expect(Math.abs(third.resetAtMs - first.resetAtMs)).toBeLessThanOrEqual(h.timeToleranceMs);
        expect(await cache.get("hits")).toBe("3");
      });

      it("is atomic under concurrency", async () => {
        const results = await Promise.all(Array.from({ length: 50 }, () => cache.increment("hits", { ttlMs: 60_000 })));
        expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(await cache.get("hits")).toBe("50");
      });

      it("starts a new window after the old one expires", async () => {
        expect((await cache.increment("hits", { ttlMs: h.shortTtlMs })).count).toBe(1);
        expect((await cache.increment("hits", { ttlMs: h.shortTtlMs })).count).toBe(2);
        await h.elapse(h.shortTtlMs);
        await eventually(async () => expect(await cache.get("hits")).toBeNull());
        const before = h.now();
        const fresh = await cache.increment("hits", { ttlMs: 60_000 });
        expect(fresh.count).toBe(1);
        expect(fresh.resetAtMs).toBeGreaterThanOrEqual(before + 60_000);
      });

      it("gives a TTL to an existing integer value that had none", async () => {
        await cache.set("hits", "5");
        const result = await cache.increment("hits", { ttlMs: h.shortTtlMs });
        expect(result.count).toBe(6);
        expect(result.resetInMs).toBeLessThanOrEqual(h.shortTtlMs);
        await h.elapse(h.shortTtlMs);
        await eventually(async () => expect(await cache.get("hits")).toBeNull());
      });

      it("rejects when the key holds a non-integer value", async () => {
        await cache.set("hits", "not a number");
        await expect(cache.increment("hits", { ttlMs: 60_000 })).rejects.toThrow();
        expect(await cache.get("hits")).toBe("not a number");
      });
    });

    describe("prefix isolation", () => {
      it("keeps keys of caches with different prefixes apart", async () => {
        const a = h.create("tenant-a");
        const b = h.create("tenant-b");
        expect(a.prefix).not.toBe(b.prefix);
        await a.set("k", "from-a");
        expect(await b.get("k")).toBeNull();
        await b.set("k", "from-b");
        expect(await a.get("k")).toBe("from-a");
        expect(await b.setIfAbsent("jti", "b", { ttlMs: 60_000 })).toBe(true);
        expect(await a.setIfAbsent("jti", "a", { ttlMs: 60_000 })).toBe(true);
        expect((await a.increment("hits", { ttlMs: 60_000 })).count).toBe(1);
        expect((await b.increment("hits", { ttlMs: 60_000 })).count).toBe(1);
        await b.delete("k");
        expect(await a.get("k")).toBe("from-a");
      });

      it("keeps channels of caches with different prefixes apart", async () => {
        const a = h.create("tenant-a");
        const b = h.create("tenant-b");
        const inA = inbox();
        const inB = inbox();
        await a.subscribe("invalidate", inA.handler);
        await b.subscribe("invalidate", inB.handler);
        await a.publish("invalidate", "for-a");
        await b.publish("invalidate", "for-b");
        await inA.waitFor(1);
        await inB.waitFor(1);
        expect(inA.messages).toEqual(["for-a"]);
        expect(inB.messages).toEqual(["for-b"]);
      });

      it("shares data and messages between instances with the same prefix when the store is shared", async () => {
        if (!h.sharedStore) return; // a MemoryCache is private to its instance by design
        const one = h.create("shared");
        const two = h.create("shared");
        await one.set("k", "v");
        expect(await two.get("k")).toBe("v");
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).setIfAbsent("jti", String(i), { ttlMs: 60_000 })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await one.increment("hits", { ttlMs: 60_000 })).count).toBe(1);
        expect((await two.increment("hits", { ttlMs: 60_000 })).count).toBe(2);
        const received = inbox();
        await two.subscribe("invalidate", received.handler);
        await one.publish("invalidate", "client:abc");
        await received.waitFor(1);
        expect(received.messages).toEqual(["client:abc"]);
      });
    });

    describe("publish / subscribe", () => {
      it("delivers messages asynchronously, in order, to every handler of the channel", async () => {
        const first = inbox();
        const second = inbox();
        const other = inbox();
        await cache.subscribe("ch", first.handler);
        await cache.subscribe("ch", second.handler);
        await cache.subscribe("other", other.handler);

        const publishing = cache.publish("ch", "m0");
        expect(first.messages).toEqual([]); // never delivered inside publish()
        await publishing;
        for (let i = 1; i < 10; i++) await cache.publish("ch", `m${i}`);

        const expected = Array.from({ length: 10 }, (_, i) => `m${i}`);
        await first.waitFor(10);
        await second.waitFor(10);
        expect(first.messages).toEqual(expected);
        expect(second.messages).toEqual(expected);
        expect(other.messages).toEqual([]);
      });

      it("stops delivering to a handler after it unsubscribes", async () => {
        const leaving = inbox();
        const staying = inbox();
        const unsubscribe = await cache.subscribe("ch", leaving.handler);
        await cache.subscribe("ch", staying.handler);
        await cache.publish("ch", "before");
        await leaving.waitFor(1);
        await staying.waitFor(1);

        await unsubscribe();
        await unsubscribe(); // idempotent
        await cache.publish("ch", "after");
        await staying.waitFor(2); // same channel, same delivery: had `leaving` been called, it would be by now
        expect(leaving.messages).toEqual(["before"]);
        expect(staying.messages).toEqual(["before", "after"]);
      });

      it("stops delivering on a channel whose last handler unsubscribed, and can subscribe again", async () => {
        const gone = inbox();
        const barrier = inbox();
        const unsubscribe = await cache.subscribe("ch", gone.handler);
        await cache.subscribe("barrier", barrier.handler);
        await unsubscribe();
        await cache.publish("ch", "lost");
        await cache.publish("barrier", "sync"); // delivered after "lost" would have been
        await barrier.waitFor(1);
        expect(gone.messages).toEqual([]);

        const back = inbox();
        await cache.subscribe("ch", back.handler);
        await cache.publish("ch", "again");
        await back.waitFor(1);
        expect(back.messages).toEqual(["again"]);
        expect(gone.messages).toEqual([]);
      });

      it("isolates handler failures (throwing or rejecting) from other handlers", async () => {
        const healthy = inbox();
        await cache.subscribe("ch", () => {
          throw new Error("handler bug");
        });
        await cache.subscribe("ch", async () => {
          throw new Error("async handler bug");
        });
        await cache.subscribe("ch", healthy.handler);
        await cache.publish("ch", "one");
        await cache.publish("ch", "two");
        await healthy.waitFor(2);
        expect(healthy.messages).toEqual(["one", "two"]);
      });

      it("treats the same handler subscribed twice as two subscriptions", async () => {
        const received = inbox();
        const unsubscribeFirst = await cache.subscribe("ch", received.handler);
        await cache.subscribe("ch", received.handler);
        await unsubscribeFirst();
        await cache.publish("ch", "m");
        await received.waitFor(1);
        await cache.publish("ch", "m2");
        await received.waitFor(2);
        expect(received.messages).toEqual(["m", "m2"]);
      });
    });

    describe("ping / close", () => {
      it("pings when healthy", async () => {
        await expect(cache.ping()).resolves.toBeUndefined();
      });

      it("rejects every operation after close, and close is idempotent", async () => {
        const received = inbox();
        await cache.subscribe("ch", received.handler);
        await cache.close();
        await cache.close();
        await expect(cache.get("k")).rejects.toBeInstanceOf(CacheClosedError);
        await expect(cache.set("k", "v")).rejects.toBeInstanceOf(CacheClosedError);
        await expect(cache.setIfAbsent("k", "v", { ttlMs: 1000 })).rejects.toBeInstanceOf(CacheClosedError);
        await expect(cache.delete("k")).rejects.toBeInstanceOf(CacheClosedError);
        await expect(cache.increment("k", { ttlMs: 1000 })).rejects.toBeInstanceOf(CacheClosedError);
        await expect(cache.publish("ch", "m")).rejects.toBeInstanceOf(CacheClosedError);
        await expect(cache.subscribe("ch", () => undefined)).rejects.toBeInstanceOf(CacheClosedError);
        await expect(cache.ping()).rejects.toBeInstanceOf(CacheClosedError);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// MemoryCache
// ---------------------------------------------------------------------------------------------

let memoryRuns = 0;
describeCacheContract("MemoryCache", () => {
  const clock = new ManualClock();
  const base = `authly-test:memory:${++memoryRuns}:`;
  const created: Cache[] = [];
  return {
    create: (namespace = "main") => {
      const cache = new MemoryCache({ clock, prefix: `${base}${namespace}:`, logger: silentLogger });
      created.push(cache);
      return cache;
    },
    sharedStore: false,
    shortTtlMs: 1000,
    timeToleranceMs: 0,
    elapse: async (ms) => clock.advance(ms),
    now: () => clock.nowMs(),
    dispose: async () => {
      await Promise.all(created.map((c) => c.close()));
    },
  };
});

describe("MemoryCache specifics", () => {
  it("expires exactly at the TTL on the injected clock", async () => {
    const clock = new ManualClock();
    const cache = new MemoryCache({ clock });
    await cache.set("k", "v", { ttlMs: 1000 });
    const counter = await cache.increment("hits", { ttlMs: 1000 });
    expect(counter.resetAtMs).toBe(clock.nowMs() + 1000);
    clock.advance(999);
    expect(await cache.get("k")).toBe("v");
    expect(await cache.increment("hits", { ttlMs: 1000 })).toEqual({ count: 2, resetAtMs: counter.resetAtMs, resetInMs: 1 });
    clock.advance(1);
    expect(await cache.get("k")).toBeNull();
    expect((await cache.increment("hits", { ttlMs: 1000 })).count).toBe(1);
  });

  it("uses the default prefix", () => {
    expect(new MemoryCache({ clock: new ManualClock() }).prefix).toBe("authly:");
  });

  it("sweeps expired entries periodically so memory does not grow", async () => {
    const clock = new ManualClock();
    const cache = new MemoryCache({ clock, sweepEveryWrites: 10 });
    for (let i = 0; i < 9; i++) await cache.set(`old${i}`, "v", { ttlMs: 100 });
    clock.advance(100);
    expect(cache.size).toBe(9); // expired but not yet swept
    await cache.set("new", "v"); // 10th write triggers the sweep
    expect(cache.size).toBe(1);
  });

  it("evicts the oldest-written entries beyond maxEntries, and warns", async () => {
    const warnings: string[] = [];
    const logger = createLogger({ level: "warn", write: (line) => warnings.push(line) });
    const cache = new MemoryCache({ clock: new ManualClock(), maxEntries: 3, logger });
    await cache.set("a", "1");
    await cache.set("b", "2");
    await cache.set("c", "3");
    await cache.set("a", "1b"); // rewriting makes "a" the newest
    await cache.set("d", "4");
    expect(cache.size).toBe(3);
    expect(await cache.get("b")).toBeNull();
    expect(await cache.get("a")).toBe("1b");
    expect(await cache.get("c")).toBe("3");
    expect(await cache.get("d")).toBe("4");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("evicted");
  });

  it("keeps data and subscriptions private to each instance", async () => {
    const clock = new ManualClock();
    const one = new MemoryCache({ clock });
    const two = new MemoryCache({ clock });
    await one.set("k", "v");
    expect(await two.get("k")).toBeNull();
  });

  it("logs handler failures", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", write: (line) => lines.push(line) });
    const cache = new MemoryCache({ clock: new ManualClock(), logger });
    await cache.subscribe("ch", () => {
      throw new Error("boom");
    });
    await cache.publish("ch", "m");
    await eventually(() => expect(lines.join("\n")).toContain("boom"));
  });

  it("rejects invalid options", () => {
    expect(() => new MemoryCache({ clock: new ManualClock(), maxEntries: 0 })).toThrow(RangeError);
    expect(() => new MemoryCache({ clock: new ManualClock(), sweepEveryWrites: 1.5 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// RedisCache (needs Redis at 127.0.0.1:6379: these tests fail, never skip, without it)
// ---------------------------------------------------------------------------------------------

describe("RedisCache", () => {
  const runPrefix = `authly-test:${randomUUID()}:`;
  let admin: Redis;
  let runs = 0;

  beforeAll(async () => {
    admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 2000 });
    admin.on("error", () => undefined);
    try {
      await admin.ping();
    } catch (error) {
      throw new Error(
        `Redis is required for these tests but is not reachable at ${REDIS_URL} (${String(error)}). ` +
          `Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
      );
    }
  });

  afterAll(async () => {
    if (!admin) return;
    if (admin.status === "ready") {
      let cursor = "0";
      do {
        const [next, keys] = await admin.scan(cursor, "MATCH", `${runPrefix}*`, "COUNT", 1000);
        if (keys.length) await admin.del(...keys);
        cursor = next;
      } while (cursor !== "0");
      await admin.quit();
    } else {
      admin.disconnect();
    }
  });

  describeCacheContract("RedisCache", () => {
    const base = `${runPrefix}${++runs}:`;
    const created: Cache[] = [];
    return {
      create: (namespace = "main") => {
        const cache = new RedisCache({ url: REDIS_URL, prefix: `${base}${namespace}:`, logger: silentLogger });
        created.push(cache);
        return cache;
      },
      sharedStore: true,
      shortTtlMs: 100,
      timeToleranceMs: 50,
      elapse: (ms) => sleep(ms),
      now: () => systemClock.nowMs(),
      dispose: async () => {
        await Promise.all(created.map((c) => c.close()));
      },
    };
  });

  describe("specifics", () => {
    const caches: RedisCache[] = [];
    const make = (options: Partial<ConstructorParameters<typeof RedisCache>[0]> = {}) => {
      const cache = new RedisCache({
        url: REDIS_URL,
        prefix: `${runPrefix}specifics:`,
        logger: silentLogger,
        ...options,
      } as ConstructorParameters<typeof RedisCache>[0]);
      caches.push(cache);
      return cache;
    };
    afterEach(async () => {
      await Promise.all(caches.splice(0).map((c) => c.close()));
    });

    it("stores keys under the prefix with a real Redis TTL", async () => {
      const cache = make();
      await cache.set("k", "v", { ttlMs: 60_000 });
      expect(await admin.get(`${runPrefix}specifics:k`)).toBe("v");
      const pttl = await admin.pttl(`${runPrefix}specifics:k`);
      expect(pttl).toBeGreaterThan(50_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
      await cache.set("k", "v");
      expect(await admin.pttl(`${runPrefix}specifics:k`)).toBe(-1);
      await cache.increment("n", { ttlMs: 30_000 });
      const counterTtl = await admin.pttl(`${runPrefix}specifics:n`);
      expect(counterTtl).toBeGreaterThan(20_000);
      expect(counterTtl).toBeLessThanOrEqual(30_000);
    });

    it("uses the default prefix", () => {
      expect(make({ prefix: undefined }).prefix).toBe("authly:");
    });

    it("prefixes channel names", async () => {
      const cache = make();
      await cache.subscribe("invalidate", () => undefined);
      const channels = await admin.pubsub("CHANNELS", `${runPrefix}specifics:*`);
      expect(channels).toEqual([`${runPrefix}specifics:invalidate`]);
    });

    it("recovers from dropped connections: commands reconnect and subscriptions are restored", async () => {
      const name = `authly-test-${randomUUID().slice(0, 8)}`;
      const cache = make({ connectionName: name });
      await cache.set("k", "v");
      const received = inbox();
      await cache.subscribe("ch", received.handler);

      const clientList = (await admin.client("LIST")) as string;
      const ids = clientList
        .split("\n")
        .filter((line) => line.includes(` name=${name} `) || line.includes(` name=${name}-subscriber `))
        .map((line) => /\bid=(\d+)/.exec(line)?.[1]);
      expect(ids).toHaveLength(2);
      for (const id of ids) await admin.client("KILL", "ID", id!);

      // Messages published while the subscriber is reconnecting are lost (pub/sub is fire-and-forget),
      // so keep publishing until one arrives.
      await eventually(async () => {
        await cache.publish("ch", "after-reconnect");
        expect(received.messages.length).toBeGreaterThan(0);
      }, 5000, 50);
      expect(received.messages[0]).toBe("after-reconnect");
      expect(await cache.get("k")).toBe("v");
    });

    it("fails fast during an outage and recovers (data and subscriptions) when Redis is back", async () => {
      // A TCP proxy in front of the real Redis lets the test cut and restore the connection.
      const sockets = new Set<net.Socket>();
      const proxy = net.createServer((downstream) => {
        const upstream = net.connect(6379, "127.0.0.1");
        for (const s of [downstream, upstream]) {
          sockets.add(s);
          s.on("error", () => undefined);
          s.on("close", () => sockets.delete(s));
        }
        downstream.pipe(upstream).pipe(downstream);
        downstream.on("close", () => upstream.destroy());
        upstream.on("close", () => downstream.destroy());
      });
      const listen = (port: number) =>
        new Promise<void>((resolve, reject) => {
          proxy.once("error", reject);
          proxy.listen(port, "127.0.0.1", () => {
            proxy.off("error", reject);
            resolve();
          });
        });
      await listen(0);
      const port = (proxy.address() as net.AddressInfo).port;
      const lines: string[] = [];
      const logger = createLogger({ level: "info", write: (line) => lines.push(line) });
      try {
        const cache = make({ url: `redis://127.0.0.1:${port}`, logger });
        await cache.set("k", "v");
        const received = inbox();
        await cache.subscribe("ch", received.handler);

        // Outage: stop accepting and drop every connection.
        await new Promise<void>((resolve) => {
          proxy.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        await eventually(async () => {
          const started = Date.now();
          await expect(cache.ping()).rejects.toThrow(/Redis is unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(reconnecting/);
          expect(Date.now() - started).toBeLessThan(50); // known outage: no waiting for timeouts
        });
        await expect(cache.get("k")).rejects.toThrow(/unreachable/);

        // Recovery.
        await listen(port);
        await eventually(async () => expect(await cache.get("k")).toBe("v"), 10_000, 50);
        await eventually(async () => {
          await cache.publish("ch", "back");
          expect(received.messages).toContain("back");
        }, 10_000, 50);
        await cache.close();

        const main = lines.filter((line) => line.includes('"connection":"main"'));
        expect(main.filter((line) => line.includes('"level":"warn"'))).toHaveLength(1);
        expect(main.filter((line) => line.includes("restored"))).toHaveLength(1);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => (proxy.listening ? proxy.close(() => resolve()) : resolve()));
      }
    });

    it("a subscriber connection that loses Redis again while it resubscribes leaves no unhandled rejection, and its subscriptions come back", async () => {
      // A proxy that, while `flapping`, cuts any connection the moment it sends SUBSCRIBE: the
      // subscriber reconnects, is ready, resubscribes, and loses Redis before the answer.
      let flapping = false;
      const sockets = new Set<net.Socket>();
      const proxy = net.createServer((downstream) => {
        const upstream = net.connect(6379, "127.0.0.1");
        for (const s of [downstream, upstream]) {
          sockets.add(s);
          s.on("error", () => undefined);
          s.on("close", () => sockets.delete(s));
        }
        downstream.on("data", (chunk: Buffer) => {
          if (flapping && /\$9\r\nsubscribe\r\n/i.test(chunk.toString("latin1"))) {
            // Redis goes away for good this time: refuse connections until the test restores it.
            flapping = false;
            proxy.close();
            downstream.destroy();
            upstream.destroy();
            return;
          }
          upstream.write(chunk);
        });
        upstream.pipe(downstream);
        downstream.on("close", () => upstream.destroy());
        upstream.on("close", () => downstream.destroy());
      });
      const listen = (port: number) => new Promise<void>((resolve) => proxy.listen(port, "127.0.0.1", () => resolve()));
      await listen(0);
      const port = (proxy.address() as net.AddressInfo).port;
      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown) => uncaught.push(error);
      process.on("unhandledRejection", onUncaught);
      try {
        const cache = make({ url: `redis://127.0.0.1:${port}` });
        const received = inbox();
        await cache.subscribe("ch", received.handler);
        let reconnects = 0;
        cache.onReconnect(() => reconnects++);

        flapping = true;
        for (const s of sockets) s.destroy();
        // The subscriber reconnects, is ready, resubscribes and is cut; then its reconnects are refused
        // until ioredis gives up on the queued commands (maxRetriesPerRequest) and rejects them.
        await eventually(() => expect(proxy.listening).toBe(false), 5000, 20);
        await sleep(1000);
        // Listeners hear of a reconnect only once the subscriptions are back (the main connection,
        // never used here, was never connected).
        expect(reconnects).toBe(0);
        await listen(port);

        await eventually(async () => {
          await cache.publish("ch", "back");
          expect(received.messages).toContain("back");
        }, 10_000, 50);
        expect(reconnects).toBeGreaterThanOrEqual(1);
        await cache.close();
        await sleep(50);
        expect(uncaught).toEqual([]);
      } finally {
        process.off("unhandledRejection", onUncaught);
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => (proxy.listening ? proxy.close(() => resolve()) : resolve()));
      }
    });

    it("rejects ping() promptly when Redis is unreachable, without unhandled errors or leaked secrets", async () => {
      const lines: string[] = [];
      const logger = createLogger({ level: "debug", write: (line) => lines.push(line) });
      const consoleError = vi.spyOn(console, "error");
      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown) => uncaught.push(error);
      process.on("uncaughtException", onUncaught);
      process.on("unhandledRejection", onUncaught);
      try {
        const cache = make({ url: "redis://authly:s3cret-pw@127.0.0.1:1", logger });
        for (let attempt = 0; attempt < 3; attempt++) {
          const started = Date.now();
          await expect(cache.ping()).rejects.toThrow(/Redis is unreachable/);
          expect(Date.now() - started).toBeLessThan(2000);
        }
        let started = Date.now();
        await expect(cache.get("k")).rejects.toThrow();
        await expect(cache.subscribe("ch", () => undefined)).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(4000);
        await sleep(300); // let background reconnect attempts fail a few more times
        started = Date.now();
        await cache.close();
        expect(Date.now() - started).toBeLessThan(500);
        await sleep(100);

        expect(consoleError).not.toHaveBeenCalled();
        expect(uncaught).toEqual([]);
        const warnings = lines.filter((line) => line.includes('"level":"warn"'));
        // One warning per connection for the whole outage, not one per retry.
        expect(warnings.filter((line) => line.includes('"connection":"main"'))).toHaveLength(1);
        expect(warnings.filter((line) => line.includes('"connection":"subscriber"'))).toHaveLength(1);
        expect(lines.join("\n")).not.toContain("s3cret-pw");
      } finally {
        consoleError.mockRestore();
        process.off("uncaughtException", onUncaught);
        process.off("unhandledRejection", onUncaught);
      }
    });

    it("rejects URLs that are not redis:// or rediss:// without echoing them", () => {
      expect(() => make({ url: "http://user:pw-123@host" })).toThrow(/scheme/);
      expect(() => make({ url: "not a url pw-123" })).toThrow(/invalid Redis URL/);
      try {
        make({ url: "not a url pw-123" });
      } catch (error) {
        expect(String(error)).not.toContain("pw-123");
      }
    });
  });
});
