/**
 * Envelope encryption for data at rest (signing keys' private JWKs) under a 32-byte master key.
 *
 * Format: "v1." + base64url(iv, 12 bytes) + "." + base64url(ciphertext) + "." + base64url(tag, 16 bytes)
 * (base64url without padding, RFC 4648 §5). The version prefix leaves room for a future algorithm or
 * key-rotation scheme.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from "node:crypto";

// NIST SP 800-38D / RFC 5116 §5.1 (AEAD_AES_256_GCM): 256-bit key, 96-bit IV, 128-bit tag.
const algorithm = "aes-256-gcm";
export const masterKeyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;
const version = "v1";

const base64urlPattern = /^[A-Za-z0-9_-]*$/;

/** Decodes strict, canonical, unpadded base64url; null otherwise (so encodings are not malleable). */
function decodeBase64url(text: string): Buffer | null {
  if (!base64urlPattern.test(text)) return null;
  const bytes = Buffer.from(text, "base64url");
  // Reject non-canonical encodings (e.g. non-zero trailing bits, impossible lengths).
  return bytes.toString("base64url") === text ? bytes : null;
}

export class KeyEncryption {
  private readonly key: KeyObject;

  constructor(masterKey: Uint8Array) {
    if (!(masterKey instanceof Uint8Array) || masterKey.byteLength !== masterKeyBytes) {
      const got = masterKey instanceof Uint8Array ? `${masterKey.byteLength} bytes` : typeof masterKey;
      throw new Error(`KeyEncryption: the master key must be exactly ${masterKeyBytes} bytes (AES-256), got ${got}`);
    }
    // A KeyObject copies the bytes: later changes to the caller's array do not affect us.
    this.key = createSecretKey(masterKey);
  }

  /**
   * Encrypts UTF-8 `plaintext`. `associatedData` is authenticated but not encrypted: pass e.g. the
   * key id so a ciphertext cannot be moved to another row (RFC 5116 §2.1). Note that an empty
   * string and no associated data are equivalent in GCM.
   */
  encrypt(plaintext: string, associatedData?: string): string {
    if (typeof plaintext !== "string") throw new TypeError("KeyEncryption: plaintext must be a string");
    // NIST SP 800-38D §8.2.2: random 96-bit IVs, fresh per encryption (IV reuse breaks GCM);
    // keep well under 2^32 encryptions per master key.
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv(algorithm, this.key, iv, { authTagLength: tagBytes });
    if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [version, iv.toString("base64url"), ciphertext.toString("base64url"), tag.toString("base64url")].join(".");
  }

  /**
   * Decrypts an envelope from `encrypt`. Throws if the format is wrong, or if authentication fails
   * (tampered data, wrong master key, or different associated data).
   */
  decrypt(envelope: string, associatedData?: string): string {
    if (typeof envelope !== "string") throw new Error("KeyEncryption: malformed envelope (expected a string)");
    const parts = envelope.split(".");
    if (parts.length !== 4 || parts[0] !== version) {
      throw new Error(`KeyEncryption: malformed envelope (expected "${version}.<iv>.<ciphertext>.<tag>")`);
    }
    const iv = decodeBase64url(parts[1] ?? "");
    const ciphertext = decodeBase64url(parts[2] ?? "");
    const tag = decodeBase64url(parts[3] ?? "");
    if (!iv || iv.length !== ivBytes) throw new Error(`KeyEncryption: malformed envelope (IV must be ${ivBytes} bytes, base64url)`);
    if (!ciphertext) throw new Error("KeyEncryption: malformed envelope (ciphertext is not base64url)");
    // Fixing the tag length prevents truncated-tag forgeries (NIST SP 800-38D §5.2.1.2, Appendix C).
    if (!tag || tag.length !== tagBytes) throw new Error(`KeyEncryption: malformed envelope (tag must be ${tagBytes} bytes, base64url)`);

    const decipher = createDecipheriv(algorithm, this.key, iv, { authTagLength: tagBytes });
    decipher.setAuthTag(tag);
    if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, "utf8"));
    let plaintext: Buffer;
    try {
      // Release nothing before the tag has been checked by final().
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (cause) {
      throw new Error(
        "KeyEncryption: decryption failed: wrong master key, wrong associated data, or tampered ciphertext",
        { cause },
      );
    }
    return plaintext.toString("utf8");
  }
}

const masterKeyFormatHelp =
  `expected ${masterKeyBytes} bytes encoded as 64 hex characters or as base64/base64url ` +
  `(43 characters, or 44 with "=" padding); generate one with \`openssl rand -base64 32\``;

/**
 * Parses a master key from configuration: 64 hex chars, or base64 / base64url of exactly 32 bytes
 * (padding optional, surrounding whitespace ignored). Error messages never echo the input, which is a secret.
 */
export function parseMasterKey(text: string): Uint8Array {
  if (typeof text !== "string") throw new Error(`Invalid master key: ${masterKeyFormatHelp}`);
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new Error(`Invalid master key: it is empty; ${masterKeyFormatHelp}`);

  // Hex first: 64 hex characters are also valid base64 (of 48 bytes).
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return new Uint8Array(Buffer.from(trimmed, "hex"));

  // RFC 4648 §4 (base64) or §5 (base64url), not mixing the two alphabets.
  const base64 = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed);
  const base64url = /^[A-Za-z0-9_-]+={0,2}$/.test(trimmed);
  if (base64 || base64url) {
    const unpadded = trimmed.replace(/=+$/, "");
    const padded = unpadded.length === trimmed.length || trimmed.length % 4 === 0;
    const bytes = Buffer.from(unpadded, base64url ? "base64url" : "base64");
    // Canonical check: rejects truncated input and non-zero trailing bits.
    const canonical = bytes.toString("base64url") === unpadded.replace(/\+/g, "-").replace(/\//g, "_");
    if (padded && canonical && bytes.length === masterKeyBytes) return new Uint8Array(bytes);
    if (padded && canonical) {
      throw new Error(`Invalid master key: it decodes to ${bytes.length} bytes; ${masterKeyFormatHelp}`);
    }
  }
  throw new Error(`Invalid master key: not valid hex or base64 (${trimmed.length} characters); ${masterKeyFormatHelp}`);
}

/** A fresh random master key (32 CSPRNG bytes), base64url: suitable for `parseMasterKey`. */
export function generateMasterKey(): string {
  return randomBytes(masterKeyBytes).toString("base64url");
}
