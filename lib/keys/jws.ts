import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from "node:crypto";
import type { SigningAlgorithm } from "../protocol/constants";

/**
 * Compact JWS (RFC 7515 §7.1) signing and verification on `node:crypto` KeyObjects.
 *
 * The asynchronous callback form of `crypto.sign`/`crypto.verify` runs the operation on libuv's
 * thread pool, so RSA signatures (the cost that bounds the token endpoint) use every core and
 * never block the event loop. Verification always uses the algorithm of the key it was given,
 * never the one the token's header asks for (RFC 8725 §3.1).
 */

/** Tokens longer than this are rejected before any decoding work. */
export const MAX_COMPACT_JWS_LENGTH = 64 * 1024;

interface AlgorithmSpec {
  /** Digest for crypto.sign/verify; null for EdDSA (the digest is part of the algorithm). */
  digest: string | null;
  /** ECDSA signatures are R || S, fixed length (RFC 7518 §3.4), not DER. */
  dsaEncoding?: "ieee-p1363";
  /** Exact signature length in bytes, when the algorithm fixes it. */
  signatureLength?: number;
  assertKey(key: KeyObject): void;
}

const algorithmSpecs: Record<SigningAlgorithm, AlgorithmSpec> = {
  // RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256; keys of 2048 bits or larger.
  RS256: {
    digest: "sha256",
    assertKey(key) {
      if (key.asymmetricKeyType !== "rsa") throw new TypeError("RS256 needs an RSA key");
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new TypeError("RS256 needs an RSA key of at least 2048 bits");
    },
  },
  // RFC 7518 §3.4: ECDSA P-256 with SHA-256, signature is the 64-byte R || S.
  ES256: {
    digest: "sha256",
    dsaEncoding: "ieee-p1363",
    signatureLength: 64,
    assertKey(key) {
      if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") throw new TypeError("ES256 needs a P-256 key");
    },
  },
  // RFC 8037 §3.1: EdDSA with Ed25519, 64-byte signatures.
  EdDSA: {
    digest: null,
    signatureLength: 64,
    assertKey(key) {
      if (key.asymmetricKeyType !== "ed25519") throw new TypeError("EdDSA needs an Ed25519 key");
    },
  },
};

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === "string" && Object.hasOwn(algorithmSpecs, value);
}

function keyInput(key: KeyObject, spec: AlgorithmSpec) {
  return spec.dsaEncoding ? { key, dsaEncoding: spec.dsaEncoding } : key;
}

