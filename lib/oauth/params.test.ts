import { describe, expect, it } from "vitest";
import { OAuthError } from "./errors";
import { MAX_FORM_BYTES, parseParams, parseScope, readFormBody, readQuery } from "./params";

const form = (body: string | Uint8Array, contentType = "application/x-www-form-urlencoded", extra: Record<string, string> = {}) =>
  new Request("http://localhost/oauth/token", { method: "POST", headers: { "content-type": contentType, ...extra }, body: body as BodyInit });

async function errorOf(promise: Promise<unknown> | (() => unknown)): Promise<OAuthError> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error("expected an OAuthError");
}

describe("parseParams", () => {
  it("rejects repeated parameters (RFC 6749 §3.1) but allows several resource values (RFC 8707 §2)", async () => {
    expect((await errorOf(() => parseParams("a=1&a=2"))).error).toBe("invalid_request");
    expect(parseParams("resource=urn:a&resource=urn:b").get("resource")).toBe("urn:a urn:b");
  });

  it("parses exactly like URLSearchParams, with and without encoded characters", () => {
    for (const body of ["a=1&b=2", "a=1&&b", "=x&a", "a=b=c", "token=eyJ.a-b_c.d", "a=%20x+y&b=%zz", "a=caf%C3%A9", "&&", "a"]) {
      const expected = new Map<string, string>();
      for (const [k, v] of new URLSearchParams(body)) if (!expected.has(k)) expected.set(k, v);
      for (const [k, v] of [...expected]) if (v === "") expected.delete(k);
      expect(Object.fromEntries(parseParams(body))).toEqual(Object.fromEntries(expected));
    }
  });

  it("decodes like URLSearchParams where that gives valid UTF-8, keeping a stray % as it is", () => {
    for (const body of ["a=%zz%41", "a=100%", "a=%4", "a=%C3%A9%ZZ", "a=x%2By+z", "a=%F0%9F%98%80", "a=%ef%bf%bd"]) {
      expect(parseParams(body).get("a")).toBe(new URLSearchParams(body).get("a"));
    }
  });

  it.each([
    ["a lone continuation byte", "a=%80"],
    ["a truncated sequence", "a=%C3"],
    ["an overlong encoding", "a=%C0%AF"],
    ["an encoded surrogate (CESU-8)", "a=%ED%A0%80"],
    ["a code point above U+10FFFF", "a=%F4%90%80%80"],
    ["invalid UTF-8 next to a stray %", "a=%ZZ%FF"],
    ["invalid UTF-8 in a name", "%FF=1"],
  ])("refuses percent-encoded bytes that are not UTF-8: %s", async (_name, body) => {
    const e = await errorOf(() => parseParams(body));
    expect([e.status, e.error]).toEqual([400, "invalid_request"]);
  });

  it.each([
    ["an encoded NUL", "client_id=a%00b"],
    ["a NUL as the whole value", "grant_type=%00"],
    ["a tab", "scope=api%09x"],
    ["a line feed", "state=a%0Ab"],
    ["DEL", "code=x%7F"],
    ["a control character in a name", "a%00b=1"],
    ["a raw NUL (not percent-encoded)", "client_id=a\u0000b"],
    ["a raw lone surrogate", "nonce=a\ud800"],
    ["a line feed in a resource", "resource=urn:a&resource=urn:b%0A"],
  ])("refuses control characters and lone surrogates (lib/http/input.ts): %s", async (_name, body) => {
    const e = await errorOf(() => parseParams(body));
    expect([e.status, e.error]).toEqual([400, "invalid_request"]);
    expect(e.description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
  });

  it("lets the claims parameter carry JSON whitespace (RFC 8259 §2) but not NUL", async () => {
    expect(parseParams("claims=%7B%0A%09%22userinfo%22%3A%7B%7D%0D%0A%7D").get("claims")).toBe('{\n\t"userinfo":{}\r\n}');
    expect((await errorOf(() => parseParams("claims=%7B%00%7D"))).error).toBe("invalid_request");
  });

  it("treats empty values as omitted (RFC 6749 §3.1)", () => {
    expect(parseParams("scope=&grant_type=x").has("scope")).toBe(false);
  });

  it("rejects oversized values and too many parameters", async () => {
    expect((await errorOf(() => parseParams(`a=${"x".repeat(9000)}`))).error).toBe("invalid_request");
    expect((await errorOf(() => parseParams(Array.from({ length: 70 }, (_, i) => `p${i}=1`).join("&")))).error).toBe("invalid_request");
  });
});

describe("readFormBody", () => {
  it("accepts form bodies with a charset parameter", async () => {
    expect((await readFormBody(form("grant_type=client_credentials", "application/x-www-form-urlencoded; charset=UTF-8"))).get("grant_type")).toBe("client_credentials");
  });

  it("answers 415 for other content types", async () => {
    const e = await errorOf(readFormBody(form('{"grant_type":"x"}', "application/json")));
    expect([e.status, e.error]).toEqual([415, "invalid_request"]);
  });

  it("answers 413 for bodies over the limit and 400 for invalid UTF-8", async () => {
    expect((await errorOf(readFormBody(form("a=" + "x".repeat(MAX_FORM_BYTES))))).status).toBe(413);
    const e = await errorOf(readFormBody(form(new Uint8Array([0x61, 0x3d, 0xff, 0xfe]))));
    expect([e.status, e.error]).toEqual([400, "invalid_request"]);
  });

  it("answers 400 for a NUL or invalid UTF-8, raw or percent-encoded, with and without Content-Length", async () => {
    for (const body of [new Uint8Array([...new TextEncoder().encode("client_id=a"), 0x00, 0x62]), "client_id=a%00b", "client_id=a%FFb"]) {
      const streamed = new Request("http://localhost/oauth/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new Blob([body]).stream(), duplex: "half" } as RequestInit);
      for (const request of [form(body), streamed]) {
        const e = await errorOf(readFormBody(request));
        expect([e.status, e.error]).toEqual([400, "invalid_request"]);
      }
    }
  });
});

describe("readQuery and parseScope", () => {
  it("parses the query with the same rules", async () => {
    expect(readQuery(new Request("http://localhost/x?client_id=a&state=b")).get("state")).toBe("b");
    expect((await errorOf(() => readQuery(new Request("http://localhost/x?state=a&state=b")))).error).toBe("invalid_request");
  });

  it("refuses a NUL or invalid UTF-8 in the query", async () => {
    for (const query of ["client_id=a%00b", "client_id=%C3%28", "state=%0D%0A"]) {
      const e = await errorOf(() => readQuery(new Request(`http://localhost/x?${query}`)));
      expect([e.status, e.error]).toEqual([400, "invalid_request"]);
    }
  });

  it("splits scope tokens and rejects characters outside RFC 6749 §3.3", async () => {
    expect(parseScope("openid  profile openid")).toEqual(["openid", "profile"]);
    expect((await errorOf(() => parseScope('bad"scope'))).error).toBe("invalid_scope");
  });
});
