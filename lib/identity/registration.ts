/**
 * Self-registration with email verification.
 *
 *   register(email, password, name?)   only when the tenant allows it (tenant settings, off by default)
 *     new address       -> user (emailVerified=false), verification mail (24 h link), audit user.registered
 *     known address     -> no account; the owner gets a "someone tried to register" mail instead
 *   both answer "check your mail": the form never tells whether an address has an account
 *   (OWASP ASVS 2.1 / Authentication Cheat Sheet, "account enumeration").
 *   verifyEmail(token)  -> emailVerified=true, audit user.email_verified (the link works once)
 *
 * Unverified users may sign in: the `email_verified` claim tells relying parties, and the verify
 * page offers a new link to a signed-in unverified user.
 */
import { z } from "zod";
import type { Locale } from "../../i18n/locales";
import type { AuditLog } from "../audit/audit-log";
import type { Cache } from "../cache/cache";
import type { RequestMeta } from "../http/request-meta";
import { RateLimiter } from "../cache/rate-limiter";
import type { PrismaClient, User } from "../generated/prisma/client";
import { mailLink, sendLogged, type Mailer } from "../mail/mailer";
import { registrationAttemptMail, verificationMail } from "../mail/templates";
import type { Logger } from "../observability/logger";
import { pagePaths } from "../protocol/paths";
import { hashSecret, isRandomToken } from "../security/secrets";
import { ConflictError } from "../server/errors";
import type { TenantSettings } from "../tenancy/tenant-settings";
import type { PasswordHasher } from "./password-hasher";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, type UserService } from "./user-service";
import type { UserTokenService } from "./email-link-tokens";

export const MAX_EMAIL_LENGTH = 320;
export const MAX_NAME_LENGTH = 200;

/** The page paths the mails link to (relative to the issuer). */
export const mailLinkPaths = {
  register: pagePaths.register,
  verifyEmail: pagePaths.verifyEmail,
  forgotPassword: pagePaths.forgotPassword,
  resetPassword: pagePaths.resetPassword,
} as const;

/** Who asked (audit, rate limits: lib/http/request-meta.ts), and the mail's language. */
export interface MailFormMeta extends RequestMeta {
  /** The page language of the request: the mail is written in it. */
  locale: Locale;
}

/** The tenant settings these flows read (lib/tenancy/tenant-settings.ts). */
export interface TenantSettingsReader {
  get(): Promise<Pick<TenantSettings, "productName" | "accentColor" | "registrationEnabled">>;
}

// ---------------------------------------------------------------------------------------------
// Rate limits of the mail-sending forms
// ---------------------------------------------------------------------------------------------

const FIFTEEN_MINUTES_MS = 15 * 60_000;
/** Per address: bounds the mails one address can be sent through a form (OWASP ASVS 2.2.1). */
export const MAILS_PER_EMAIL = 5;
/** Per client address: bounds addresses probed and mails sent from one place. */
export const REQUESTS_PER_IP = 20;
export const MAIL_FORM_WINDOW_MS = FIFTEEN_MINUTES_MS;

/**
 * Per-IP and per-email fixed windows for one form, counted in the shared cache (Redis when
 * configured). Email keys are hashed: the cache never holds the addresses. When the cache fails
 * the request is let through and the failure logged (as ProtocolRateLimits does).
 */
export class MailFormLimits {
  private readonly perIp: RateLimiter;
  private readonly perEmail: RateLimiter;

  constructor(
    cache: Cache,
    private readonly logger: Logger,
    form: string,
  ) {
    this.perIp = new RateLimiter(cache, { limit: REQUESTS_PER_IP, windowMs: MAIL_FORM_WINDOW_MS, name: `${form}-ip` });
    this.perEmail = new RateLimiter(cache, { limit: MAILS_PER_EMAIL, windowMs: MAIL_FORM_WINDOW_MS, name: `${form}-email` });
  }

  /** Counts one request from the address; false when it is over the limit. */
  allowIp(ipAddress: string | undefined): Promise<boolean> {
    return ipAddress ? this.allow(this.perIp, ipAddress) : Promise.resolve(true);
  }