function signAsync(spec: AlgorithmSpec, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    cryptoSign(spec.digest, data, keyInput(key, spec), (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}


const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict base64url (RFC 7515 §2: no padding, no other characters). Decoding and re-encoding must
 * give the input back, which also rejects non-zero trailing bits (no malleable encodings).
 */
function decodeBase64url(text: string): Buffer | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : null;
}

function decodeJsonObject(text: string): Record<string, unknown> | null {
  const bytes = decodeBase64url(text);
  if (!bytes) return null;
  try {
    // RFC 7515 §5.2 step 3/8: the octets must be UTF-8 JSON; fatal decoding rejects invalid UTF-8.
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A compact JWS split and decoded, not yet verified. */
export interface ParsedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** ASCII(BASE64URL(header) || "." || BASE64URL(payload)), RFC 7515 §5.2 step 8. */
  signingInput: Buffer;
  signature: Buffer;
}

/**
 * Splits and decodes a compact JWS whose payload is a JSON object (a JWT). Returns null for
 * anything malformed: not exactly 3 parts, bad base64url, non-JSON, a header that uses `crit`
 * (RFC 7515 §4.1.11: we understand no extensions) or a missing/`none` algorithm.
 */
export function parseCompactJws(token: string): ParsedJws | null {
  if (typeof token !== "string" || token.length > MAX_COMPACT_JWS_LENGTH) return null;
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  // RFC 7515 §7.1: exactly three parts.
  if (second < 0 || token.indexOf(".", second + 1) >= 0) return null;
  const header = decodeJsonObject(token.slice(0, first));
  if (!header) return null;
  if (header.crit !== undefined) return null;
  // RFC 8725 §3.2: never accept unsecured JWS.
  if (typeof header.alg !== "string" || header.alg === "none") return null;
  const payload = decodeJsonObject(token.slice(first + 1, second));
  if (!payload) return null;
  const signature = decodeBase64url(token.slice(second + 1));
  if (!signature || signature.length === 0) return null;
  return { header, payload, signingInput: Buffer.from(token.slice(0, second), "ascii"), signature };
}

/** Signs JWTs with one private key; caches the encoded protected header per `typ`. */
export class JwsSigner {
  readonly #privateKey: KeyObject;
  readonly #spec: AlgorithmSpec;
  readonly #headers = new Map<string, string>();

  constructor(
    readonly kid: string,
    readonly alg: SigningAlgorithm,
    privateKey: KeyObject,
  ) {
    if (privateKey.type !== "private") throw new TypeError("a signer needs a private key");
    this.#spec = algorithmSpecs[alg];
    this.#spec.assertKey(privateKey);
    this.#privateKey = privateKey;
  }

  /** BASE64URL(UTF8(header)) for this key and typ (RFC 7515 §4.1.1, §4.1.4, §4.1.9). */
  encodedHeader(typ: string): string {
    let encoded = this.#headers.get(typ);
    if (encoded === undefined) {
      encoded = Buffer.from(JSON.stringify({ alg: this.alg, typ, kid: this.kid })).toString("base64url");
      // typ values come from code, so this stays tiny; the cap guards against misuse.
      if (this.#headers.size < 32) this.#headers.set(typ, encoded);
    }
    return encoded;
  }

  /** RFC 7515 §5.1: BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature). */
  async sign(payload: Record<string, unknown>, typ: string): Promise<string> {
    const signingInput = `${this.encodedHeader(typ)}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
    const signature = await signAsync(this.#spec, Buffer.from(signingInput, "ascii"), this.#privateKey);
    return `${signingInput}.${signature.toString("base64url")}`;
  }

  // Never print key material, whatever logs this object.
  toJSON(): Record<string, string> {
    return { kid: this.kid, alg: this.alg };
  }
}

/** Verifies JWS signatures with one public key and that key's algorithm only. */
export class JwsVerifier {
  readonly #spec: AlgorithmSpec;

  constructor(
    readonly alg: SigningAlgorithm,
    readonly publicKey: KeyObject,
  ) {
    if (publicKey.type !== "public") throw new TypeError("a verifier needs a public key");
    this.#spec = algorithmSpecs[alg];
    this.#spec.assertKey(publicKey);
  }

  /** True when the header names this key's algorithm and the signature is valid. */
  async verifyParsed(jws: ParsedJws): Promise<boolean> {
    // RFC 8725 §3.1: the key decides the algorithm; a header asking for another one fails.
    if (jws.header.alg !== this.alg) return false;
    if (this.#spec.signatureLength !== undefined && jws.signature.length !== this.#spec.signatureLength) return false;
    // Verification is cheap (RS256 ~20 us, far less than a thread-pool round trip), so it runs inline.
    try {
      return cryptoVerify(this.#spec.digest, jws.signingInput, keyInput(this.publicKey, this.#spec), jws.signature);
    } catch {
      return false;
    }
  }

  /** Parses and verifies a compact JWS; null when it is malformed or the signature does not hold. */
  async verify(token: string): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown> } | null> {
    const jws = parseCompactJws(token);
    if (!jws || !(await this.verifyParsed(jws))) return null;
    return { header: jws.header, payload: jws.payload };
  }
}

/**
 * Compares JOSE `typ` values (RFC 7515 §4.1.9): case-insensitive, and "application/" may be omitted.
 */
export function sameMediaType(a: string, b: string): boolean {
  const normalize = (t: string) => {
    const lower = t.toLowerCase();
    return lower.startsWith("application/") ? lower.slice("application/".length) : lower;
  };
  return normalize(a) === normalize(b);
}
