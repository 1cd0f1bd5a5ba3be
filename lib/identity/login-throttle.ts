/**
 * Brute-force protection of password sign-in: counters per account and per client address.
 *
 *   per account  (a keyed hash of the normalized email: unknown emails are counted exactly like
 *                 known ones, and the cache never holds an email address)
 *     failures 1 .. delayAfter-1     no delay
 *     failure  k >= delayAfter       the next attempt waits min(2^(k - delayAfter), 60) seconds
 *     failure  lockoutAfter          the account is locked for lockoutSeconds
 *     success                        everything is forgotten
 *   per address  ipLockoutAfter failures within lockoutSeconds lock the address for lockoutSeconds
 *
 * A refused attempt never reaches the password check (OWASP ASVS 2.2.1, NIST SP 800-63B §5.2.2).
 *
 * The counters live in the shared cache (Redis when configured), so every instance sees the same
 * counters. For an existing account the record is the user row: every attempt is also counted there
 * (UserService.beginPasswordAttempt) and a lockout is written there first, so a flushed or restarted
 * cache loses delays, never a lockout or the count that leads to one (PasswordLoginService). The times in the stored values come from the injected clock; cache TTLs only bound how
 * long an entry is kept. Each attempt is counted atomically before its password is checked, so
 * concurrent guesses cannot exceed `lockoutAfter` password checks per account and period.
 *
 * When the cache fails (Redis unreachable) the check lets the attempt through and logs an error:
 * sign-in keeps working, unprotected, rather than locking everyone out (as the protocol rate limits).
 */
import { createHmac } from "node:crypto";
import type { Cache } from "../cache/cache";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { addressBlock } from "../security/address-block";

export { addressBlock };

export interface LoginThrottleSettings {
  /** From this many consecutive failures on one account, each further attempt waits (config AUTHLY_LOGIN_DELAY_AFTER). */
  delayAfter: number;
  /** This many failures lock the account (AUTHLY_LOGIN_LOCKOUT_AFTER). */
  lockoutAfter: number;
  /** How long a lockout lasts, and the period over which failures are counted (AUTHLY_LOGIN_LOCKOUT_MINUTES). */
  lockoutSeconds: number;
  /** This many failures from one address within the period lock the address (AUTHLY_LOGIN_IP_LOCKOUT_AFTER). */
  ipLockoutAfter: number;
}

/** The longest progressive delay between two attempts on one account. */
export const MAX_DELAY_SECONDS = 60;

/** What is throttled: the account (the email entered) or the client address. */
export type ThrottleScope = "account" | "address";

/** An attempt that may check its password; pass it back to `recordFailure`. */
export interface LoginAttempt {
  readonly allowed: true;
  /** This attempt's number among the account's failed-or-pending attempts of the period (1 = first). */
  readonly number: number;
}

export interface ThrottledAttempt {
  readonly allowed: false;
  readonly scope: ThrottleScope;
  /** A lockout (lockoutAfter or ipLockoutAfter reached), as opposed to a progressive delay. */
  readonly locked: boolean;
  /** Whole seconds until the next attempt is accepted (>= 1). */
  readonly retryAfterSeconds: number;
  /** Whether a stored lockout of the account caused the refusal (see `PasswordLoginService`). */
  readonly storedAccountLock: boolean;
}

export type ThrottleCheck = LoginAttempt | ThrottledAttempt;

/** What a failed attempt changes; `accountLockedUntil` is set when this failure locked the account. */
export interface FailureAssessment {
  /** Failures on the account in this period, this one included. */
  readonly failures: number;
  readonly accountLockedUntil: Date | null;
  /** When the next attempt on the account is accepted (a delay or the lockout), or null. */
  readonly nextAttemptAt: Date | null;
}

export interface RecordedFailure extends FailureAssessment {
  /** Set when this failure locked the client address. */
  readonly addressLockedUntil: Date | null;
}

/** The account's throttle state, for admins. */
export interface AccountThrottleStatus {
  failures: number;
  /** The pending delay or lockout, when one is in force. */
  blockedUntil: Date | null;
  locked: boolean;
}

/**
 * What is stored, under `login-throttle:account:<mac>` and `login-throttle:address:<mac>`: the
 * `:attempts` (account) and `:failures` (address) counters, and `:delay` / `:lock` holding the epoch
 * ms (throttle clock) until which attempts are refused. A delay and a lockout are separate keys, so
 * a concurrent attempt writing a delay can never overwrite a lockout.
 */
