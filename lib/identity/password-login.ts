/**
 * Password sign-in, the one way every form checks a password: the brute-force throttle first
 * (lib/identity/login-throttle.ts), then the password, then the counters and the audit trail.
 * Used by the sign-in page of an authorization request (InteractionService.submitLogin) and by the
 * plain sign-in page (/login without a request).
 *
 * An answer never says whether the account exists: a wrong password and an unknown email give the
 * same `invalid_credentials`, and are throttled alike. When the account exists, a lockout is also
 * written to the user row (lockedUntil, failedLoginCount) so admins see it, and `unlock` clears
 * both the row and the counters.
 */
import type { AuditEventInput, AuditLog } from "../audit/audit-log";
import type { Session, User } from "../generated/prisma/client";
import type { RequestMeta } from "../http/request-meta";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { PASSWORD_AMR, type BrowserSessionService, type IssuedSession } from "../sessions/browser-session";
import type { LoginThrottle } from "./login-throttle";
import { MAX_PASSWORD_LENGTH, type UserService } from "./user-service";

/** The longest email address accepted (RFC 5321 §4.5.3.1: 64 + 1 + 255). */
export const MAX_EMAIL_LENGTH = 320;

export type PasswordAuthentication =
  | { status: "ok"; user: User }
  | { status: "invalid_credentials" }
  /** Refused before the password was checked, or this failure locked the account or address. */
  | { status: "throttled"; retryAfterSeconds: number; locked: boolean };

export interface SessionEstablishment {
  /** The browser's current session, if any: the same user keeps it (new auth_time), another user's is ended. */
  current: Session | null;
  /** The acr of this authentication (OIDC Core §2), when the request asked for one. */
  acr?: string | null;
  meta?: RequestMeta;
}

export type LoginActor = { type: AuditEventInput["actorType"]; id?: string };

export class PasswordLoginService {
  constructor(
    private readonly deps: {
      users: Pick<UserService, "findByEmail" | "findById" | "beginPasswordAttempt" | "verifyUserPassword" | "recordLockout" | "clearLockout" | "recordLogin">;
      throttle: LoginThrottle;
      sessions: Pick<BrowserSessionService, "start" | "reauthenticate">;
      audit: Pick<AuditLog, "record">;
      clock: Clock;
      logger: Logger;
      /** Ends a browser session replaced by another user's sign-in (logout fan-out included). */
      endReplacedSession: (sessionId: string) => Promise<unknown>;
    },
  ) {}

  /**
   * Checks an email and password. Throttled attempts are refused without looking at the password
   * (OWASP ASVS 2.2.1, NIST SP 800-63B §5.2.2) and say how long to wait.
   */
  async authenticate(email: string, password: string, meta: RequestMeta = {}): Promise<PasswordAuthentication> {
    if (typeof email !== "string" || typeof password !== "string" || !email.trim() || !password || email.length > MAX_EMAIL_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      return { status: "invalid_credentials" };
    }
    return this.attempt(email, password, meta, true);
  }

