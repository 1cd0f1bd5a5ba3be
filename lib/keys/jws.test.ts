import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { JwsSigner, JwsVerifier, parseCompactJws, sameMediaType } from "./jws";
import type { SigningAlgorithm } from "../protocol/constants";

function keyPair(alg: SigningAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === "RS256") return generateKeyPairSync("rsa", { modulusLength: 2048 });
  if (alg === "ES256") return generateKeyPairSync("ec", { namedCurve: "P-256" });
  return generateKeyPairSync("ed25519");
}

const algs: SigningAlgorithm[] = ["RS256", "ES256", "EdDSA"];
const keys = Object.fromEntries(algs.map((alg) => [alg, keyPair(alg)])) as Record<SigningAlgorithm, ReturnType<typeof keyPair>>;

/** Signs a signing input directly with node:crypto (to build tokens our signer would never make). */
function rawSign(alg: SigningAlgorithm, key: KeyObject, input: string): Buffer {
  const data = Buffer.from(input);
  if (alg === "ES256") return cryptoSign("sha256", data, { key, dsaEncoding: "ieee-p1363" });
  return cryptoSign(alg === "RS256" ? "sha256" : null, data, key);
}

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const payload = { iss: "https://issuer.example", sub: "user-1", aud: "client-1", iat: 1_700_000_000, exp: 4_000_000_000, "name": "Zoë" };

describe.each(algs)("compact JWS with %s", (alg) => {
  const { privateKey, publicKey } = keys[alg];
  const signer = new JwsSigner(`kid-${alg}`, alg, privateKey);
  const verifier = new JwsVerifier(alg, publicKey);

  it("round-trips and puts alg, typ and kid in the header", async () => {
    const token = await signer.sign(payload, "at+jwt");
    expect(token.split(".")).toHaveLength(3);
    const result = await verifier.verify(token);
    expect(result).toEqual({ header: { alg, typ: "at+jwt", kid: `kid-${alg}` }, payload });
    expect(signer.encodedHeader("at+jwt")).toBe(token.split(".")[0]);
  });

  it("makes tokens that jose's jwtVerify accepts", async () => {
    const token = await signer.sign(payload, "JWT");
    const { payload: verified, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: [alg], issuer: "https://issuer.example" });
    expect(verified).toEqual(payload);
    expect(protectedHeader).toEqual({ alg, typ: "JWT", kid: `kid-${alg}` });
  });

  it("accepts tokens jose's SignJWT made", async () => {
    const token = await new SignJWT(payload).setProtectedHeader({ alg, kid: "k1", typ: "JWT" }).sign(privateKey);
    expect(await verifier.verify(token)).toEqual({ header: { alg, kid: "k1", typ: "JWT" }, payload });
  });

  it("rejects a tampered payload, a tampered signature and a truncated signature", async () => {
    const token = await signer.sign(payload, "JWT");
    const [h, p, s] = token.split(".") as [string, string, string];
    const forged = b64({ ...payload, sub: "admin" });
    expect(await verifier.verify(`${h}.${forged}.${s}`)).toBeNull();
    const sig = Buffer.from(s, "base64url");
    sig[sig.length - 1]! ^= 1;
    expect(await verifier.verify(`${h}.${p}.${sig.toString("base64url")}`)).toBeNull();
    expect(await verifier.verify(`${h}.${p}.${s.slice(0, -4)}`)).toBeNull();
    expect(await verifier.verify(`${h}.${p}.`)).toBeNull();
  });

  it("rejects a header naming another algorithm, alg none, and crit", async () => {
    const token = await signer.sign(payload, "JWT");
    const [, p, s] = token.split(".") as [string, string, string];
    const other = alg === "RS256" ? "ES256" : "RS256";
    expect(await verifier.verify(`${b64({ alg: other, typ: "JWT", kid: `kid-${alg}` })}.${p}.${s}`)).toBeNull();
    expect(await verifier.verify(`${b64({ alg: "none" })}.${p}.`)).toBeNull();
    expect(await verifier.verify(`${b64({ alg: "none" })}.${p}.${s}`)).toBeNull();
    // A correctly signed token that uses crit is still rejected (we understand no extensions).
    const input = `${b64({ alg, crit: ["x-ext"], "x-ext": 1 })}.${p}`;
    const critical = `${input}.${rawSign(alg, privateKey, input).toString("base64url")}`;
    expect(await verifier.verify(critical)).toBeNull();
    // The same header without crit verifies, so crit alone is the reason.
    const plain = `${b64({ alg, "x-ext": 1 })}.${p}`;
    expect(await verifier.verify(`${plain}.${rawSign(alg, privateKey, plain).toString("base64url")}`)).not.toBeNull();
  });
});

