import { describe, expect, it } from "vitest";
import { ManualClock } from "../server/clock";
import { MemoryCache } from "./memory-cache";
import { RateLimiter } from "./rate-limiter";

function setup(limit = 3, windowMs = 60_000) {
  const clock = new ManualClock();
  const cache = new MemoryCache({ clock });
  const limiter = new RateLimiter(cache, { limit, windowMs });
  return { clock, cache, limiter };
}

describe("RateLimiter (fixed window)", () => {
  it("allows `limit` requests, then denies", async () => {
    const { clock, limiter } = setup(3, 60_000);
    const start = clock.nowMs();
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.consume("client-1"));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect(decisions.map((d) => d.retryAfterSeconds)).toEqual([0, 0, 0, 60, 60]);
    for (const d of decisions) {
      expect(d.resetAtMs).toBe(start + 60_000);
      expect(d.limit).toBe(3);
    }
  });

  it("computes Retry-After from the time left in the window, rounded up", async () => {
    const { clock, limiter } = setup(1, 60_000);
    await limiter.consume("k");
    clock.advance(58_500);
    expect(await limiter.consume("k")).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 2 });
    clock.advance(1_499);
    expect(await limiter.consume("k")).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it("never reports Retry-After below 1 second while denying", async () => {
    const { limiter } = setup(1, 200);
    await limiter.consume("k");
    expect((await limiter.consume("k")).retryAfterSeconds).toBe(1);
  });

  it("resets after the window without extending it on denied requests", async () => {
    const { clock, limiter } = setup(2, 10_000);
    const start = clock.nowMs();
    await limiter.consume("k");
    await limiter.consume("k");
    clock.advance(9_999);
    const denied = await limiter.consume("k");
    expect(denied.allowed).toBe(false);
    expect(denied.resetAtMs).toBe(start + 10_000); // still the original window
    clock.advance(1);
    const fresh = await limiter.consume("k");
    expect(fresh).toEqual({ allowed: true, remaining: 1, limit: 2, resetAtMs: start + 20_000, retryAfterSeconds: 0 });
  });

  it("counts keys independently", async () => {
    const { limiter } = setup(1);
    expect((await limiter.consume("a")).allowed).toBe(true);
    expect((await limiter.consume("a")).allowed).toBe(false);
    expect((await limiter.consume("b")).allowed).toBe(true);
  });

  it("keeps limiters with different names apart on one cache", async () => {
    const { cache } = setup();
    const login = new RateLimiter(cache, { name: "login", limit: 1, windowMs: 60_000 });
    const token = new RateLimiter(cache, { name: "token", limit: 1, windowMs: 60_000 });
    expect((await login.consume("1.2.3.4")).allowed).toBe(true);
    expect((await token.consume("1.2.3.4")).allowed).toBe(true);
    expect((await login.consume("1.2.3.4")).allowed).toBe(false);
  });

  it("admits exactly `limit` of many concurrent requests", async () => {
    const { limiter } = setup(5);
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.consume("k")));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
  });

  it("propagates cache failures so the caller chooses fail-open or fail-closed", async () => {
    const { cache, limiter } = setup();
    await cache.close();
    await expect(limiter.consume("k")).rejects.toThrow();
  });

  it("rejects invalid options", () => {
    const cache = new MemoryCache({ clock: new ManualClock() });
    expect(() => new RateLimiter(cache, { limit: 0, windowMs: 1000 })).toThrow(RangeError);
    expect(() => new RateLimiter(cache, { limit: 1.5, windowMs: 1000 })).toThrow(RangeError);
    expect(() => new RateLimiter(cache, { limit: 1, windowMs: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter(cache, { limit: 1, windowMs: Number.NaN })).toThrow(RangeError);
  });
});

describe("RateLimiter.consumeNow (in-process cache, no promise)", () => {
  it("counts in the same window as consume and agrees with it", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const cache = new MemoryCache({ clock });
    const limiter = new RateLimiter(cache, { limit: 2, windowMs: 1000 });
    expect(limiter.consumeNow("k")).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.consume("k")).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.consumeNow("k")).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(1000);
    expect(limiter.consumeNow("k")).toMatchObject({ allowed: true, remaining: 1 });
    expect(cache.getNow("ratelimit:default:k")).toBe("1");
  });

  it("is undefined for caches that cannot answer synchronously", () => {
    const asyncOnly = { increment: async () => ({ count: 1, resetAtMs: 0, resetInMs: 1 }) } as unknown as MemoryCache;
    expect(new RateLimiter(asyncOnly, { limit: 1, windowMs: 1000 }).consumeNow("k")).toBeUndefined();
  });
});
