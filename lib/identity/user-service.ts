import { z } from "zod";
import type { PrismaClient, User } from "../generated/prisma/client";
import { isUniqueViolation } from "../db/unique-violation";
import { isAcceptableText } from "../http/input";
import type { AuditLog } from "../audit/audit-log";
import type { Clock } from "../server/clock";
import { ConflictError, fromZodIssues } from "../server/errors";
import type { PasswordHasher } from "./password-hasher";

export const MAX_PASSWORD_LENGTH = 1024;
export const MIN_PASSWORD_LENGTH = 12;

export const newUserSchema = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ error: "must be a valid email address" })),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, { error: `must be at least ${MIN_PASSWORD_LENGTH} characters` })
    .max(MAX_PASSWORD_LENGTH, { error: `must be at most ${MAX_PASSWORD_LENGTH} characters` })
    .optional(),
  name: z.string().trim().min(1).max(200).optional(),
  emailVerified: z.boolean().default(false),
  roles: z.array(z.enum(["admin"])).default([]),
});
export type NewUser = z.input<typeof newUserSchema>;

export interface PasswordCheck {
  user: User | null;
  /** True when a legacy or outdated hash was replaced with a fresh argon2id hash. */
  rehashed: boolean;
}

export class UserService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      passwordHasher: PasswordHasher;
      clock: Clock;
      audit: AuditLog;
      tenantId: string;
    },
  ) {}

  async create(input: NewUser, actor: { type: "admin" | "cli" | "system" | "user"; id?: string } = { type: "system" }): Promise<User> {
    const parsed = newUserSchema.safeParse(input);
    if (!parsed.success) throw fromZodIssues(parsed.error.issues);
    const data = parsed.data;
    const passwordHash = data.password ? await this.deps.passwordHasher.hash(data.password) : undefined;
    const now = this.deps.clock.now();
    try {
      return await this.deps.prisma.$transaction(async (tx) => {
        const user = await tx.user.create({
          data: {
            tenantId: this.deps.tenantId,
            email: data.email,
            emailVerified: data.emailVerified,
            name: data.name,
            roles: data.roles,
            passwordHash,
            passwordChangedAt: passwordHash ? now : undefined,
            createdAt: now,
          },
        });
        await this.deps.audit.record(
          { type: "user.created", actorType: actor.type, actorId: actor.id, targetType: "user", targetId: user.id, details: { roles: data.roles } },
          tx,
        );
        return user;
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`a user with the email ${data.email} exists already`);
      }
      throw error;
    }
  }

  findByEmail(email: string): Promise<User | null> {
    // No account has an address with a control character or malformed text, and PostgreSQL could
    // not even compare one (a NUL is SQLSTATE 22021): such an address finds nothing.
    if (!isAcceptableText(email)) return Promise.resolve(null);
    return this.deps.prisma.user.findUnique({
      where: { tenantId_email: { tenantId: this.deps.tenantId, email: email.trim().toLowerCase() } },
    });
  }

  findById(id: string): Promise<User | null> {
    return this.deps.prisma.user.findFirst({ where: { id, tenantId: this.deps.tenantId } });
  }

  list(options: { take?: number; skip?: number } = {}): Promise<User[]> {
    return this.deps.prisma.user.findMany({
      where: { tenantId: this.deps.tenantId },
      orderBy: { createdAt: "asc" },
      take: Math.min(options.take ?? 100, 1000),
      skip: options.skip ?? 0,
    });
  }

  /**
   * Records a sign-in lockout (lib/identity/login-throttle.ts) on the user row, where admins see it.
   * The throttle's counters in the cache decide; these columns show it and let an admin clear it.
   */
  async recordLockout(userId: string, lockedUntil: Date, failedLoginCount: number): Promise<void> {
    await this.deps.prisma.user.updateMany({ where: { id: userId, tenantId: this.deps.tenantId }, data: { lockedUntil, failedLoginCount } });
  }

  /** Clears a recorded lockout and failure count; null when there is no such user. */
  async clearLockout(userId: string): Promise<User | null> {
    const cleared = await this.deps.prisma.user.updateMany({ where: { id: userId, tenantId: this.deps.tenantId }, data: { lockedUntil: null, failedLoginCount: 0, failedLoginSince: null } });
    return cleared.count === 1 ? this.findById(userId) : null;
  }

  /** A completed sign-in: lastLoginAt, and any recorded lockout is over. */
  async recordLogin(userId: string): Promise<void> {
    await this.deps.prisma.user.updateMany({
      where: { id: userId, tenantId: this.deps.tenantId },
      data: { lastLoginAt: this.deps.clock.now(), lockedUntil: null, failedLoginCount: 0, failedLoginSince: null },
    });
  }

  /**
   * Counts a password attempt on the account before its password is checked, in one statement
   * that reads the row: the authoritative count behind the lockout (NIST SP 800-63B §5.2.2), so a
   * flushed or restarted cache never resets it, and concurrent attempts each get their own number.
   * Attempts are counted over a period that starts with the first one (`periodMs`); while the
   * account is locked nothing is counted. Null when no account has this email. A successful sign-in
   * clears the count (`recordLogin`).
   */
  async beginPasswordAttempt(email: string, periodMs: number): Promise<{ user: User; attempt: number } | null> {
    if (!isAcceptableText(email)) return null; // see findByEmail
    const now = this.deps.clock.now();
    const periodStart = new Date(now.getTime() - periodMs);
    const rows = await this.deps.prisma.$queryRawUnsafe<User[]>(
      `UPDATE "User" SET
         "failedLoginCount" = CASE WHEN "lockedUntil" > $3 THEN "failedLoginCount"
                                   WHEN "lockedUntil" IS NOT NULL OR "failedLoginSince" IS NULL OR "failedLoginSince" <= $4 THEN 1
                                   ELSE "failedLoginCount" + 1 END,
         "failedLoginSince" = CASE WHEN "lockedUntil" > $3 THEN "failedLoginSince"
                                   WHEN "lockedUntil" IS NOT NULL OR "failedLoginSince" IS NULL OR "failedLoginSince" <= $4 THEN $3
                                   ELSE "failedLoginSince" END,
         -- An expired lockout is over: a fresh count starts.
         "lockedUntil" = CASE WHEN "lockedUntil" > $3 THEN "lockedUntil" ELSE NULL END
       WHERE "tenantId" = $1 AND "email" = $2
       RETURNING *`,
      this.deps.tenantId,
      email.trim().toLowerCase(),
      now,
      periodStart,
    );
    const row = rows[0];
    if (!row) return null;
    const user = normalizeUserRow(row);
    return { user, attempt: user.failedLoginCount };
  }

  countAdmins(): Promise<number> {
    return this.deps.prisma.user.count({ where: { tenantId: this.deps.tenantId, roles: { has: "admin" } } });
  }

  /**
   * Checks a password. On success with a legacy (bcrypt) or outdated argon2 hash, the hash is
   * replaced by a fresh argon2id one with the configured parameters.
   */
  async verifyPassword(email: string, password: string): Promise<PasswordCheck> {
    return this.verifyUserPassword(await this.findByEmail(email), password);
  }

  /** The same for a user row already read (or null for an unknown email). */
  async verifyUserPassword(user: User | null, password: string): Promise<PasswordCheck> {
    if (!user || !user.passwordHash || user.status !== "active") {
      // Spend comparable time on unknown users so timing does not reveal which emails exist.
      await this.deps.passwordHasher.hash(password.slice(0, MAX_PASSWORD_LENGTH)).catch(() => undefined);
      return { user: null, rehashed: false };
    }
    const result = await this.deps.passwordHasher.verify(user.passwordHash, password);
    if (!result.valid) return { user: null, rehashed: false };
    if (!result.needsRehash) return { user, rehashed: false };
    const passwordHash = await this.deps.passwordHasher.hash(password);
    const updated = await this.deps.prisma.user.update({ where: { id: user.id }, data: { passwordHash } });
    return { user: updated, rehashed: true };
  }
}

/** A User row read with raw SQL: timestamps as Dates whichever driver read them. */
function normalizeUserRow(row: User): User {
  const out = { ...row } as Record<string, unknown>;
  for (const key of ["emailVerified", "phoneNumberVerified"]) if (typeof out[key] !== "boolean") out[key] = out[key] === true || out[key] === "t";
  for (const key of ["passwordChangedAt", "failedLoginSince", "lockedUntil", "lastLoginAt", "createdAt", "updatedAt"]) {
    const value = out[key];
    if (value !== null && value !== undefined && !(value instanceof Date)) out[key] = new Date(String(value));
  }
  out.failedLoginCount = Number(out.failedLoginCount);
  return out as unknown as User;
}
