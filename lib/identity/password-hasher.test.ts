import { describe, expect, it } from "vitest";
import { hash as argon2Hash, argon2i } from "argon2";
import bcrypt from "bcryptjs";
import {
  Argon2idPasswordHasher,
  generatePassword,
  maxPasswordLength,
  minGeneratedPasswordLength,
  owaspArgon2idParams,
  type PasswordHashingParams,
} from "./password-hasher";

// Cheap parameters so the suite stays fast; one test below checks the OWASP defaults.
const cheap: PasswordHashingParams = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

/** Reads the variant, version and m/t/p out of a PHC string (argon2 0.45 emits them as m,p,t). */
function phc(hash: string): { id: string; version: string; params: Record<string, string> } {
  const [, id = "", version = "", params = ""] = hash.split("$");
  return { id, version, params: Object.fromEntries(params.split(",").map((kv) => kv.split("=") as [string, string])) };
}

describe("Argon2idPasswordHasher", () => {
  const hasher = new Argon2idPasswordHasher(cheap);

  it("hashes to an argon2id PHC string and verifies the same password", async () => {
    const hash = await hasher.hash("correct horse battery staple");
    expect(phc(hash)).toEqual({ id: "argon2id", version: "v=19", params: { m: "1024", t: "1", p: "1" } });
    expect(await hasher.verify(hash, "correct horse battery staple")).toEqual({ valid: true, needsRehash: false });
  });

  it("uses a fresh salt for every hash", async () => {
    const [a, b] = await Promise.all([hasher.hash("same"), hasher.hash("same")]);
    expect(a).not.toBe(b);
  });

  it("rejects a wrong password", async () => {
    const hash = await hasher.hash("right password");
    expect(await hasher.verify(hash, "wrong password")).toEqual({ valid: false, needsRehash: false });
    expect(await hasher.verify(hash, "")).toEqual({ valid: false, needsRehash: false });
  });

  it("handles unicode passwords", async () => {
    const hash = await hasher.hash("pässwörd 🔐");
    expect((await hasher.verify(hash, "pässwörd 🔐")).valid).toBe(true);
    expect((await hasher.verify(hash, "passwort 🔐")).valid).toBe(false);
  });

  it("defaults to the OWASP argon2id parameters (m=19456, t=2, p=1)", async () => {
    expect(owaspArgon2idParams).toEqual({ memoryKiB: 19456, iterations: 2, parallelism: 1 });
    const owasp = new Argon2idPasswordHasher();
    const hash = await owasp.hash("pw");
    expect(phc(hash)).toEqual({ id: "argon2id", version: "v=19", params: { m: "19456", t: "2", p: "1" } });
    expect(await owasp.verify(hash, "pw")).toEqual({ valid: true, needsRehash: false });
  });

  it("verifies legacy bcrypt hashes ($2a$, $2b$, $2y$) and asks for a rehash", async () => {
    const b = bcrypt.hashSync("legacy password", 4);
    expect(b.startsWith("$2b$04$")).toBe(true);
    for (const variant of ["$2a$", "$2b$", "$2y$"]) {
      const legacy = variant + b.slice(4);
      expect(await hasher.verify(legacy, "legacy password")).toEqual({ valid: true, needsRehash: true });
      expect(await hasher.verify(legacy, "other password")).toEqual({ valid: false, needsRehash: false });
    }
  });

  it("asks for a rehash when argon2 params differ from the configured ones", async () => {
    const weaker = await new Argon2idPasswordHasher({ memoryKiB: 512, iterations: 1, parallelism: 1 }).hash("pw");
    expect(await hasher.verify(weaker, "pw")).toEqual({ valid: true, needsRehash: true });
    const stronger = await new Argon2idPasswordHasher({ memoryKiB: 1024, iterations: 2, parallelism: 1 }).hash("pw");
    expect(await hasher.verify(stronger, "pw")).toEqual({ valid: true, needsRehash: true });
    // Wrong password never reports needsRehash.
    expect(await hasher.verify(weaker, "nope")).toEqual({ valid: false, needsRehash: false });
  });

  it("verifies PHC strings with params in reference order (m,t,p) from other systems", async () => {
    const hash = await hasher.hash("pw");
    const reordered = hash.replace("m=1024,p=1,t=1", "m=1024,t=1,p=1");
    expect(reordered).toContain("$m=1024,t=1,p=1$");
    expect(await hasher.verify(reordered, "pw")).toEqual({ valid: true, needsRehash: false });
  });

  it("asks for a rehash when the argon2 variant is not argon2id", async () => {
    const i = await argon2Hash("pw", { type: argon2i, memoryCost: 1024, timeCost: 1, parallelism: 1 });
    expect(i.startsWith("$argon2i$")).toBe(true);
    expect(await hasher.verify(i, "pw")).toEqual({ valid: true, needsRehash: true });
  });

  it("treats garbage and malformed hashes as invalid without throwing", async () => {
    const good = await hasher.hash("pw");
    const cases = [
      "",
      "garbage",
      "plaintext-password",
      "$argon2id$",
      "$argon2id$v=19$m=abc,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
      good.slice(0, -5),
      good.replace("$argon2id$", "$argon2x$"),
      "$2b$04$tooShort",
      "$2x$04$" + "a".repeat(53),
      "$1$md5crypt$whatever",
    ];
    for (const hash of cases) {
      await expect(hasher.verify(hash, "pw")).resolves.toEqual({ valid: false, needsRehash: false });
    }
    // Runtime type confusion (e.g. untyped JSON) is also just invalid.
    await expect(hasher.verify(undefined as unknown as string, "pw")).resolves.toEqual({ valid: false, needsRehash: false });
    await expect(hasher.verify(good, null as unknown as string)).resolves.toEqual({ valid: false, needsRehash: false });
  });

  it("rejects overlong passwords without hashing", async () => {
    const atLimit = "x".repeat(maxPasswordLength);
    const hash = await hasher.hash(atLimit);
    expect((await hasher.verify(hash, atLimit)).valid).toBe(true);
    const tooLong = "x".repeat(maxPasswordLength + 1);
    await expect(hasher.hash(tooLong)).rejects.toThrow(RangeError);
    expect(await hasher.verify(hash, tooLong)).toEqual({ valid: false, needsRehash: false });
  });

  it("validates its parameters", () => {
    expect(() => new Argon2idPasswordHasher({ memoryKiB: 0, iterations: 1, parallelism: 1 })).toThrow(RangeError);
    expect(() => new Argon2idPasswordHasher({ memoryKiB: 1024, iterations: 1.5, parallelism: 1 })).toThrow(RangeError);
    expect(() => new Argon2idPasswordHasher({ memoryKiB: 8, iterations: 1, parallelism: 2 })).toThrow(/8 \* parallelism/);
  });
});

describe("generatePassword", () => {
  it("produces 20 characters from the readable alphabet by default", () => {
    const pw = generatePassword();
    expect(pw).toHaveLength(20);
    expect(pw).toMatch(/^[a-zA-Z0-9]+$/);
    expect(pw).not.toMatch(/[0O1lIo]/);
  });

  it("honours the requested length and differs each time", () => {
    expect(generatePassword(32)).toHaveLength(32);
    const seen = new Set(Array.from({ length: 50 }, () => generatePassword()));
    expect(seen.size).toBe(50);
  });

  it("never uses ambiguous characters over many draws", () => {
    const sample = Array.from({ length: 200 }, () => generatePassword(64)).join("");
    expect(sample).not.toMatch(/[0O1lIoiB8S5Z2]/);
  });

  it("refuses too short or non-integer lengths", () => {
    expect(() => generatePassword(minGeneratedPasswordLength - 1)).toThrow(RangeError);
    expect(() => generatePassword(12.5)).toThrow(RangeError);
    expect(() => generatePassword(maxPasswordLength + 1)).toThrow(RangeError);
  });
});
