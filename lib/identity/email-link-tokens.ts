/**
 * Single-use tokens sent by email: address verification and password reset. The link in the mail
 * carries the token; the database holds only its SHA-256 (RFC 6819 §5.1.4.1.3), so a copy of the
 * database gives nobody a working link.
 */
import type { Prisma, PrismaClient } from "../generated/prisma/client";
import { hashSecret, randomToken } from "../security/secrets";
import type { Clock } from "../server/clock";

export type UserTokenPurpose = "verify_email" | "reset_password";

const MINUTE_MS = 60_000;

/**
 * How long a mailed link works. Reset links are short-lived (OWASP Forgot Password Cheat Sheet:
 * "expire after an appropriate period"); a verification link may wait a day for its reader.
 */
export const USER_TOKEN_LIFETIME_MS: Record<UserTokenPurpose, number> = {
  verify_email: 24 * 60 * MINUTE_MS,
  reset_password: 30 * MINUTE_MS,
};

/** randomToken(32) is 43 base64url characters; anything else is not one of ours (and costs no query). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function isTokenShaped(token: unknown): token is string {
  return typeof token === "string" && TOKEN_SHAPE.test(token);
}

export interface IssuedUserToken {
  /** The token for the link; never stored. */
  token: string;
  expiresAt: Date;
}

export class UserTokenService {
  constructor(private readonly deps: { prisma: PrismaClient; clock: Clock; tenantId: string }) {}

  /**
   * A new token for the user. The user's older unused tokens of the same purpose stop working:
   * only the newest link mailed is valid (OWASP Forgot Password Cheat Sheet).
   */
  async issue(userId: string, purpose: UserTokenPurpose): Promise<IssuedUserToken> {
    const { prisma, clock, tenantId } = this.deps;
    // RFC 6749 §10.10 sizing: 256 bits from the CSPRNG.
    const token = randomToken(32);
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + USER_TOKEN_LIFETIME_MS[purpose]);
    await prisma.$transaction([
      prisma.userToken.deleteMany({ where: { tenantId, userId, purpose, usedAt: null } }),
      prisma.userToken.create({ data: { tenantId, userId, purpose, tokenHash: hashSecret(token), createdAt: now, expiresAt } }),
    ]);
    return { token, expiresAt };
  }

  /** The user a valid (unused, unexpired) token belongs to, without using it up; null otherwise. */
  async peek(token: unknown, purpose: UserTokenPurpose): Promise<{ userId: string } | null> {
    if (!isTokenShaped(token)) return null;
    const row = await this.deps.prisma.userToken.findUnique({ where: { tokenHash: hashSecret(token) } });
    if (!row || row.tenantId !== this.deps.tenantId || row.purpose !== purpose || row.usedAt !== null) return null;
    if (row.expiresAt.getTime() <= this.deps.clock.nowMs()) return null;
    return { userId: row.userId };
  }

  /**
   * Uses the token up: exactly one caller succeeds, however many present it at once (the
   * conditional update is atomic in the database). Null for an unknown, expired or used token.
   * Pass a transaction client to use it up together with what it authorises.
   */
  async consume(token: unknown, purpose: UserTokenPurpose, tx?: Prisma.TransactionClient): Promise<{ userId: string } | null> {
    if (!isTokenShaped(token)) return null;
    const db = tx ?? this.deps.prisma;
    const now = this.deps.clock.now();
    const row = await db.userToken.findUnique({ where: { tokenHash: hashSecret(token) }, select: { id: true, userId: true, tenantId: true, purpose: true } });
    if (!row || row.tenantId !== this.deps.tenantId || row.purpose !== purpose) return null;
    const { count } = await db.userToken.updateMany({ where: { id: row.id, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    return count === 1 ? { userId: row.userId } : null;
  }
}
