import { describe, expect, it } from "vitest";
import { clientAddress, MAX_ADDRESS_LENGTH, normalizeAddress } from "./client-address";

describe("clientAddress", () => {
  it("without a trusted proxy is the socket's peer, whatever X-Forwarded-For says", () => {
    for (const forwardedFor of [undefined, null, "", "203.0.113.9", "203.0.113.9, 198.51.100.1", "127.0.0.1"]) {
      expect(clientAddress({ socketAddress: "192.0.2.10", forwardedFor, trustProxy: false })).toBe("192.0.2.10");
    }
  });

  it("behind a trusted proxy is the first X-Forwarded-For hop (as the protocol door always did)", () => {
    expect(clientAddress({ socketAddress: "10.0.0.2", forwardedFor: "203.0.113.9, 10.0.0.1", trustProxy: true })).toBe("203.0.113.9");
    expect(clientAddress({ socketAddress: "10.0.0.2", forwardedFor: " 2001:DB8::0001 ", trustProxy: true })).toBe("2001:db8::1");
  });

  it("behind a trusted proxy falls back to the socket when X-Forwarded-For is missing or empty", () => {
    for (const forwardedFor of [undefined, null, "", " ", " , 203.0.113.9"]) {
      expect(clientAddress({ socketAddress: "::ffff:10.0.0.2", forwardedFor, trustProxy: true })).toBe("10.0.0.2");
    }
  });

  it("is undefined with nothing to go on", () => {
    expect(clientAddress({ socketAddress: undefined, forwardedFor: "203.0.113.9", trustProxy: false })).toBeUndefined();
    expect(clientAddress({ socketAddress: "", forwardedFor: undefined, trustProxy: true })).toBeUndefined();
  });
});

describe("normalizeAddress", () => {
  it("writes one address one way", () => {
    expect(normalizeAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(normalizeAddress("0:0:0:0:0:FFFF:1.2.3.4")).toBe("1.2.3.4");
    expect(normalizeAddress("::FFFF:c000:0201")).toBe("192.0.2.1");
    expect(normalizeAddress("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(normalizeAddress("::1")).toBe("::1");
    expect(normalizeAddress("[2001:db8::1]:8443")).toBe("2001:db8::1");
    expect(normalizeAddress("[::1]")).toBe("::1");
    expect(normalizeAddress("198.51.100.7:51234")).toBe("198.51.100.7");
    expect(normalizeAddress("fe80::0001%eth0")).toBe("fe80::1%eth0");
  });

  it("keeps a token that is no address (a proxy's \"unknown\"), as visible ASCII, capped", () => {
    expect(normalizeAddress("unknown")).toBe("unknown");
    expect(normalizeAddress("_hidden\u00e9\t")).toBe("_hidden");
    expect(normalizeAddress("x".repeat(500))).toHaveLength(MAX_ADDRESS_LENGTH);
    expect(normalizeAddress("  ")).toBeUndefined();
    expect(normalizeAddress("\u00e9\u00e9")).toBeUndefined();
  });
});
