import { describe, expect, it } from "vitest";
import { isWebUrl } from "./web-url";

describe("isWebUrl", () => {
  it("accepts absolute http(s) URLs with a host and without credentials", () => {
    for (const ok of ["https://example.com", "http://example.com/me?x=1", "https://example.com/#top", "https://[2001:db8::1]:8443/x"]) expect(isWebUrl(ok), ok).toBe(true);
    for (const bad of ["javascript:alert(1)", "ftp://example.com", "example.com", "//example.com", "/path", "https://user:pw@example.com", "https://user@example.com", "data:text/html,hi", "file:///etc/passwd", ""]) {
      expect(isWebUrl(bad), bad).toBe(false);
    }
  });

  it("plain http: any host, loopback hosts only, or never", () => {
    expect(isWebUrl("http://rp.example/cb", { http: "loopback" })).toBe(false);
    for (const loopback of ["http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:8080/"]) {
      expect(isWebUrl(loopback, { http: "loopback" }), loopback).toBe(true);
      expect(isWebUrl(loopback, { http: "never" }), loopback).toBe(false);
    }
    expect(isWebUrl("https://rp.example/cb", { http: "never" })).toBe(true);
  });

  it("refuses a fragment when asked", () => {
    expect(isWebUrl("https://rp.example/bc#x", { fragment: false })).toBe(false);
    expect(isWebUrl("https://rp.example/bc", { fragment: false })).toBe(true);
  });
});
