import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashSecret, isRandomToken, minTokenBytes, randomToken, timingSafeEqualStrings, verifySecretHash } from "./secrets";

describe("randomToken", () => {
  it("returns 32 random bytes as unpadded base64url by default (256 bits)", () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
  });

  it("honours the requested size", () => {
    expect(Buffer.from(randomToken(48), "base64url")).toHaveLength(48);
    expect(Buffer.from(randomToken(minTokenBytes), "base64url")).toHaveLength(16);
  });

  it("never repeats", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(tokens.size).toBe(1000);
  });

  it("refuses sizes below 128 bits (RFC 6749 §10.10) or non-integers", () => {
    expect(() => randomToken(15)).toThrow(RangeError);
    expect(() => randomToken(0)).toThrow(RangeError);
    expect(() => randomToken(31.5)).toThrow(RangeError);
  });
});

describe("hashSecret", () => {
  it("is SHA-256, base64url", () => {
    // SHA-256("abc") from FIPS 180-2 Appendix B.1.
    const expected = Buffer.from("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "hex").toString("base64url");
    expect(hashSecret("abc")).toBe(expected);
    expect(hashSecret("abc")).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  });

  it("is deterministic, 43 chars, and differs for different inputs", () => {
    const token = randomToken();
    expect(hashSecret(token)).toBe(hashSecret(token));
    expect(hashSecret(token)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashSecret(token)).not.toBe(hashSecret(token + "x"));
    expect(hashSecret(token)).not.toBe(token);
  });

  it("hashes the UTF-8 encoding", () => {
    expect(hashSecret("ü")).toBe(createHash("sha256").update(Buffer.from([0xc3, 0xbc])).digest("base64url"));
  });
});

describe("verifySecretHash", () => {
  it("accepts the right secret and rejects others", () => {
    const secret = randomToken();
    const stored = hashSecret(secret);
    expect(verifySecretHash(secret, stored)).toBe(true);
    expect(verifySecretHash(secret + "x", stored)).toBe(false);
    expect(verifySecretHash("", stored)).toBe(false);
    expect(verifySecretHash(randomToken(), stored)).toBe(false);
  });

  it("does not accept the stored hash itself as the secret", () => {
    const stored = hashSecret(randomToken());
    expect(verifySecretHash(stored, stored)).toBe(false);
  });

  it("returns false instead of throwing on malformed or mismatched-length hashes", () => {
    const secret = randomToken();
    for (const bad of ["", "short", hashSecret(secret) + "A", hashSecret(secret).slice(1), "é".repeat(43)]) {
      expect(verifySecretHash(secret, bad)).toBe(false);
    }
    expect(verifySecretHash(undefined as unknown as string, hashSecret(secret))).toBe(false);
    expect(verifySecretHash(secret, null as unknown as string)).toBe(false);
  });
});

describe("timingSafeEqualStrings", () => {
  it("compares strings", () => {
    expect(timingSafeEqualStrings("abc", "abc")).toBe(true);
    expect(timingSafeEqualStrings("", "")).toBe(true);
    expect(timingSafeEqualStrings("abc", "abd")).toBe(false);
    expect(timingSafeEqualStrings("abc", "ABC")).toBe(false);
    expect(timingSafeEqualStrings("ü", "ü")).toBe(true);
    // Different Unicode normalisation is a different string.
    expect(timingSafeEqualStrings("\u00fc", "u\u0308")).toBe(false);
  });

  it("returns false for different lengths without throwing", () => {
    expect(timingSafeEqualStrings("abc", "abcd")).toBe(false);
    expect(timingSafeEqualStrings("", "a")).toBe(false);
    expect(timingSafeEqualStrings("a".repeat(10_000), "a")).toBe(false);
  });

  it("returns false for non-string input", () => {
    expect(timingSafeEqualStrings(undefined as unknown as string, "a")).toBe(false);
    expect(timingSafeEqualStrings("a", 1 as unknown as string)).toBe(false);
  });
});

describe("isRandomToken", () => {
  it("accepts exactly what randomToken() gives: 43 base64url characters", () => {
    for (let i = 0; i < 100; i++) expect(isRandomToken(randomToken())).toBe(true);
    for (const bad of [randomToken(48), randomToken().slice(1), `${randomToken().slice(1)}=`, `${randomToken().slice(1)}+`, "", 43, null, undefined]) {
      expect(isRandomToken(bad)).toBe(false);
    }
  });
});
