import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateMasterKey, KeyEncryption, parseMasterKey } from "./key-encryption";

const jwk = JSON.stringify({ kty: "EC", crv: "P-256", d: "secret-scalar", x: "x", y: "y", kid: "k1" });

/** Flips one bit in one base64url part of an envelope, re-encoding canonically. */
function tamper(envelope: string, part: 1 | 2 | 3, byte = 0): string {
  const parts = envelope.split(".");
  const bytes = Buffer.from(parts[part]!, "base64url");
  bytes[byte] = bytes[byte]! ^ 0x01;
  parts[part] = bytes.toString("base64url");
  return parts.join(".");
}

describe("KeyEncryption", () => {
  const key = randomBytes(32);
  const enc = new KeyEncryption(key);

  it("round-trips plaintext", () => {
    expect(enc.decrypt(enc.encrypt(jwk))).toBe(jwk);
    expect(enc.decrypt(enc.encrypt(""))).toBe("");
    expect(enc.decrypt(enc.encrypt("ünïcødé 🔑"))).toBe("ünïcødé 🔑");
    const big = "x".repeat(100_000);
    expect(enc.decrypt(enc.encrypt(big))).toBe(big);
  });

  it("round-trips with associated data", () => {
    expect(enc.decrypt(enc.encrypt(jwk, "kid:k1"), "kid:k1")).toBe(jwk);
  });

  it("produces the v1 envelope format with a 12-byte IV and 16-byte tag", () => {
    const envelope = enc.encrypt(jwk);
    const parts = envelope.split(".");
    expect(parts).toHaveLength(4);
    expect(parts[0]).toBe("v1");
    for (const p of parts.slice(1)) expect(p).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(parts[1]!, "base64url")).toHaveLength(12);
    expect(Buffer.from(parts[2]!, "base64url")).toHaveLength(Buffer.byteLength(jwk));
    expect(Buffer.from(parts[3]!, "base64url")).toHaveLength(16);
    expect(envelope).not.toContain("secret-scalar");
  });

  it("uses a fresh IV for every encryption", () => {
    const envelopes = Array.from({ length: 100 }, () => enc.encrypt(jwk));
    expect(new Set(envelopes.map((e) => e.split(".")[1])).size).toBe(100);
    expect(new Set(envelopes.map((e) => e.split(".")[2])).size).toBe(100);
  });

  it("detects tampering with the IV, ciphertext or tag", () => {
    const envelope = enc.encrypt(jwk, "kid:k1");
    for (const part of [1, 2, 3] as const) {
      for (const byte of [0, 5, 11]) {
        expect(() => enc.decrypt(tamper(envelope, part, byte), "kid:k1")).toThrow(/decryption failed/);
      }
    }
  });

  it("rejects a ciphertext moved to another row (different associated data)", () => {
    const envelope = enc.encrypt(jwk, "kid:k1");
    expect(() => enc.decrypt(envelope, "kid:k2")).toThrow(/wrong associated data/);
    expect(() => enc.decrypt(envelope)).toThrow(/decryption failed/);
    expect(() => enc.decrypt(enc.encrypt(jwk), "kid:k1")).toThrow(/decryption failed/);
  });

  it("rejects a different master key", () => {
    const envelope = enc.encrypt(jwk);
    expect(() => new KeyEncryption(randomBytes(32)).decrypt(envelope)).toThrow(/wrong master key/);
  });

  it("is not affected by later changes to the caller's key array", () => {
    const bytes = new Uint8Array(randomBytes(32));
    const own = new KeyEncryption(bytes);
    const envelope = own.encrypt(jwk);
    bytes.fill(0);
    expect(own.decrypt(envelope)).toBe(jwk);
  });

  it("rejects malformed envelopes with a clear error", () => {
    const envelope = enc.encrypt(jwk);
    const [, iv, ct, tag] = envelope.split(".");
    const cases = [
      "",
      "garbage",
      jwk,
      `v2.${iv}.${ct}.${tag}`,
      `${iv}.${ct}.${tag}`,
      `v1.${iv}.${ct}`,
      `v1.${iv}.${ct}.${tag}.extra`,
      `v1.${iv}!.${ct}.${tag}`,
      `v1.${iv}=.${ct}.${tag}`,
      `v1.${iv!.slice(2)}.${ct}.${tag}`,
      `v1.${iv}.${ct}.${tag!.slice(0, 16)}`,
      `v1.${iv}.${ct}+/.${tag}`,
    ];
    for (const bad of cases) expect(() => enc.decrypt(bad)).toThrow(/malformed envelope/);
  });

  it("rejects non-canonical base64url (e.g. altered trailing bits of the tag)", () => {
    const envelope = enc.encrypt(jwk);
    const parts = envelope.split(".");
    const tag = parts[3]!;
    // 16 bytes -> 22 chars, the last char carries 4 unused bits; setting them keeps the decoded bytes identical.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(tag.at(-1)!);
    parts[3] = tag.slice(0, -1) + alphabet[last | 0b0001];
    if (parts[3] !== tag) expect(() => enc.decrypt(parts.join("."))).toThrow(/malformed envelope/);
    parts[3] = tag.slice(0, -1) + alphabet[last ^ 0b1111];
    expect(() => enc.decrypt(parts.join("."))).toThrow(/malformed envelope/);
  });

  it("requires a 32-byte master key", () => {
    for (const n of [0, 16, 31, 33, 64]) {
      expect(() => new KeyEncryption(new Uint8Array(n))).toThrow(`exactly 32 bytes (AES-256), got ${n} bytes`);
    }
    expect(() => new KeyEncryption("0".repeat(32) as unknown as Uint8Array)).toThrow(/exactly 32 bytes/);
  });
});

