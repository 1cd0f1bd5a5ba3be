/**
 * Primitives for bearer secrets that must never be stored in plaintext: client secrets,
 * authorization codes, refresh tokens, and similar server-generated random values.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Smallest accepted token size.
 * RFC 6749 §10.10: the probability of guessing a token MUST be <= 2^-128 (SHOULD be <= 2^-160),
 * so at least 16 random bytes; the default of 32 bytes gives 256 bits.
 */
export const minTokenBytes = 16;

/** `bytes` CSPRNG bytes, base64url without padding (RFC 4648 §5): safe in URLs, headers and forms. */
export function randomToken(bytes = 32): string {
  if (!Number.isSafeInteger(bytes) || bytes < minTokenBytes || bytes > 1024) {
    throw new RangeError(`Token size must be an integer number of bytes between ${minTokenBytes} and 1024`);
  }
  return randomBytes(bytes).toString("base64url");
}

/** What randomToken() (32 bytes) gives: 43 base64url characters, no padding (RFC 4648 §5). */
const RANDOM_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether `value` can be a token this server issued with randomToken() (the default 32 bytes):
 * interaction ids, browser bindings, mailed links. Anything else is not one of ours, so it is
 * refused before any lookup (and costs no query).
 */
export function isRandomToken(value: unknown): value is string {
  return typeof value === "string" && RANDOM_TOKEN_SHAPE.test(value);
}

/**
 * SHA-256 of the value, base64url (43 chars). What gets stored instead of the secret itself.
 *
 * A fast, unsalted hash is the right tool here because these values are server-generated and
 * high-entropy (>= 128 bits, RFC 6749 §10.10): brute force is infeasible regardless of hash speed,
 * so a slow password hash would only add CPU cost (a DoS lever on the token endpoint) and a salt
 * would prevent lookup by hash. OWASP Password Storage Cheat Sheet: slow hashes are for
 * low-entropy, user-chosen passwords. RFC 6819 §5.1.4.1.3: store hashes of tokens/secrets, not the values.
 * Never use this for user-chosen passwords: use the PasswordHasher.
 */
export function hashSecret(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("base64url");
}

/**
 * Whether `value` hashes to `expectedHash`, compared in constant time
 * (RFC 6819 §5.1.4.1.3 / OWASP: avoid timing side channels when checking secrets).
 * Never throws: a malformed expected hash or non-string input is simply a mismatch.
 */
export function verifySecretHash(value: string, expectedHash: string): boolean {
  if (typeof value !== "string" || typeof expectedHash !== "string") return false;
  const actual = Buffer.from(hashSecret(value), "utf8");
  const expected = Buffer.from(expectedHash, "utf8");
  // timingSafeEqual throws on unequal lengths; the length of a SHA-256 digest is public anyway.
  if (actual.length !== expected.length) return false;
  return timingSafeEqual(actual, expected);
}

/**
 * Constant-time string equality that also hides the lengths: both sides are reduced to SHA-256
 * digests (fixed 32 bytes) and those are compared with crypto.timingSafeEqual. Equal digests imply
 * equal strings (SHA-256 collision resistance). Use for comparing presented secrets, e.g. CSRF tokens
 * or PKCE challenges (RFC 7636 §4.6). Never throws; non-string input is unequal.
 */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  if (typeof a !== "string" || typeof b !== "string") return false;
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db);
}

/**
 * Constant-time comparison of two `hashSecret` values (fixed-length digests, so comparing lengths
 * reveals nothing). Never throws.
 */
export function equalSecretHashes(a: string, b: string): boolean {
  if (typeof a !== "string" || typeof b !== "string" || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, "latin1"), Buffer.from(b, "latin1"));
}
