/**
 * Proof Key for Code Exchange (RFC 7636), S256 only: OAuth 2.1 §4.1.1 and RFC 9700 §2.1.1
 * require PKCE for every client, and `plain` offers no protection once the authorization request
 * leaks, so it is not supported.
 */
import { createHash } from "node:crypto";
import { codeChallengeMethods } from "../protocol/constants";
import { timingSafeEqualStrings } from "../security/secrets";

/** The only supported method (RFC 7636 §4.2; OAuth 2.1 §4.1.1: "S256" is REQUIRED, plain is not accepted here). */
export const CODE_CHALLENGE_METHOD = codeChallengeMethods[0];

// RFC 7636 §4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
const verifierPattern = /^[A-Za-z0-9\-._~]{43,128}$/;
// RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(verifier)): 32 bytes, 43 characters without padding.
const s256ChallengePattern = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** Whether `value` is a syntactically valid code_verifier (RFC 7636 §4.1). */
export function isValidCodeVerifier(value: unknown): value is string {
  return typeof value === "string" && verifierPattern.test(value);
}

/**
 * Whether `value` can be an S256 code_challenge (RFC 7636 §4.2): 43 base64url characters. The last
 * character is restricted to those that encode 4 trailing zero bits, so only canonical encodings
 * of a 32-byte digest pass.
 */
export function isValidCodeChallenge(value: unknown): value is string {
  return typeof value === "string" && s256ChallengePattern.test(value);
}

/** BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2). */
export function s256CodeChallenge(verifier: string): string {
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

/**
 * RFC 7636 §4.6: the server recomputes the challenge from the verifier and compares it with the
 * stored one. The comparison is constant time, so timing reveals nothing about the challenge.
 * Never throws; a malformed verifier simply fails.
 */
export function verifyPkce(verifier: string, challenge: string): boolean {
  if (!isValidCodeVerifier(verifier) || !isValidCodeChallenge(challenge)) return false;
  return timingSafeEqualStrings(s256CodeChallenge(verifier), challenge);
}
