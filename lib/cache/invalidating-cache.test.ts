import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../observability/logger";
import { ManualClock } from "../server/clock";
import type { Cache } from "./cache";
import { channels } from "./channels";
import { CachedValue, InvalidatingCache, type InvalidatingCacheOptions } from "./invalidating-cache";
import { MemoryCache } from "./memory-cache";
import { RedisCache } from "./redis-cache";

const REDIS_URL = "redis://127.0.0.1:6379";

/** A loader whose calls can be held open and made to fail; it answers `${key}@${version}`. */
function source() {
  let version = 1;
  let gate: Promise<void> | undefined;
  let release: () => void = () => undefined;
  let failures = 0;
  const load = vi.fn(async (key: string): Promise<string> => {
    const seen = version;
    if (gate) await gate;
    if (failures > 0) {
      failures--;
      throw new Error("the record is unreachable");
    }
    return `${key}@${seen}`;
  });
  return {
    load,
    /** Changes the record: later loads answer the next version. */
    change: () => void version++,
    hold: () => {
      gate = new Promise<void>((resolve) => (release = resolve));
    },
    release: () => {
      gate = undefined;
      release();
    },
    failNext: (n = 1) => void (failures = n),
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function keyed(clock: ManualClock, load: (key: string) => Promise<string>, options: Partial<InvalidatingCacheOptions<string, string>> = {}) {
  return new InvalidatingCache<string, string>({ name: "test", clock, logger: silentLogger, load, ttlMs: 1000, ...options });
}

describe("InvalidatingCache", () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });

  describe("TTL (fake clock)", () => {
    it("serves a loaded value until its TTL, then loads again (no stale value without staleMs)", async () => {
      const clock = new ManualClock();
      const src = source();
      const cache = keyed(clock, src.load);
      expect(cache.peek("a")).toBeUndefined(); // peek never starts the first load
      expect(src.load).not.toHaveBeenCalled();
      expect(await cache.get("a")).toBe("a@1");
      src.change();
      clock.advance(999);
      expect(cache.peek("a")).toBe("a@1");
      expect(await cache.get("a")).toBe("a@1");
      expect(src.load).toHaveBeenCalledTimes(1);
      clock.advance(1);
      expect(cache.peek("a")).toBeUndefined();
      expect(await cache.get("a")).toBe("a@2");
      expect(src.load).toHaveBeenCalledTimes(2);
    });

    it("takes the TTL from the value when given a function (e.g. short for 'not found')", async () => {
      const clock = new ManualClock();
      const cache = new InvalidatingCache<string, string | null>({
        name: "test",
        clock,
        logger: silentLogger,
        load: async (key) => (key === "known" ? "found" : null),
        ttlMs: (value) => (value === null ? 100 : 10_000),
      });
      expect(await cache.get("known")).toBe("found");
      expect(await cache.get("unknown")).toBeNull();
      clock.advance(100);
      expect(cache.peek("unknown")).toBeUndefined();
      expect(cache.peek("known")).toBe("found");
    });

    it("getNow answers a warm read with the plain value, a cold one with a promise", async () => {
      const clock = new ManualClock();
      const src = source();
      const cache = keyed(clock, src.load);
      const cold = cache.getNow("a");
      expect(cold).toBeInstanceOf(Promise);
      expect(await cold).toBe("a@1");
      expect(cache.getNow("a")).toBe("a@1");
      clock.advance(1000);
      expect(cache.getNow("a")).toBeInstanceOf(Promise);
    });

    it("keeps at most maxEntries keys, dropping the oldest stored", async () => {
      const clock = new ManualClock();
      const src = source();
      const cache = keyed(clock, src.load, { maxEntries: 2 });
      await cache.get("a");
      await cache.get("b");
      await cache.get("c");
      expect(cache.size).toBe(2);
      expect(cache.peek("a")).toBeUndefined();
      expect(cache.peek("b")).toBe("b@1");
      expect(cache.peek("c")).toBe("c@1");
    });
  });

  describe("single flight", () => {
    it("50 concurrent gets of one key share one load", async () => {
      const clock = new ManualClock();
      const src = source();
      const cache = keyed(clock, src.load);
      src.hold();
      const all = Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? cache.get("a") : cache.getNow("a"))));
      await flush();
      expect(src.load).toHaveBeenCalledTimes(1);
      expect(cache.isLoading("a")).toBe(true);
      src.release();
      expect(new Set(await all)).toEqual(new Set(["a@1"]));
      expect(src.load).toHaveBeenCalledTimes(1);
      expect(cache.isLoading("a")).toBe(false);
      // Other keys load on their own.
      await Promise.all([cache.get("b"), cache.get("b")]);
      expect(src.load).toHaveBeenCalledTimes(2);
    });

    it("refresh() is a load that starts after the call: it waits for the one in flight, and is shared", async () => {
      const clock = new ManualClock();
      const src = source();
      const cache = keyed(clock, src.load);
      src.hold();
      const first = cache.get("a");
      await flush();
      src.change(); // the record changes after the first load read it
      const fresh = [cache.refresh("a"), cache.refresh("a")];
      src.release();
      expect(await first).toBe("a@1");
      expect(await Promise.all(fresh)).toEqual(["a@2", "a@2"]);
      expect(src.load).toHaveBeenCalledTimes(2);
      expect(cache.peek("a")).toBe("a@2");
    });
  });

  describe("stale-while-revalidate", () => {
    it("serves the stale value while one background reload runs, then the new one", async () => {
      const clock = new ManualClock();
      const src = source();
      const cache = keyed(clock, src.load, { staleMs: Number.POSITIVE_INFINITY });
      expect(await cache.get("a")).toBe("a@1");
      src.change();
      clock.advance(1000);
      src.hold();
      const during = [cache.peek("a"), await cache.get("a"), cache.getNow("a")];
      expect(during).toEqual(["a@1", "a@1", "a@1"]); // never a promise to wait for
      await flush();
      expect(src.load).toHaveBeenCalledTimes(2); // one reload, however many reads
      src.release();
      await vi.waitFor(() => expect(cache.peek("a")).toBe("a@2"));
      expect(src.load).toHaveBeenCalledTimes(2);
    });

    it("serves a stale value only for staleMs past the TTL", async () => {
      const clock = new ManualClock();
      const src = source();
      const cache = keyed(clock, src.load, { staleMs: 500 });
      await cache.get("a");
      src.hold();
      clock.advance(1499);
      expect(cache.peek("a")).toBe("a@1");
      clock.advance(1);
      expect(cache.peek("a")).toBeUndefined();
      src.release();
    });

    it("a failed reload keeps the old value, which serves until the retry; the retry loads the new one", async () => {
      const clock = new ManualClock();
      const src = source();
      const warn = vi.fn();
      const cache = keyed(clock, src.load, { staleMs: Number.POSITIVE_INFINITY, retryAfterFailureMs: 5000, logger: { ...silentLogger, warn } });
      await cache.get("a");
      src.change();
      src.failNext();
      clock.advance(1000);
      expect(cache.peek("a")).toBe("a@1");
      await vi.waitFor(() => expect(warn).toHaveBeenCalledWith("background reload failed; the previous copy keeps serving", expect.objectContaining({ cache: "test" })));
      expect(src.load).toHaveBeenCalledTimes(2);
      clock.advance(4999);
      expect(cache.peek("a")).toBe("a@1");
      await flush();
      expect(src.load).toHaveBeenCalledTimes(2); // not before the retry delay
      clock.advance(1);
      expect(cache.peek("a")).toBe("a@1");
      await vi.waitFor(() => expect(cache.peek("a")).toBe("a@2"));
      expect(src.load).toHaveBeenCalledTimes(3);
    });

    it("a failed first load rejects its callers, stores nothing, and the next read tries again", async () => {
      const clock = new ManualClock();
      const src = source();
      const cache = keyed(clock, src.load, { staleMs: Number.POSITIVE_INFINITY, retryAfterFailureMs: 5000 });
      src.failNext();
      await expect(Promise.all([cache.get("a"), cache.get("a")])).rejects.toThrow("the record is unreachable");
      expect(src.load).toHaveBeenCalledTimes(1);
      expect(cache.size).toBe(0);
      expect(await cache.get("a")).toBe("a@1");
    });
  });

  describe("invalidation", () => {
    it("invalidate(key) drops one copy, invalidate() every copy; a load in flight no longer counts", async () => {
      const clock = new ManualClock();
      const src = source();
      const cache = keyed(clock, src.load);
      await Promise.all([cache.get("a"), cache.get("b")]);
      src.change();
      cache.invalidate("a");
      expect(cache.peek("a")).toBeUndefined();
      expect(cache.peek("b")).toBe("b@1");
      expect(await cache.get("a")).toBe("a@2");
      cache.invalidate();
      expect(cache.size).toBe(0);

      // A load that read the record before the change: its callers get its answer, the cache does not keep it.
      src.hold();
      const early = cache.get("c");
      await flush();
      src.change();
      cache.invalidate("c");
      expect(cache.isLoading("c")).toBe(false);
      src.release();
      expect(await early).toBe("c@2");
      expect(cache.peek("c")).toBeUndefined();
      expect(await cache.get("c")).toBe("c@3");
      expect(cache.peek("c")).toBe("c@3");
    });

    it("close() unsubscribes and waits for loads; afterwards copies serve but nothing loads", async () => {
      const clock = new ManualClock();
      const shared = new MemoryCache({ clock });
      closers.push(() => shared.close());
      const src = source();
      const channel = { cache: shared, channel: channels.clientsChanged, mode: "drop" as const, encode: (k?: string) => k ?? "", decode: (m: string) => ({ key: m }) };
      const cache = keyed(clock, src.load, { channel });
      src.hold();
      const pending = cache.get("a");
      await flush();
      let closed = false;
      const closing = cache.close().then(() => (closed = true));
      await flush();
      expect(closed).toBe(false);
      src.release();
      await closing;
      expect(await pending).toBe("a@1");
      expect(cache.peek("a")).toBe("a@1");
      await expect(cache.get("b")).rejects.toThrow("the test cache is closed");
      await shared.publish(channels.clientsChanged, "a");
      await flush();
      expect(cache.peek("a")).toBe("a@1"); // no longer subscribed
    });
  });

  /** What two instances of one cache (two servers) need: a clock, their two shared caches, two loaders, a channel. */
  async function twoInstances(makeShared: () => Promise<[Cache, Cache]>) {
    const clock = new ManualClock();
    const [left, right] = await makeShared();
    const srcA = source();
    const srcB = source();
    const channel = (cache: Cache, mode: "drop" | "reload") => ({
      cache,
      channel: channels.clientsChanged,
      mode,
      encode: (key: string | undefined) => key ?? "*",
      decode: (message: string) => (message === "*" ? ("all" as const) : { key: message }),
    });
    return { clock, left, right, srcA, srcB, channel };
  }

  for (const kind of ["MemoryCache", "RedisCache"] as const) {
    describe(`invalidation from a second instance over ${kind} pub/sub`, () => {
      async function shared(): Promise<[Cache, Cache]> {
        if (kind === "MemoryCache") {
          // One in-process cache: both "instances" subscribe to it, as two services of one process do.
          const cache = new MemoryCache({ clock: new ManualClock() });
          closers.push(() => cache.close());
          return [cache, cache];
        }
        const prefix = `authly-test:${randomUUID()}:`;
        const a = new RedisCache({ url: REDIS_URL, prefix, logger: silentLogger });
        const b = new RedisCache({ url: REDIS_URL, prefix, logger: silentLogger });
        closers.push(() => a.close(), () => b.close());
        return [a, b];
      }

      it("drop: a change announced by A drops B's copy at once (B's TTL has not run out)", async () => {
        const { clock, left, right, srcA, srcB, channel } = await twoInstances(shared);
        const a = keyed(clock, srcA.load, { ttlMs: 60_000, channel: channel(left, "drop") });
        const b = keyed(clock, srcB.load, { ttlMs: 60_000, channel: channel(right, "drop") });
        closers.push(() => a.close(), () => b.close());
        await b.listen();
        expect(await b.get("x")).toBe("x@1");
        expect(await b.get("y")).toBe("y@1");
        srcB.change(); // the record changes; A announces it
        await a.announce("x");
        await vi.waitFor(() => expect(b.peek("x")).toBeUndefined(), { timeout: 3000, interval: 5 });
        expect(b.peek("y")).toBe("y@1");
        expect(await b.get("x")).toBe("x@2");
        await a.publish(); // everything
        await vi.waitFor(() => expect(b.size).toBe(0), { timeout: 3000, interval: 5 });
      });

      it("reload: B reloads in the background and keeps serving its copy meanwhile", async () => {
        const { clock, left, right, srcA, srcB, channel } = await twoInstances(shared);
        const a = keyed(clock, srcA.load, { ttlMs: 60_000, channel: channel(left, "reload") });
        const b = keyed(clock, srcB.load, { ttlMs: 60_000, channel: channel(right, "reload") });
        closers.push(() => a.close(), () => b.close());
        await b.get("x"); // the first load subscribes
        await b.listen();
        srcB.change();
        srcB.hold();
        await a.publish("x");
        await vi.waitFor(() => expect(srcB.load).toHaveBeenCalledTimes(2), { timeout: 3000, interval: 5 });
        expect(b.peek("x")).toBe("x@1");
        srcB.release();
        await vi.waitFor(() => expect(b.peek("x")).toBe("x@2"), { timeout: 3000, interval: 5 });
      });

      it("CachedValue: a message the receiver does not accept (its own) changes nothing", async () => {
        const { clock, left, right, srcA, srcB } = await twoInstances(shared);
        const make = (cache: Cache, load: (key: string) => Promise<string>, origin: string) =>
          new CachedValue<string>({
            name: "value",
            clock,
            logger: silentLogger,
            load: () => load("v"),
            ttlMs: 60_000,
            channel: { cache, channel: channels.keysChanged, mode: "drop", message: () => origin, accepts: (message) => message !== origin },
          });
        const a = make(left, srcA.load, "A");
        const b = make(right, srcB.load, "B");
        closers.push(() => a.close(), () => b.close());
        await Promise.all([a.get(), b.get()]);
        await Promise.all([a.listen(), b.listen()]);
        await a.publish();
        await vi.waitFor(() => expect(b.peek()).toBeUndefined(), { timeout: 3000, interval: 5 });
        // A heard its own message too, and ignored it.
        expect(a.peek()).toBe("v@1");
      });
    });
  }

  it("a reconnect of the shared cache (messages may have been lost) drops every copy", async () => {
    const clock = new ManualClock();
    const memory = new MemoryCache({ clock });
    closers.push(() => memory.close());
    const listeners = new Set<() => void>();
    const shared: Cache = Object.assign(memory, {
      onReconnect(listener: () => void) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
    });
    const src = source();
    const cache = keyed(clock, src.load, {
      ttlMs: 60_000,
      channel: { cache: shared, channel: channels.clientsChanged, mode: "drop", encode: (k) => k ?? "", decode: (m) => ({ key: m }) },
    });
    await cache.get("a");
    await cache.listen();
    expect(listeners.size).toBe(1);
    for (const listener of listeners) listener();
    expect(cache.peek("a")).toBeUndefined();
    await cache.close();
    expect(listeners.size).toBe(0);
  });

  it("a failed subscription is logged and retried by the next load", async () => {
    const clock = new ManualClock();
    const memory = new MemoryCache({ clock });
    closers.push(() => memory.close());
    const subscribe = vi.spyOn(memory, "subscribe").mockRejectedValueOnce(new Error("Redis is unreachable"));
    const warn = vi.fn();
    const src = source();
    const cache = keyed(clock, src.load, {
      logger: { ...silentLogger, warn },
      channel: { cache: memory, channel: channels.clientsChanged, mode: "drop", encode: (k) => k ?? "", decode: (m) => ({ key: m }) },
    });
    await cache.get("a");
    await vi.waitFor(() => expect(warn).toHaveBeenCalledWith("cannot subscribe to changes from other instances; relying on the TTL", expect.anything()));
    clock.advance(1000);
    await cache.get("a");
    await vi.waitFor(() => expect(subscribe).toHaveBeenCalledTimes(2));
    await memory.publish(channels.clientsChanged, "a");
    await vi.waitFor(() => expect(cache.peek("a")).toBeUndefined());
  });
});
