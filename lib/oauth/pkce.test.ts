import { describe, expect, it } from "vitest";
import { isValidCodeChallenge, isValidCodeVerifier, s256CodeChallenge, verifyPkce } from "./pkce";

// RFC 7636 Appendix B.
const rfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

describe("PKCE (RFC 7636, S256)", () => {
  it("computes the RFC 7636 Appendix B challenge and verifies it", () => {
    expect(s256CodeChallenge(rfcVerifier)).toBe(rfcChallenge);
    expect(verifyPkce(rfcVerifier, rfcChallenge)).toBe(true);
  });

  it("rejects a different verifier, a tampered challenge, and the plain method (verifier == challenge)", () => {
    expect(verifyPkce(rfcVerifier.replace("d", "e"), rfcChallenge)).toBe(false);
    expect(verifyPkce(rfcVerifier, rfcChallenge.replace("E9", "E8"))).toBe(false);
    const verifier = "a".repeat(43);
    expect(verifyPkce(verifier, verifier)).toBe(false);
  });

  it("never throws on malformed input", () => {
    expect(verifyPkce("", rfcChallenge)).toBe(false);
    expect(verifyPkce(rfcVerifier, "")).toBe(false);
    expect(verifyPkce(undefined as unknown as string, null as unknown as string)).toBe(false);
  });

  it.each([
    ["43 unreserved characters", "A".repeat(43), true],
    ["128 characters", "a-._~".repeat(25) + "abc", true],
    ["42 characters", "A".repeat(42), false],
    ["129 characters", "A".repeat(129), false],
    ["a space", "A".repeat(42) + " ", false],
    ["a plus sign", "A".repeat(42) + "+", false],
    ["non-ASCII", "A".repeat(42) + "é", false],
  ])("code_verifier with %s: %s", (_label, value, valid) => {
    expect(isValidCodeVerifier(value)).toBe(valid);
  });

  it.each([
    ["the RFC vector", rfcChallenge, true],
    ["42 characters", rfcChallenge.slice(0, 42), false],
    ["44 characters (padding)", rfcChallenge + "=", false],
    ["base64 (not url-safe) characters", rfcChallenge.replace("-", "+"), false],
    ["a non-canonical last character", rfcChallenge.slice(0, 42) + "N", false],
    ["a plain verifier of 64 characters", "A".repeat(64), false],
  ])("code_challenge with %s: %s", (_label, value, valid) => {
    expect(isValidCodeChallenge(value)).toBe(valid);
  });

  it("accepts every challenge it computes", () => {
    for (let i = 0; i < 200; i++) {
      const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
      expect(isValidCodeChallenge(s256CodeChallenge(verifier))).toBe(true);
    }
  });
});
