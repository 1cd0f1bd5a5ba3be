import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, pageRequestMeta, preparePageRequest, REQUEST_ID_HEADER, registerPageDoor } from "./page-door";

/**
 * The page door as server.ts runs it, on a real socket: the "Next.js" behind it records the request
 * headers it was handed (after filling in X-Forwarded-For the way Next.js does: only when missing).
 */
describe("preparePageRequest", () => {
  let trustProxy = false;
  let seen: { headers: Headers; returned: string } | undefined;
  const server = http.createServer((req, res) => {
    const returned = preparePageRequest(req, res, { trustProxy });
    req.headers["x-forwarded-for"] ??= req.socket.remoteAddress; // what Next.js's base server does
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    seen = { headers, returned };
    res.end("ok");
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(() => {
    trustProxy = false;
    delete (globalThis as unknown as Record<symbol, unknown>)[Symbol.for("authly.page-door")];
  });

  it("passes the socket's address, not a forged X-Forwarded-For nor a forged internal header", async () => {
    registerPageDoor();
    const response = await fetch(`${base}/login`, {
      headers: { "x-forwarded-for": "203.0.113.9", [CLIENT_ADDRESS_HEADER]: "198.51.100.1", [REQUEST_ID_HEADER]: "forged-id" },
    });
    expect(pageRequestMeta(seen!.headers).ipAddress).toBe("127.0.0.1");
    // The request id pages see is the response's, not the client's internal header.
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(pageRequestMeta(seen!.headers).requestId).toBe(requestId);
    expect(seen!.returned).toBe(requestId);
  });

  it("keeps a plain X-Request-Id of the client (as the protocol door does), and hands the same to pages", async () => {
    registerPageDoor();
    const response = await fetch(`${base}/`, { headers: { "x-request-id": "trace-42" } });
    expect(response.headers.get("x-request-id")).toBe("trace-42");
    expect(pageRequestMeta(seen!.headers).requestId).toBe("trace-42");
    const odd = await fetch(`${base}/`, { headers: { "x-request-id": "x".repeat(300) } });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("behind a trusted proxy passes the first X-Forwarded-For hop, normalised", async () => {
    registerPageDoor();
    trustProxy = true;
    await fetch(`${base}/`, { headers: { "x-forwarded-for": "::ffff:203.0.113.9, 10.0.0.1" } });
    expect(pageRequestMeta(seen!.headers).ipAddress).toBe("203.0.113.9");
    await fetch(`${base}/`);
    expect(pageRequestMeta(seen!.headers).ipAddress).toBe("127.0.0.1");
  });

  it("without the page door in front (next dev, next start) pages believe neither header", async () => {
    await fetch(`${base}/`);
    expect(seen!.headers.get(CLIENT_ADDRESS_HEADER)).toBe("127.0.0.1");
    expect(pageRequestMeta(seen!.headers)).toEqual({ ipAddress: undefined, requestId: undefined });
    const forged = new Headers({ "x-forwarded-for": "203.0.113.9", [CLIENT_ADDRESS_HEADER]: "203.0.113.9", [REQUEST_ID_HEADER]: "forged" });
    expect(pageRequestMeta(forged)).toEqual({ ipAddress: undefined, requestId: undefined });
  });
});