  /** Counts one mail to the (normalized) email address; false when it is over the limit. */
  allowEmail(email: string): Promise<boolean> {
    return this.allow(this.perEmail, hashSecret(email));
  }

  private async allow(limiter: RateLimiter, key: string): Promise<boolean> {
    try {
      return (await limiter.consume(key)).allowed;
    } catch (error) {
      this.logger.warn("rate limiter unavailable; request allowed", { error });
      return true;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/** Any input: non-strings become "" and are then rejected as missing by the checks below. */
const text = z.string().catch("");
const registrationInputSchema = z.object({ email: text, password: text, name: text.optional() }).catch({ email: "", password: "" });

export type EmailError = "invalid";
export type NewPasswordError = "too_short" | "too_long" | "is_email";

/** A normalized email address, or null when it is not one. */
export function normalizeEmail(value: string): string | null {
  const email = value.trim().toLowerCase();
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) return null;
  return z.email().safeParse(email).success ? email : null;
}

/**
 * The rules for a password a person chooses. NIST SP 800-63B §5.1.1.2: at least 8 characters
 * (Authly asks 12), at least 64 allowed, every character allowed, no composition rules, and a
 * check against context-specific words such as the username (here: the email address).
 */
export function checkNewPassword(password: string, email: string): NewPasswordError | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return "too_short";
  if (password.length > MAX_PASSWORD_LENGTH) return "too_long";
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) return "is_email";
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

export type RegisterOutcome =
  /** Registration is switched off for the tenant. */
  | { status: "disabled" }
  | { status: "invalid"; errors: { email?: EmailError; password?: NewPasswordError; name?: "too_long" } }
  | { status: "rate_limited" }
  /** The mail could not be sent; nothing was created. */
  | { status: "mail_failed" }
  /** The same answer whether or not the address had an account. */
  | { status: "check_mail"; email: string };

export type VerifyOutcome = { status: "verified"; email: string } | { status: "invalid" };

export type ResendOutcome = { status: "sent"; email: string } | { status: "already_verified"; email: string } | { status: "unknown_user" } | { status: "rate_limited" } | { status: "mail_failed" };

export class RegistrationService {
  private readonly limits: MailFormLimits;
  private readonly resendLimits: MailFormLimits;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      tenantId: string;
      users: UserService;
      tokens: UserTokenService;
      passwordHasher: PasswordHasher;
      mailer: Mailer;
      settings: TenantSettingsReader;
      audit: AuditLog;
      cache: Cache;
      logger: Logger;
      issuer: string;
    },
  ) {
    this.limits = new MailFormLimits(deps.cache, deps.logger, "register");
    this.resendLimits = new MailFormLimits(deps.cache, deps.logger, "verify-resend");
  }

  /** Whether people may create their own account here. */
  async isEnabled(): Promise<boolean> {
    return (await this.deps.settings.get()).registrationEnabled;
  }

  async register(input: unknown, meta: MailFormMeta): Promise<RegisterOutcome> {
    const settings = await this.deps.settings.get();
    if (!settings.registrationEnabled) return { status: "disabled" };
    if (!(await this.limits.allowIp(meta.ipAddress))) return { status: "rate_limited" };

    const raw = registrationInputSchema.parse(input);
    const email = normalizeEmail(raw.email);
    // A display name keeps its printable text: control characters (a NUL cannot even be stored)
    // are dropped and a lone surrogate becomes U+FFFD (lib/http/input.ts has the rule).
    const name = raw.name?.toWellFormed().replace(/[\u0000-\u001F\u007F]/g, "").trim() || undefined;
    const errors: Extract<RegisterOutcome, { status: "invalid" }>["errors"] = {};
    if (!email) errors.email = "invalid";
    const passwordError = checkNewPassword(raw.password, email ?? raw.email);
    if (passwordError) errors.password = passwordError;
    if (name !== undefined && name.length > MAX_NAME_LENGTH) errors.name = "too_long";
    if (!email || Object.keys(errors).length > 0) return { status: "invalid", errors };

    if (!(await this.limits.allowEmail(email))) return { status: "rate_limited" };
    const context = { locale: meta.locale, productName: settings.productName, accentColor: settings.accentColor, to: email };

    const existing = await this.deps.users.findByEmail(email);
    let user: User | null = null;
    if (!existing) {
      try {
        user = await this.deps.users.create({ email, password: raw.password, name, emailVerified: false }, { type: "user" });
      } catch (error) {
        // Registered a moment ago by a parallel request: the same as a known address.
        if (!(error instanceof ConflictError)) throw error;
      }
    } else {
      // Spend the time creating an account would (the password hash), so timing does not tell
      // known addresses apart either.
      await this.deps.passwordHasher.hash(raw.password).catch(() => undefined);
    }

    if (!user) {
      const sent = await sendLogged(this.deps.mailer, this.deps.logger, registrationAttemptMail(context, mailLink(this.deps.issuer, mailLinkPaths.forgotPassword)));
      await this.deps.audit.record({
        type: "user.registration_existing_email",
        actorType: "user",
        outcome: "failure",
        targetType: "user",
        targetId: existing?.id,
        ...auditMeta(meta),
        details: { notified: sent },
      });
      return sent ? { status: "check_mail", email } : { status: "mail_failed" };
    }

    const { token } = await this.deps.tokens.issue(user.id, "verify_email");
    if (!(await sendLogged(this.deps.mailer, this.deps.logger, verificationMail(context, mailLink(this.deps.issuer, mailLinkPaths.verifyEmail, token))))) {
      // Undo, so that trying again later registers afresh instead of meeting "address taken".
      await this.deps.prisma.user.deleteMany({ where: { id: user.id, tenantId: this.deps.tenantId } });
      await this.deps.audit.record({ type: "user.registration_failed", actorType: "system", outcome: "failure", targetType: "user", targetId: user.id, ...auditMeta(meta), details: { reason: "mail_failed" } });
      return { status: "mail_failed" };
    }
    await this.deps.audit.record({ type: "user.registered", actorType: "user", actorId: user.id, targetType: "user", targetId: user.id, ...auditMeta(meta) });
    return { status: "check_mail", email };
  }

  /** Uses a verification link: the address is confirmed. */
  async verifyEmail(token: unknown, meta: RequestMeta): Promise<VerifyOutcome> {
    if (!isRandomToken(token)) return { status: "invalid" };
    const user = await this.deps.prisma.$transaction(async (tx) => {
      const used = await this.deps.tokens.consume(token, "verify_email", tx);
      if (!used) return null;
      const updated = await tx.user.update({ where: { id: used.userId }, data: { emailVerified: true } });
      await this.deps.audit.record({ type: "user.email_verified", actorType: "user", actorId: updated.id, targetType: "user", targetId: updated.id, ...auditMeta(meta) }, tx);
      return updated;
    });
    return user ? { status: "verified", email: user.email } : { status: "invalid" };
  }

  /** A new verification link for a signed-in user whose address is not confirmed yet. */
  async resendVerification(userId: string, meta: MailFormMeta): Promise<ResendOutcome> {
    const user = await this.deps.users.findById(userId);
    if (!user || user.status !== "active") return { status: "unknown_user" };
    if (user.emailVerified) return { status: "already_verified", email: user.email };
    if (!(await this.resendLimits.allowEmail(user.email))) return { status: "rate_limited" };
    const settings = await this.deps.settings.get();
    const { token } = await this.deps.tokens.issue(user.id, "verify_email");
    const sent = await sendLogged(this.deps.mailer, this.deps.logger, verificationMail({ locale: meta.locale, productName: settings.productName, accentColor: settings.accentColor, to: user.email }, mailLink(this.deps.issuer, mailLinkPaths.verifyEmail, token)));
    return sent ? { status: "sent", email: user.email } : { status: "mail_failed" };
  }


}

/** The request's part of an audit row (without the mail language). */
export function auditMeta(meta: RequestMeta): RequestMeta {
  return { ipAddress: meta.ipAddress, userAgent: meta.userAgent, requestId: meta.requestId };
}
