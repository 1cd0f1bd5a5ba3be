import { describe, expect, it } from "vitest";
import { MemoryCache } from "../cache/memory-cache";
import { silentLogger } from "../observability/logger";
import { ManualClock } from "../server/clock";
import { ProtocolRateLimits } from "./rate-limits";

function limits(perIp: number) {
  const cache = new MemoryCache({ clock: new ManualClock(Date.UTC(2026, 11, 2)) });
  return { cache, limits: new ProtocolRateLimits(cache, silentLogger, { windowSeconds: 60, perIp, perClient: 0 }) };
}

const allowed = (check: () => void | Promise<void>) => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};

describe("ProtocolRateLimits.checkIp", () => {
  it("counts an IPv6 client by its /64 (RFC 6177 §2): rotating addresses within it neither escapes the limit nor adds keys", () => {
    const { cache, limits: l } = limits(3);
    const sizeBefore = cache.size;
    for (let i = 1; i <= 3; i++) expect(allowed(() => l.checkIp("token", `2001:db8:1:2::${i.toString(16)}`))).toBe(true);
    expect(allowed(() => l.checkIp("token", "2001:db8:1:2:ffff:ffff:ffff:ffff"))).toBe(false);
    expect(cache.size - sizeBefore).toBe(1);
    // Another /64 has a counter of its own.
    expect(allowed(() => l.checkIp("token", "2001:db8:1:3::1"))).toBe(true);
  });

  it("counts an IPv4 client by its address, also in IPv4-mapped IPv6 form", () => {
    const { limits: l } = limits(2);
    expect(allowed(() => l.checkIp("token", "192.0.2.1"))).toBe(true);
    expect(allowed(() => l.checkIp("token", "::ffff:192.0.2.1"))).toBe(true);
    expect(allowed(() => l.checkIp("token", "192.0.2.1"))).toBe(false);
    expect(allowed(() => l.checkIp("token", "192.0.2.2"))).toBe(true);
  });
});
