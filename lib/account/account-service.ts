/**
 * The signed-in user's self-service (the /account pages): profile claims, password change, the
 * browser sessions and the applications holding consent. Every method acts for one user id that
 * the caller took from a valid browser session; nothing here trusts ids from a form without
 * checking that they belong to that user.
 *
 * What each action does to sessions and tokens is described in docs/account.md.
 */
import { z } from "zod";
import type { AuditLog } from "../audit/audit-log";
import type { Cache } from "../cache/cache";
import type { GrantService } from "../consent/grant-service";
import type { PrismaClient, User } from "../generated/prisma/client";
import type { PasswordHasher } from "../identity/password-hasher";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../identity/user-service";
import type { IssuedTokenRevoker } from "../oauth/issued-tokens";
import type { RequestMeta } from "../http/request-meta";
import type { LogoutService } from "../oidc/logout";
import type { Clock } from "../server/clock";
import { claimOfColumn, parseProfileForm, type ProfileErrors } from "./profile";
import { describeUserAgent, type DeviceDescription } from "./user-agent";

/** Password changes: at most this many attempts per user and window (OWASP ASVS 2.2.1). */
export const PASSWORD_CHANGE_MAX_ATTEMPTS = 5;
export const PASSWORD_CHANGE_WINDOW_SECONDS = 15 * 60;

export type ProfileUpdateOutcome =
  | { status: "saved"; user: User; changed: string[] }
  | { status: "unchanged" }
  | { status: "invalid"; errors: ProfileErrors }
  | { status: "not_found" };

export type PasswordChangeErrors = Partial<{
  current_password: "required" | "wrong";
  new_password: "too_short" | "too_long" | "same_as_current";
  confirm_password: "mismatch";
}>;

export type PasswordChangeOutcome =
  | { status: "changed"; otherSessionsEnded: number }
  | { status: "invalid"; errors: PasswordChangeErrors }
  | { status: "throttled"; retryAfterSeconds: number };

export interface ActiveSession {
  id: string;
  device: DeviceDescription;
  ipAddress: string | null;
  /** When the user last authenticated in this session. */
  signedInAt: Date;
  lastSeenAt: Date;
  /** The session of the browser asking. */
  current: boolean;
}

export interface ApplicationAccess {
  /** Client.id (what the revoke form posts). */
  clientRowId: string;
  /** The public client_id. */
  clientId: string;
  name: string;
  logoUri: string | null;
  clientUri: string | null;
  /** Granted scopes, with the stored description of custom ones. */
  scopes: { name: string; description: string | null }[];
  /** User claims granted one by one (OIDC Core §5.5). */
  claims: string[];
  grantedAt: Date;
}

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

