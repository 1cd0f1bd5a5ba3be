import { afterEach, describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, REQUEST_ID_HEADER, registerPageDoor } from "./page-door";
import { boundedAddress, boundedUserAgent, MAX_ADDRESS_LENGTH, MAX_USER_AGENT_LENGTH, requestMetaOfPage, requestMetaOfRoute } from "./request-meta";

describe("request metadata", () => {
  afterEach(() => {
    delete (globalThis as unknown as Record<symbol, unknown>)[Symbol.for("authly.page-door")];
  });

  it("caps the user agent and the address, and keeps absent values absent", () => {
    expect(boundedUserAgent("x".repeat(MAX_USER_AGENT_LENGTH + 100))).toHaveLength(MAX_USER_AGENT_LENGTH);
    expect(boundedUserAgent("Firefox")).toBe("Firefox");
    expect(boundedUserAgent(null)).toBeUndefined();
    expect(boundedUserAgent(undefined)).toBeUndefined();
    expect(boundedAddress("a".repeat(MAX_ADDRESS_LENGTH + 1))).toHaveLength(MAX_ADDRESS_LENGTH);
    expect(boundedAddress(undefined)).toBeUndefined();
  });

  it("protocol door: the route context's address and request id, the request's user agent", () => {
    const request = new Request("http://localhost/oidc/logout", { headers: { "user-agent": "u".repeat(600), "x-forwarded-for": "203.0.113.9" } });
    expect(requestMetaOfRoute(request, { clientIp: "192.0.2.1", requestId: "req-1" })).toEqual({ ipAddress: "192.0.2.1", userAgent: "u".repeat(MAX_USER_AGENT_LENGTH), requestId: "req-1" });
    expect(requestMetaOfRoute(new Request("http://localhost/"), { clientIp: "unknown", requestId: "r" })).toEqual({ ipAddress: "unknown", requestId: "r" });
  });

  it("pages: address and request id only from the page door's internal headers, the user agent always", () => {
    const headers = new Headers({ [CLIENT_ADDRESS_HEADER]: "198.51.100.7", [REQUEST_ID_HEADER]: "req-2", "user-agent": "Safari", "x-forwarded-for": "203.0.113.9" });
    // next dev / next start: nothing strips client-sent internal headers, so they are not believed.
    expect(requestMetaOfPage(headers)).toEqual({ userAgent: "Safari" });
    registerPageDoor();
    expect(requestMetaOfPage(headers)).toEqual({ ipAddress: "198.51.100.7", userAgent: "Safari", requestId: "req-2" });
    expect(requestMetaOfPage(new Headers())).toEqual({});
  });
});