  private async attempt(email: string, password: string, meta: RequestMeta, mayLiftStaleLock: boolean): Promise<PasswordAuthentication> {
    const check = await this.deps.throttle.begin(email, meta.ipAddress);
    if (!check.allowed) {
      const account = await this.deps.users.findByEmail(email);
      if (mayLiftStaleLock && check.storedAccountLock && account && account.lockedUntil === null) {
        // An admin cleared the lockout (`unlock`), possibly from a process whose cache is not this
        // one's (the CLI next to a server without Redis): the user row is the record of it. A
        // lockout of an existing account is always written to its row before the cache.
        await this.deps.throttle.reset(email);
        return this.attempt(email, password, meta, false);
      }
      await this.audit("user.login", meta, {
        outcome: "failure",
        ...(account && { targetType: "user", targetId: account.id }),
        details: { reason: check.locked ? "locked" : "throttled", scope: check.scope, retryAfterSeconds: check.retryAfterSeconds },
      });
      return { status: "throttled", retryAfterSeconds: check.retryAfterSeconds, locked: check.locked };
    }

    // The account's own count, in the same statement that reads it: the record behind a lockout.
    const counted = await this.deps.users.beginPasswordAttempt(email, this.deps.throttle.periodMs);
    const nowMs = this.deps.clock.nowMs();
    if (counted && counted.user.lockedUntil && counted.user.lockedUntil.getTime() > nowMs) {
      // Locked on the row while the cache forgot it (flushed, restarted, evicted): refused all the same.
      await this.deps.throttle.restoreLock(email, counted.user.lockedUntil);
      const retryAfterSeconds = Math.max(1, Math.ceil((counted.user.lockedUntil.getTime() - nowMs) / 1000));
      await this.audit("user.login", meta, { outcome: "failure", targetType: "user", targetId: counted.user.id, details: { reason: "locked", scope: "account", retryAfterSeconds } });
      return { status: "throttled", retryAfterSeconds, locked: true };
    }
    const number = Math.max(check.number, counted?.attempt ?? 0);
    if (number > this.deps.throttle.lockoutAfter) {
      // Attempts raced past the gate while another one is locking the account: no password check.
      await this.audit("user.login", meta, { outcome: "failure", ...(counted && { targetType: "user", targetId: counted.user.id }), details: { reason: "locked", scope: "account" } });
      return { status: "throttled", retryAfterSeconds: this.deps.throttle.periodMs / 1000, locked: true };
    }

    const { user } = await this.deps.users.verifyUserPassword(counted?.user ?? null, password);
    if (user) {
      await this.deps.throttle.recordSuccess(email);
      // The row's count (and any lockout) is cleared: this attempt was counted before the check.
      await this.deps.users.recordLogin(user.id);
      return { status: "ok", user };
    }

    const assessment = this.deps.throttle.assessFailure({ allowed: true, number });
    const account = counted?.user ?? null;
    // The user row first, then the cache: a refused attempt that finds the cache locked always finds the row locked too.
    if (account && assessment.accountLockedUntil) await this.deps.users.recordLockout(account.id, assessment.accountLockedUntil, assessment.failures);
    const failure = await this.deps.throttle.recordFailure(email, meta.ipAddress, assessment);
    await this.audit("user.login", meta, { outcome: "failure", details: { reason: "invalid_credentials" } });
    if (account && failure.accountLockedUntil) {
      await this.audit("user.locked", meta, {
        actorType: "system",
        targetType: "user",
        targetId: account.id,
        details: { failedAttempts: failure.failures, lockedUntil: failure.accountLockedUntil.toISOString() },
      });
    }
    if (failure.addressLockedUntil) {
      await this.audit("login.address_locked", meta, { actorType: "system", details: { lockedUntil: failure.addressLockedUntil.toISOString() } });
    }
    const lockedUntil = failure.accountLockedUntil ?? failure.addressLockedUntil;
    if (lockedUntil) {
      // Say so at once rather than on the next attempt.
      return { status: "throttled", locked: true, retryAfterSeconds: Math.max(1, Math.ceil((lockedUntil.getTime() - this.deps.clock.nowMs()) / 1000)) };
    }
    return { status: "invalid_credentials" };
  }

  /**
   * The browser session for a user who just authenticated with a password. The same user signing
   * in again re-authenticates within the current session (new auth_time, same sid, so relying
   * parties that hold the sid still reach it at logout); another user replaces it, and the previous
   * user is signed out of this browser with the logout notifications that go with it. Either way
   * the session comes with a new cookie handle, which the caller writes into the cookie: the
   * browser's previous cookie stops working (OWASP Session Management Cheat Sheet: renew the
   * session ID after any privilege level change; session fixation).
   */
  async startSession(user: User, options: SessionEstablishment): Promise<IssuedSession> {
    const meta = options.meta ?? {};
    const authentication = { amr: PASSWORD_AMR, acr: options.acr ?? null, ipAddress: meta.ipAddress, userAgent: meta.userAgent };
    const current = options.current;
    const reauthenticated = current?.userId === user.id ? await this.deps.sessions.reauthenticate(current.id, authentication) : null;
    const session = reauthenticated ?? (await this.deps.sessions.start({ userId: user.id, ...authentication }));
    if (current && current.userId !== user.id) await this.deps.endReplacedSession(current.id);
    await this.deps.users.recordLogin(user.id);
    await this.audit("user.login", meta, { actorId: user.id, targetType: "session", targetId: session.id, details: { amr: session.amr } });
    return session;
  }

  /**
   * Lifts a lockout: clears the user row's lockedUntil and failedLoginCount and the account's
   * counters, delay and lockout in the cache. Null when there is no such user.
   */
  async unlock(userId: string, actor: LoginActor = { type: "system" }): Promise<{ user: User; wasLocked: boolean } | null> {
    const before = await this.deps.users.findById(userId);
    if (!before) return null;
    const status = await this.deps.throttle.accountStatus(before.email);
    const wasLocked = (before.lockedUntil !== null && before.lockedUntil.getTime() > this.deps.clock.nowMs()) || status.locked;
    const user = await this.deps.users.clearLockout(userId);
    if (!user) return null;
    await this.deps.throttle.reset(user.email);
    await this.deps.audit.record({ type: "user.unlocked", actorType: actor.type, actorId: actor.id, targetType: "user", targetId: user.id, details: { wasLocked } });
    return { user, wasLocked };
  }

  private audit(type: string, meta: RequestMeta, event: Partial<AuditEventInput>): Promise<void> {
    return this.deps.audit.record({
      type,
      actorType: "user",
      ipAddress: meta.ipAddress,
      userAgent: meta.userAgent,
      requestId: meta.requestId,
      ...event,
    });
  }
}

/** Whether a recorded lockout is in force (for listings). */
export function isLockedOut(user: Pick<User, "lockedUntil">, nowMs: number): boolean {
  return user.lockedUntil !== null && user.lockedUntil.getTime() > nowMs;
}