describe("alg confusion", () => {
  it("an HS256 token made with the RSA public key as HMAC secret is rejected", async () => {
    const { publicKey } = keys.RS256;
    const secret = publicKey.export({ type: "spki", format: "pem" });
    const token = await new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).sign(Buffer.from(secret));
    expect(await new JwsVerifier("RS256", publicKey).verify(token)).toBeNull();
  });

  it("a token signed by another algorithm's key does not verify, even if the header is rewritten", async () => {
    const es = new JwsSigner("k", "ES256", keys.ES256.privateKey);
    const token = await es.sign(payload, "JWT");
    const [, p, s] = token.split(".") as [string, string, string];
    const rs = new JwsVerifier("RS256", keys.RS256.publicKey);
    expect(await rs.verify(token)).toBeNull();
    expect(await rs.verify(`${b64({ alg: "RS256", typ: "JWT", kid: "k" })}.${p}.${s}`)).toBeNull();
  });

  it("refuses keys that do not fit the algorithm", () => {
    expect(() => new JwsSigner("k", "RS256", keys.ES256.privateKey)).toThrow(TypeError);
    expect(() => new JwsSigner("k", "ES256", keys.EdDSA.privateKey)).toThrow(TypeError);
    expect(() => new JwsSigner("k", "EdDSA", keys.RS256.privateKey)).toThrow(TypeError);
    expect(() => new JwsSigner("k", "RS256", keys.RS256.publicKey)).toThrow(TypeError);
    expect(() => new JwsVerifier("RS256", keys.RS256.privateKey)).toThrow(TypeError);
    expect(() => new JwsVerifier("ES256", generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey)).toThrow(TypeError);
    expect(() => new JwsSigner("k", "RS256", generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey)).toThrow(/2048/);
  });
});

describe("parseCompactJws rejects malformed input", () => {
  const h = b64({ alg: "RS256" });
  const p = b64({ sub: "x" });
  it.each([
    ["empty", ""],
    ["two parts", `${h}.${p}`],
    ["four parts", `${h}.${p}.AAAA.AAAA`],
    ["JWE-like five parts", `${h}..${p}.AAAA.AAAA`],
    ["padding", `${h}.${p}.AAAA==`],
    ["standard base64 characters", `${h}.${p}.AA+/`],
    ["impossible length", `${h}.${p}.AAAAA`],
    ["non-canonical trailing bits", `${h}.${p}.AB`],
    ["header not JSON", `${b64("not json")}.${p}.AAAA`],
    ["header an array", `${b64([1])}.${p}.AAAA`],
    ["header null", `${b64("null")}.${p}.AAAA`],
    ["payload not JSON", `${h}.${b64("{")}.AAAA`],
    ["payload a string", `${h}.${b64('"x"')}.AAAA`],
    ["payload invalid UTF-8", `${h}.${Buffer.from([0x7b, 0xff, 0x7d]).toString("base64url")}.AAAA`],
    ["header without alg", `${b64({ typ: "JWT" })}.${p}.AAAA`],
    ["alg not a string", `${b64({ alg: 1 })}.${p}.AAAA`],
    ["empty signature", `${h}.${p}.`],
    ["whitespace", ` ${h}.${p}.AAAA`],
    ["oversized", `${h}.${"A".repeat(70_000)}.AAAA`],
  ])("%s", (_name, token) => {
    expect(parseCompactJws(token)).toBeNull();
  });

  it("accepts a well-formed token", () => {
    expect(parseCompactJws(`${h}.${p}.AAAA`)).toMatchObject({ header: { alg: "RS256" }, payload: { sub: "x" } });
  });
});

describe("sameMediaType", () => {
  it("compares typ case-insensitively with an optional application/ prefix (RFC 7515 §4.1.9)", () => {
    expect(sameMediaType("at+jwt", "application/at+JWT")).toBe(true);
    expect(sameMediaType("JWT", "jwt")).toBe(true);
    expect(sameMediaType("at+jwt", "jwt")).toBe(false);
  });
});

describe("key material never leaks through serialization", () => {
  it("a signer serializes to kid and alg only", () => {
    const signer = new JwsSigner("k", "EdDSA", keys.EdDSA.privateKey);
    expect(JSON.parse(JSON.stringify(signer))).toEqual({ kid: "k", alg: "EdDSA" });
  });
});
