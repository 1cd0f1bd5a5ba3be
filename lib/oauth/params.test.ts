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
});

describe("readQuery and parseScope", () => {
  it("parses the query with the same rules", async () => {
    expect(readQuery(new Request("http://localhost/x?client_id=a&state=b")).get("state")).toBe("b");
    expect((await errorOf(() => readQuery(new Request("http://localhost/x?state=a&state=b")))).error).toBe("invalid_request");
  });

  it("splits scope tokens and rejects characters outside RFC 6749 §3.3", async () => {
    expect(parseScope("openid  profile openid")).toEqual(["openid", "profile"]);
    expect((await errorOf(() => parseScope('bad"scope'))).error).toBe("invalid_scope");
  });
});