export class AccountService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      clock: Clock;
      tenantId: string;
      audit: AuditLog;
      cache: Cache;
      passwordHasher: PasswordHasher;
      grants: GrantService;
      logout: LogoutService;
      tokenRevoker: IssuedTokenRevoker;
    },
  ) {}

  /** The user, if it exists in this tenant. */
  findUser(userId: string): Promise<User | null> {
    return this.deps.prisma.user.findFirst({ where: { id: userId, tenantId: this.deps.tenantId } });
  }

  // -------------------------------------------------------------------------------------------
  // Profile
  // -------------------------------------------------------------------------------------------

  /**
   * Saves the submitted profile claims (OIDC Core §5.1). Fields not submitted stay; empty ones are
   * cleared. A change bumps updated_at; a new phone number is no longer verified.
   */
  async updateProfile(userId: string, form: Record<string, unknown>, meta: RequestMeta = {}): Promise<ProfileUpdateOutcome> {
    const now = this.deps.clock.now();
    const parsed = parseProfileForm(form, now);
    if (!parsed.ok) return { status: "invalid", errors: parsed.errors };
    const user = await this.findUser(userId);
    if (!user) return { status: "not_found" };

    const changes = Object.fromEntries(Object.entries(parsed.changes).filter(([column, value]) => user[column as keyof User] !== value));
    const columns = Object.keys(changes) as (keyof typeof parsed.changes)[];
    if (columns.length === 0) return { status: "unchanged" };
    const changed = columns.map(claimOfColumn);

    const saved = await this.deps.prisma.$transaction(async (tx) => {
      const updated = await tx.user.update({
        where: { id: user.id },
        data: {
          ...changes,
          // OIDC Core §5.1 phone_number_verified: a new number has not been verified.
          ...("phoneNumber" in changes && { phoneNumberVerified: false }),
          // OIDC Core §5.1 updated_at, from the injected clock.
          updatedAt: now,
        },
      });
      await this.deps.audit.record(
        {
          type: "user.profile_updated",
          actorType: "user",
          actorId: user.id,
          targetType: "user",
          targetId: user.id,
          ...meta,
          // Which claims changed, never their values.
          details: { fields: changed },
        },
        tx,
      );
      return updated;
    });
    return { status: "saved", user: saved, changed };
  }

  // -------------------------------------------------------------------------------------------
  // Password
  // -------------------------------------------------------------------------------------------

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

    const user = await this.findUser(userId);
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

  // -------------------------------------------------------------------------------------------
  // Sessions
  // -------------------------------------------------------------------------------------------

  /**
   * The user's live sessions: not ended, within both the absolute and the idle lifetime; the
   * current one first, then the most recently used.
   */
  async activeSessions(userId: string, currentSessionId: string): Promise<ActiveSession[]> {
    const now = this.deps.clock.now();
    const rows = await this.deps.prisma.session.findMany({
      where: { tenantId: this.deps.tenantId, userId, endedAt: null, expiresAt: { gt: now }, idleExpiresAt: { gt: now } },
      orderBy: [{ lastSeenAt: "desc" }, { createdAt: "desc" }],
      take: 100,
    });
    return rows
      .map((row) => ({
        id: row.id,
        device: describeUserAgent(row.userAgent),
        ipAddress: row.ipAddress,
        signedInAt: row.authTime,
        lastSeenAt: row.lastSeenAt,
        current: row.id === currentSessionId,
      }))
      .sort((a, b) => Number(b.current) - Number(a.current));
  }

  /** How many live sessions the user has (the overview page). */
  countActiveSessions(userId: string): Promise<number> {
    const now = this.deps.clock.now();
    return this.deps.prisma.session.count({
      where: { tenantId: this.deps.tenantId, userId, endedAt: null, expiresAt: { gt: now }, idleExpiresAt: { gt: now } },
    });
  }

  /**
   * Ends one of the user's sessions ("Sign out" beside a device). Refused (false) when the id is
   * not a session of this user or it has ended already. The other browser is signed out at once:
   * every request checks its session row.
   */
  async endSession(userId: string, sessionId: string, meta: RequestMeta = {}): Promise<boolean> {
    const session = await this.deps.prisma.session.findFirst({ where: { id: sessionId, tenantId: this.deps.tenantId, userId, endedAt: null }, select: { id: true } });
    if (!session) return false;
    const ended = await this.deps.logout.endSession(session.id, { reason: "ended_by_user", actor: { type: "user", id: userId }, ...meta });
    return ended.ended;
  }

  /** "Sign out everywhere": ends every session of the user, this browser's included. */
  endAllSessions(userId: string, meta: RequestMeta = {}): Promise<number> {
    return this.deps.logout.endAllSessions(userId, { reason: "logout_everywhere", actor: { type: "user", id: userId }, ...meta });
  }

  /** "Sign out": ends this browser's session (the caller clears its cookies). */
  async signOut(sessionId: string, meta: RequestMeta = {}): Promise<void> {
    await this.deps.logout.endSession(sessionId, { reason: "user_logout", ...meta });
  }

  // -------------------------------------------------------------------------------------------
  // Applications
  // -------------------------------------------------------------------------------------------

  /** The applications the user has allowed (active grants), most recent first. */
  async applications(userId: string): Promise<ApplicationAccess[]> {
    const grants = await this.deps.prisma.grant.findMany({
      where: { tenantId: this.deps.tenantId, userId, revokedAt: null },
      include: { client: { select: { id: true, clientId: true, name: true, logoUri: true, clientUri: true } } },
      orderBy: { grantedAt: "desc" },
    });
    const names = [...new Set(grants.flatMap((g) => g.scopes))];
    const scopeRows = names.length
      ? await this.deps.prisma.scope.findMany({ where: { tenantId: this.deps.tenantId, name: { in: names } }, select: { name: true, description: true } })
      : [];
    const descriptions = new Map(scopeRows.map((s) => [s.name, s.description]));
    return grants.map((grant) => ({
      clientRowId: grant.client.id,
      clientId: grant.client.clientId,
      name: grant.client.name,
      logoUri: grant.client.logoUri,
      clientUri: grant.client.clientUri,
      scopes: grant.scopes.map((name) => ({ name, description: descriptions.get(name) ?? null })),
      claims: grant.claims,
      grantedAt: grant.grantedAt,
    }));
  }

  /** How many applications hold the user's consent (the overview page). */
  countApplications(userId: string): Promise<number> {
    return this.deps.prisma.grant.count({ where: { tenantId: this.deps.tenantId, userId, revokedAt: null } });
  }

  /**
   * "Revoke access": withdraws the consent (GrantService.withdraw: grant revoked, "withdrawn"
   * ConsentRecord) and takes back what the client holds for this user: every refresh token
   * family with its access tokens, access tokens issued without a refresh token, and codes not
   * yet redeemed. False when the user had no active grant for that client.
   */
  async withdrawConsent(userId: string, clientRowId: string, meta: RequestMeta = {}): Promise<boolean> {
    const { prisma, tenantId } = this.deps;
    const client = await prisma.client.findFirst({ where: { id: clientRowId, tenantId }, select: { id: true, clientId: true } });
    if (!client) return false;
    const grant = await this.deps.grants.withdraw(userId, client.id);
    if (!grant) return false;

    // RFC 7009 §2.1 spirit: a withdrawn consent leaves the client no usable token or code.
    const revoked = await this.deps.tokenRevoker.revokeAllOfClientForUser(userId, client.id, "consent_withdrawn");

    await this.deps.audit.record({
      type: "consent.withdrawn",
      actorType: "user",
      actorId: userId,
      targetType: "client",
      targetId: client.clientId,
      ...meta,
      details: { scopes: grant.scopes, ...(grant.claims.length > 0 && { claims: grant.claims }), revokedFamilies: revoked.families, revokedAccess: revoked.accessTokens },
    });
    return true;
  }
}
