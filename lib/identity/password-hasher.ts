/**
 * Password hashing for local accounts.
 *
 * New hashes are always argon2id PHC strings. Verification also accepts argon2i/argon2d and legacy
 * bcrypt hashes (imported users) and reports `needsRehash` so the caller can upgrade the stored hash
 * right after a successful login, while the plaintext is still at hand.
 */
import { randomInt } from "node:crypto";
import { argon2id, hash as argon2Hash, needsRehash as argon2NeedsRehash, verify as argon2Verify } from "argon2";
import { compare as bcryptCompare } from "bcryptjs";

export interface PasswordHashingParams {
  /** Memory cost in KiB (argon2 `m`). */
  memoryKiB: number;
  /** Number of passes (argon2 `t`). */
  iterations: number;
  /** Degree of parallelism (argon2 `p`). */
  parallelism: number;
}

// OWASP Password Storage Cheat Sheet: argon2id m=19456 KiB (19 MiB), t=2, p=1
export const owaspArgon2idParams: PasswordHashingParams = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

export interface PasswordVerification {
  valid: boolean;
  /** True only when `valid` and the stored hash should be replaced by `hash(password)`. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  /** Returns an argon2id PHC string. Throws a RangeError for passwords longer than `maxPasswordLength`. */
  hash(password: string): Promise<string>;
  /** Never throws for bad input: unknown or malformed hashes are simply invalid. */
  verify(hash: string, password: string): Promise<PasswordVerification>;
}

/**
 * Upper bound on password length (UTF-16 code units), checked before any hashing work.
 * OWASP Password Storage Cheat Sheet / OWASP ASVS V2.1.2: allow long passwords but cap them to avoid
 * long-password denial of service; NIST SP 800-63B §5.1.1.2 asks for at least 64 characters.
 */
export const maxPasswordLength = 1024;

// PHC string format (github.com/P-H-C/phc-string-format): $argon2{id,i,d}$v=19$m=..,t=..,p=..$salt$hash
const argon2Pattern = /^\$argon2(id|i|d)\$/;
// Modular crypt format for bcrypt: $2a$/$2b$/$2y$, 2-digit cost, 22-char salt + 31-char hash = 60 chars.
const bcryptPattern = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
// RFC 9106 §3.1: version 0x13 (19) is the current Argon2 version.
const argon2Version = 0x13;

const invalid = (): PasswordVerification => ({ valid: false, needsRehash: false });

function assertParams(params: PasswordHashingParams): void {
  const { memoryKiB, iterations, parallelism } = params;
  const isPositiveInt = (n: number) => Number.isSafeInteger(n) && n >= 1;
  if (!isPositiveInt(memoryKiB) || !isPositiveInt(iterations) || !isPositiveInt(parallelism)) {
    throw new RangeError("Argon2 parameters must be positive integers (memoryKiB, iterations, parallelism)");
  }
  // RFC 9106 §3.1: parallelism p in 1..2^24-1, memory m >= 8*p KiB, passes t >= 1.
  if (parallelism > 2 ** 24 - 1) throw new RangeError("Argon2 parallelism must be at most 2^24-1");
  if (memoryKiB < 8 * parallelism) throw new RangeError("Argon2 memoryKiB must be at least 8 * parallelism");
  if (memoryKiB > 2 ** 32 - 1 || iterations > 2 ** 32 - 1) throw new RangeError("Argon2 parameters too large");
}

export class Argon2idPasswordHasher implements PasswordHasher {
  private readonly params: PasswordHashingParams;

  constructor(params: PasswordHashingParams = owaspArgon2idParams) {
    assertParams(params);
    this.params = { ...params };
  }

  async hash(password: string): Promise<string> {
    if (typeof password !== "string") throw new TypeError("Password must be a string");
    if (password.length > maxPasswordLength) {
      throw new RangeError(`Password must be at most ${maxPasswordLength} characters`);
    }
    return argon2Hash(password, {
      type: argon2id,
      memoryCost: this.params.memoryKiB,
      timeCost: this.params.iterations,
      parallelism: this.params.parallelism,
      version: argon2Version,
    });
  }

  async verify(hash: string, password: string): Promise<PasswordVerification> {
    if (typeof hash !== "string" || typeof password !== "string") return invalid();
    // DoS guard: refuse oversized input before doing any expensive work.
    if (password.length > maxPasswordLength) return invalid();

    const argon2Match = argon2Pattern.exec(hash);
    if (argon2Match) return this.verifyArgon2(hash, password, argon2Match[1] === "id");
    if (bcryptPattern.test(hash)) return this.verifyBcrypt(hash, password);
    return invalid();
  }

  private async verifyArgon2(hash: string, password: string, isArgon2id: boolean): Promise<PasswordVerification> {
    try {
      if (!(await argon2Verify(hash, password))) return invalid();
      // argon2's needsRehash compares m/t/p/version only, so the variant is checked here.
      const stale =
        !isArgon2id ||
        argon2NeedsRehash(hash, {
          memoryCost: this.params.memoryKiB,
          timeCost: this.params.iterations,
          parallelism: this.params.parallelism,
          version: argon2Version,
        });
      return { valid: true, needsRehash: stale };
    } catch {
      // Malformed PHC string (bad params, bad base64, ...): not a usable hash.
      return invalid();
    }
  }

  private async verifyBcrypt(hash: string, password: string): Promise<PasswordVerification> {
    try {
      // bcrypt only considers the first 72 bytes of the password (legacy behaviour, accepted for
      // migration only); the argon2id rehash that follows covers the full password.
      const ok = await bcryptCompare(password, hash);
      // OWASP Password Storage Cheat Sheet ("Upgrading Legacy Hashes"): rehash on next login.
      return ok ? { valid: true, needsRehash: true } : invalid();
    } catch {
      return invalid();
    }
  }
}

// No 0/O/o, 1/l/I/i, 5/S, 2/Z, 8/B: easy to read aloud and to retype.
const readableAlphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679";

/**
 * Minimum length for generated passwords: with the 49-symbol alphabet that is > 67 bits of entropy.
 * NIST SP 800-63B §5.1.1.2: randomly chosen secrets need at least 6 characters; we keep a wide margin.
 */
export const minGeneratedPasswordLength = 12;

/** A random password from a CSPRNG (e.g. for generated admin accounts); 20 chars ≈ 112 bits. */
export function generatePassword(length = 20): string {
  if (!Number.isSafeInteger(length) || length < minGeneratedPasswordLength || length > maxPasswordLength) {
    throw new RangeError(
      `Generated password length must be an integer between ${minGeneratedPasswordLength} and ${maxPasswordLength}`,
    );
  }
  let out = "";
  // crypto.randomInt draws uniformly (rejection sampling), so there is no modulo bias.
  for (let i = 0; i < length; i++) out += readableAlphabet.charAt(randomInt(readableAlphabet.length));
  return out;
}