type Barrier = "delay" | "lock";

const NAMESPACE = "login-throttle:";

export class LoginThrottle {
  private readonly settings: LoginThrottleSettings;

  constructor(
    private readonly deps: {
      cache: Cache;
      clock: Clock;
      logger: Logger;
      settings: LoginThrottleSettings;
      /**
       * Key of the HMAC that names the counters (>= 32 bytes; the same on every instance): the
       * cache holds neither email addresses nor client addresses, nor hashes one could test guesses against.
       */
      keySecret: Uint8Array;
    },
  ) {
    const { delayAfter, lockoutAfter, lockoutSeconds, ipLockoutAfter } = deps.settings;
    for (const [name, value] of Object.entries({ delayAfter, lockoutAfter, lockoutSeconds, ipLockoutAfter })) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`loginThrottle.${name} must be a positive integer, got ${String(value)}`);
    }
    if (deps.keySecret.length < 32) throw new RangeError("loginThrottle keySecret must be at least 32 bytes");
    this.settings = deps.settings;
  }

  /**
   * Called before the password is checked. Refuses while the address or the account is locked or
   * waiting out a delay; otherwise counts the attempt (as a failure until `recordSuccess` says otherwise).
   */
  async begin(email: string, ipAddress: string | undefined): Promise<ThrottleCheck> {
    const account = this.accountKey(email);
    const address = ipAddress ? this.addressKey(ipAddress) : null;
    try {
      const now = this.deps.clock.nowMs();
      if (address) {
        const until = await this.readUntil(address, "lock");
        if (until > now) return this.refusal("address", true, until, now);
      }
      const lockedUntil = await this.readUntil(account, "lock");
      if (lockedUntil > now) return this.refusal("account", true, lockedUntil, now);
      const delayedUntil = await this.readUntil(account, "delay");
      if (delayedUntil > now) return this.refusal("account", false, delayedUntil, now);
      // Counted before the password check: concurrent attempts each get their own number, so no more
      // than lockoutAfter passwords are ever checked per account and period (NIST SP 800-63B §5.2.2).
      const { count } = await this.deps.cache.increment(`${account}:attempts`, { ttlMs: this.lockoutMs });
      if (count > this.settings.lockoutAfter) {
        // Only when attempts raced past the gate: the attempt that reached lockoutAfter is locking the account.
        const until = await this.readUntil(account, "lock");
        const retryAfterSeconds = until > now ? secondsUntil(until, now) : this.settings.lockoutSeconds;
        return { allowed: false, scope: "account", locked: true, retryAfterSeconds, storedAccountLock: false };
      }
      return { allowed: true, number: count };
    } catch (error) {
      this.deps.logger.error("login throttle unavailable; the attempt is not limited", { err: error });
      return { allowed: true, number: 0 };
    }
  }

  /**
   * What a failure of `attempt` means for the account, without storing anything: lets the caller
   * record a lockout in the database before the cache shows it.
   */
  assessFailure(attempt: LoginAttempt): FailureAssessment {
    const { delayAfter, lockoutAfter } = this.settings;
    const now = this.deps.clock.nowMs();
    const failures = attempt.number;
    if (failures <= 0) return { failures, accountLockedUntil: null, nextAttemptAt: null };
    if (failures >= lockoutAfter) {
      const until = new Date(now + this.lockoutMs);
      return { failures, accountLockedUntil: until, nextAttemptAt: until };
    }
    if (failures >= delayAfter) {
      // OWASP ASVS 2.2.1: progressive delays, doubling from 1 s, capped.
      const seconds = Math.min(2 ** (failures - delayAfter), MAX_DELAY_SECONDS);
      return { failures, accountLockedUntil: null, nextAttemptAt: new Date(now + seconds * 1000) };
    }
    return { failures, accountLockedUntil: null, nextAttemptAt: null };
  }

  /** Stores a failed attempt: the account's delay or lockout, and the address's failure count. */
  async recordFailure(email: string, ipAddress: string | undefined, assessment: FailureAssessment): Promise<RecordedFailure> {
    const account = this.accountKey(email);
    let addressLockedUntil: Date | null = null;
    try {
      if (assessment.accountLockedUntil) {
        await this.writeUntil(account, "lock", assessment.accountLockedUntil.getTime());
        // A fresh count once the lockout ends.
        await this.deps.cache.delete(`${account}:attempts`);
      } else if (assessment.nextAttemptAt) {
        // Never shorten a delay written by a concurrent attempt.
        if ((await this.readUntil(account, "delay")) < assessment.nextAttemptAt.getTime()) {
          await this.writeUntil(account, "delay", assessment.nextAttemptAt.getTime());
        }
      }
      if (ipAddress) {
        const address = this.addressKey(ipAddress);
        const { count } = await this.deps.cache.increment(`${address}:failures`, { ttlMs: this.lockoutMs });
        if (count >= this.settings.ipLockoutAfter) {
          addressLockedUntil = new Date(this.deps.clock.nowMs() + this.lockoutMs);
          await this.writeUntil(address, "lock", addressLockedUntil.getTime());
          await this.deps.cache.delete(`${address}:failures`);
        }
      }
    } catch (error) {
      this.deps.logger.error("login throttle unavailable; a failed sign-in was not counted", { err: error });
    }
    return { ...assessment, addressLockedUntil };
  }

  /**
   * Puts a lockout recorded on the user row (the record) back into the cache, after the cache lost
   * it (flushed, restarted, evicted), so the next attempts are refused before reaching the database.
   */
  async restoreLock(email: string, until: Date): Promise<void> {
    await this.writeUntil(this.accountKey(email), "lock", until.getTime()).catch((error: unknown) =>
      this.deps.logger.error("login throttle unavailable; lockout not cached", { err: error }),
    );
  }

  /** A successful sign-in: the account's failures, delay and lockout are forgotten (not the address's). */
  async recordSuccess(email: string): Promise<void> {
    await this.reset(email).catch((error: unknown) => this.deps.logger.error("login throttle unavailable; counters not cleared", { err: error }));
  }

  /** Clears the account's counters, delay and lockout (admin unlock). Rejects when the cache fails. */
  async reset(email: string): Promise<void> {
    const account = this.accountKey(email);
    await Promise.all([this.deps.cache.delete(`${account}:attempts`), this.deps.cache.delete(`${account}:delay`), this.deps.cache.delete(`${account}:lock`)]);
  }

  /** The account's current state (for admins: is it locked, and until when). */
  async accountStatus(email: string): Promise<AccountThrottleStatus> {
    const account = this.accountKey(email);
    const [lock, delay, attempts] = await Promise.all([this.readUntil(account, "lock"), this.readUntil(account, "delay"), this.deps.cache.get(`${account}:attempts`)]);
    const now = this.deps.clock.nowMs();
    const locked = lock > now;
    const blockedUntil = locked ? lock : delay > now ? delay : null;
    return { failures: Number(attempts ?? 0) || 0, blockedUntil: blockedUntil === null ? null : new Date(blockedUntil), locked };
  }

  private get lockoutMs(): number {
    return this.settings.lockoutSeconds * 1000;
  }

  /** The period over which failures are counted (and a lockout's length), in ms. */
  get periodMs(): number {
    return this.lockoutMs;
  }

  /** Failures that lock an account. */
  get lockoutAfter(): number {
    return this.settings.lockoutAfter;
  }

  private refusal(scope: ThrottleScope, locked: boolean, until: number, now: number): ThrottledAttempt {
    return { allowed: false, scope, locked, retryAfterSeconds: secondsUntil(until, now), storedAccountLock: scope === "account" && locked };
  }

  /** Until when the barrier holds (epoch ms), 0 when there is none. */
  private async readUntil(key: string, barrier: Barrier): Promise<number> {
    const raw = await this.deps.cache.get(`${key}:${barrier}`);
    const until = raw === null ? 0 : Number(raw);
    return Number.isFinite(until) ? until : 0;
  }

  private async writeUntil(key: string, barrier: Barrier, until: number): Promise<void> {
    // The TTL only bounds storage (the stored time decides), so it is never shorter than a period.
    const ttlMs = Math.max(until - this.deps.clock.nowMs(), this.lockoutMs);
    await this.deps.cache.set(`${key}:${barrier}`, String(until), { ttlMs });
  }

  /** The account's cache key: an HMAC of the email as UserService.findByEmail normalizes it. */
  private accountKey(email: string): string {
    return `${NAMESPACE}account:${this.mac(`account\0${email.trim().toLowerCase()}`)}`;
  }

  private addressKey(ipAddress: string): string {
    return `${NAMESPACE}address:${this.mac(`address\0${addressBlock(ipAddress)}`)}`;
  }

  private mac(value: string): string {
    return createHmac("sha256", this.deps.keySecret).update(value, "utf8").digest("base64url");
  }
}

function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}