describe("parseMasterKey", () => {
  const raw = randomBytes(32);

  it("accepts 64 hex characters (either case, surrounding whitespace ignored)", () => {
    expect(Buffer.from(parseMasterKey(raw.toString("hex")))).toEqual(raw);
    expect(Buffer.from(parseMasterKey(raw.toString("hex").toUpperCase()))).toEqual(raw);
    expect(Buffer.from(parseMasterKey(`  ${raw.toString("hex")}\n`))).toEqual(raw);
  });

  it("accepts base64 (padded or not) and base64url", () => {
    const b64 = raw.toString("base64");
    expect(b64).toHaveLength(44);
    expect(Buffer.from(parseMasterKey(b64))).toEqual(raw);
    expect(Buffer.from(parseMasterKey(b64.replace(/=$/, "")))).toEqual(raw);
    expect(Buffer.from(parseMasterKey(raw.toString("base64url")))).toEqual(raw);
    expect(Buffer.from(parseMasterKey(raw.toString("base64url") + "="))).toEqual(raw);
  });

  it("handles keys whose base64 uses + and / as well as - and _", () => {
    const special = Buffer.alloc(32, 0xfb); // base64 "+/v7..." / base64url "-_v7..."
    expect(special.toString("base64")).toMatch(/[+/]/);
    expect(Buffer.from(parseMasterKey(special.toString("base64")))).toEqual(special);
    expect(Buffer.from(parseMasterKey(special.toString("base64url")))).toEqual(special);
  });

  it("returns a Uint8Array usable by KeyEncryption", () => {
    const key = parseMasterKey(generateMasterKey());
    expect(key).toBeInstanceOf(Uint8Array);
    expect(key.byteLength).toBe(32);
    const enc = new KeyEncryption(key);
    expect(enc.decrypt(enc.encrypt("x"))).toBe("x");
  });

  it("rejects wrong lengths, saying how many bytes it got", () => {
    expect(() => parseMasterKey(randomBytes(16).toString("base64"))).toThrow(/decodes to 16 bytes/);
    expect(() => parseMasterKey(randomBytes(31).toString("base64url"))).toThrow(/decodes to 31 bytes/);
    expect(() => parseMasterKey(randomBytes(33).toString("base64"))).toThrow(/decodes to 33 bytes/);
    expect(() => parseMasterKey(randomBytes(48).toString("base64"))).toThrow(/decodes to 48 bytes/);
    expect(() => parseMasterKey(randomBytes(31).toString("hex"))).toThrow(/64 hex characters/);
    expect(() => parseMasterKey(randomBytes(33).toString("hex"))).toThrow(/64 hex characters/);
  });

  it("rejects garbage with a helpful message that does not echo the input", () => {
    const cases = [
      "",
      "   ",
      "correct horse battery staple",
      "not-a-key!",
      raw.toString("base64").slice(0, -3) + "@@=",
      raw.toString("base64").replace("=", "==="),
      raw.toString("base64url").slice(0, 10) + "+" + raw.toString("base64url").slice(11, 20) + "_" + raw.toString("base64url").slice(21),
      raw.toString("hex").slice(0, 63) + "g",
    ];
    for (const bad of cases) {
      let message = "";
      try {
        parseMasterKey(bad);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^Invalid master key/);
      expect(message).toMatch(/64 hex characters or as base64\/base64url/);
      if (bad.trim().length > 3) expect(message).not.toContain(bad.trim());
    }
  });
});

describe("generateMasterKey", () => {
  it("returns 32 random bytes as base64url", () => {
    const a = generateMasterKey();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, "base64url")).toHaveLength(32);
    expect(generateMasterKey()).not.toBe(a);
  });
});
