/**
 * The account page's password change: the current password checked (attempts limited per user),
 * the new one stored, every token obtained with the old one revoked, and on request the user's
 * other sessions ended.
 */
import { z } from "zod";
import type { AuditLog } from "../audit/audit-log";
import type { Cache } from "../cache/cache";
import type { PrismaClient } from "../generated/prisma/client";
import type { PasswordHasher } from "../identity/password-hasher";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../identity/user-service";
import type { IssuedTokenRevoker } from "../oauth/issued-tokens";
import type { RequestMeta } from "../oauth/interaction/flow";
import type { LogoutService } from "../oidc/logout/service";
import type { Clock } from "../server/clock";

/** Password changes: at most this many attempts per user and window (OWASP ASVS 2.2.1). */
export const PASSWORD_CHANGE_MAX_ATTEMPTS = 5;
export const PASSWORD_CHANGE_WINDOW_SECONDS = 15 * 60;

export type PasswordChangeErrors = Partial<{
  current_password: "required" | "wrong";
  new_password: "too_short" | "too_long" | "same_as_current";
  confirm_password: "mismatch";
}>;

export type PasswordChangeOutcome =
  | { status: "changed"; otherSessionsEnded: number }
  | { status: "invalid"; errors: PasswordChangeErrors }
  | { status: "throttled"; retryAfterSeconds: number };

/** The password form; the issue messages are the error codes shown next to each field. */
const passwordFormSchema = z
  .object({
    current_password: z.string({ error: "required" }).min(1, { error: "required" }).max(MAX_PASSWORD_LENGTH, { error: "wrong" }),
    // NIST SP 800-63B §5.1.1.2: at least 8 (we ask MIN_PASSWORD_LENGTH), at least 64 allowed, no composition rules.
    new_password: z.string({ error: "too_short" }).min(MIN_PASSWORD_LENGTH, { error: "too_short" }).max(MAX_PASSWORD_LENGTH, { error: "too_long" }),
    confirm_password: z.string({ error: "mismatch" }).max(MAX_PASSWORD_LENGTH, { error: "mismatch" }),
    // A checkbox: present (any value) when ticked.
    sign_out_others: z.string().max(16).optional(),
  })
  .refine((form) => form.new_password === form.confirm_password, { path: ["confirm_password"], error: "mismatch" });

function passwordErrorsOf(issues: readonly z.core.$ZodIssue[]): PasswordChangeErrors {
  const known: Record<string, readonly string[]> = {
    current_password: ["required", "wrong"],
    new_password: ["too_short", "too_long"],
    confirm_password: ["mismatch"],
  };
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const field = issue.path[0];
    if (typeof field !== "string" || !(field in known) || errors[field]) continue;
    errors[field] = known[field]!.includes(issue.message) ? issue.message : known[field]![0]!;
  }
  if (Object.keys(errors).length === 0) errors.current_password = "required";
  return errors as PasswordChangeErrors;
}

export class PasswordChangeService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      clock: Clock;
      tenantId: string;
      audit: AuditLog;
      cache: Cache;
      passwordHasher: PasswordHasher;
      logout: LogoutService;
      tokenRevoker: IssuedTokenRevoker;
    },
  ) {}

  /**
   * Changes the password after checking the current one. Attempts are limited per user
   * (PASSWORD_CHANGE_MAX_ATTEMPTS per window). With `sign_out_others`, every other session of the
   * user ends (its refresh tokens revoked where the client asked for it, back-channel logout sent);
   * the session that made the change stays.
   */
  async changePassword(current: { userId: string; sessionId: string }, form: Record<string, unknown>, meta: RequestMeta = {}): Promise<PasswordChangeOutcome> {
    const parsed = passwordFormSchema.safeParse(form);
    if (!parsed.success) return { status: "invalid", errors: passwordErrorsOf(parsed.error.issues) };
    const { current_password: currentPassword, new_password: newPassword, sign_out_others } = parsed.data;
    const { userId } = current;
    const audit = (outcome: "success" | "failure", details: Record<string, unknown>) =>
      this.deps.audit.record({ type: "user.password_changed", actorType: "user", actorId: userId, targetType: "user", targetId: userId, outcome, ...meta, details });

    // OWASP ASVS 2.2.1 / NIST SP 800-63B §5.2.2: limit guesses of the current password, per account
    // (a stolen session must not become an oracle for the password).
    const attempts = await this.deps.cache.increment(`account:password-change:${userId}`, { ttlMs: PASSWORD_CHANGE_WINDOW_SECONDS * 1000 });
    if (attempts.count > PASSWORD_CHANGE_MAX_ATTEMPTS) {
      await audit("failure", { reason: "throttled" });
      return { status: "throttled", retryAfterSeconds: Math.max(1, Math.ceil(attempts.resetInMs / 1000)) };
    }

    const user = await this.deps.prisma.user.findFirst({ where: { id: userId, tenantId: this.deps.tenantId } });
    const verified = user?.passwordHash ? await this.deps.passwordHasher.verify(user.passwordHash, currentPassword) : { valid: false };
    if (!user || !verified.valid) {
      await audit("failure", { reason: "wrong_current_password" });
      return { status: "invalid", errors: { current_password: "wrong" } };
    }
    if (newPassword === currentPassword) return { status: "invalid", errors: { new_password: "same_as_current" } };

    const now = this.deps.clock.now();
    const passwordHash = await this.deps.passwordHasher.hash(newPassword);
    // Conditional on the hash just verified, so two concurrent changes cannot both succeed. The
    // password is not a released claim: updated_at (OIDC Core §5.1) keeps its value.
    const written = await this.deps.prisma.user.updateMany({
      where: { id: user.id, tenantId: this.deps.tenantId, passwordHash: user.passwordHash },
      data: { passwordHash, passwordChangedAt: now, updatedAt: user.updatedAt },
    });
    if (written.count !== 1) return { status: "invalid", errors: { current_password: "wrong" } };

    let otherSessionsEnded = 0;
    if (sign_out_others !== undefined) {
      const others = await this.deps.prisma.session.findMany({
        where: { tenantId: this.deps.tenantId, userId, endedAt: null, expiresAt: { gt: now }, id: { not: current.sessionId } },
        select: { id: true },
      });
      for (const { id } of others) {
        const ended = await this.deps.logout.endSession(id, { reason: "password_changed", actor: { type: "user", id: userId }, ...meta });
        if (ended.ended) otherSessionsEnded += 1;
      }
    }
    // A changed password takes back every token obtained with the old one, whatever its session or
    // its client's logout setting: the user may be changing it because it was stolen.
    const revoked = await this.deps.tokenRevoker.revokeAllOfUser(userId, "password_changed");
    await audit("success", { otherSessionsEnded, revokedFamilies: revoked.families, revokedAccess: revoked.accessTokens });
    return { status: "changed", otherSessionsEnded };
  }
}
