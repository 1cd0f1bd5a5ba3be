/**
 * Password reset by email (OWASP Forgot Password Cheat Sheet).
 *
 *   requestReset(email)     always the same answer ("if an account exists, we sent a link"),
 *                           given after the rate limits and before anything that depends on the
 *                           account: the lookup, the token, the mail and the audit event run after
 *                           the answer (DeferredWork), so its timing is the same whether or not the
 *                           address has an account. The address gets one of three mails: the link
 *                           (30 minutes, single use), "no account with this address", or "this
 *                           account is disabled".
 *   resetPassword(token, password, confirmation)
 *                           new argon2id hash, the token used up, passwordChangedAt, every browser
 *                           session ended (with back-channel logout), audit user.password_reset.
 */
import { z } from "zod";
import type { AuditLog } from "../audit/audit-log";
import type { Cache } from "../cache/cache";
import type { PrismaClient, User } from "../generated/prisma/client";
import { mailLink, sendLogged, type Mailer, type MailMessage } from "../mail/mailer";
import { passwordResetMail, resetInactiveMail, resetNoAccountMail } from "../mail/templates";
import type { Logger } from "../observability/logger";
import type { LogoutService } from "../oidc/logout/service";
import type { IssuedTokenRevoker } from "../oauth/issued-tokens";
import type { Clock } from "../server/clock";
import type { DeferredWork } from "../server/deferred-work";
import type { PasswordHasher } from "./password-hasher";
import { auditMeta, checkNewPassword, MailFormLimits, mailLinkPaths, normalizeEmail, type NewPasswordError, type RequestMeta, type TenantSettingsReader } from "./registration";
import type { UserService } from "./user-service";
import type { UserTokenService } from "./email-link-tokens";

const text = z.string().catch("");
const requestSchema = z.object({ email: text }).catch({ email: "" });
const resetSchema = z.object({ token: text, password: text, confirmation: text }).catch({ token: "", password: "", confirmation: "" });

export type ResetRequestOutcome =
  | { status: "invalid"; errors: { email: "invalid" } }
  | { status: "rate_limited" }
  /**
   * The same answer whether or not the address has an account, given before the mail is sent: a
   * mail that fails is logged and audited (`mailSent: false`), not reported to the requester.
   */
  | { status: "sent"; email: string };

export type ResetOutcome =
  /** Unknown, expired or used link, or its account is no longer active. */
  | { status: "invalid_token" }
  | { status: "invalid"; errors: { password?: NewPasswordError; confirmation?: "mismatch" } }
  | { status: "done"; email: string; sessionsEnded: number };

export class PasswordResetService {
  private readonly limits: MailFormLimits;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      clock: Clock;
      tenantId: string;
      users: UserService;
      tokens: UserTokenService;
      passwordHasher: PasswordHasher;
      mailer: Mailer;
      settings: TenantSettingsReader;
      logout: Pick<LogoutService, "endAllSessions">;
      tokenRevoker: Pick<IssuedTokenRevoker, "revokeAllOfUser">;
      audit: AuditLog;
      cache: Cache;
      logger: Logger;
      issuer: string;
      /** Runs the account-dependent part of a reset request after the answer (requestReset). */
      deferred: Pick<DeferredWork, "run">;
    },
  ) {
    this.limits = new MailFormLimits(deps.cache, deps.logger, "reset");
  }

  async requestReset(input: unknown, meta: RequestMeta): Promise<ResetRequestOutcome> {
    // Before the answer: only what is the same for every address (OWASP Forgot Password Cheat
    // Sheet: uniform response time and message): the limits per client address and per email
    // address, decided here so they refuse at once.
    if (!(await this.limits.allowIp(meta.ipAddress))) return { status: "rate_limited" };
    const email = normalizeEmail(requestSchema.parse(input).email);
    if (!email) return { status: "invalid", errors: { email: "invalid" } };
    if (!(await this.limits.allowEmail(email))) return { status: "rate_limited" };
    // After the answer: everything that depends on whether the account exists.
    this.deps.deferred.run("password reset mail", () => this.mailReset(email, meta));
    return { status: "sent", email };
  }

  /** The account-dependent part of a reset request: the lookup, the link, the mail, the audit event. */
  private async mailReset(email: string, meta: RequestMeta): Promise<void> {
    const [settings, user] = await Promise.all([this.deps.settings.get(), this.deps.users.findByEmail(email)]);
    let sent = false;
    try {
      const context = { locale: meta.locale, productName: settings.productName, accentColor: settings.accentColor, to: email };
      let message: MailMessage;
      if (!user) {
        message = resetNoAccountMail(context, settings.registrationEnabled ? mailLink(this.deps.issuer, mailLinkPaths.register) : null);
      } else if (user.status !== "active") {
        message = resetInactiveMail(context);
      } else {
        const { token } = await this.deps.tokens.issue(user.id, "reset_password");
        message = passwordResetMail(context, mailLink(this.deps.issuer, mailLinkPaths.resetPassword, token));
      }
      sent = await sendLogged(this.deps.mailer, this.deps.logger, message);
    } finally {
      // Recorded whatever happened (a failed token write included): the trail of the request.
      if (user) {
        await this.deps.audit.record({
          type: "user.password_reset_requested",
          actorType: "user",
          outcome: sent && user.status === "active" ? "success" : "failure",
          targetType: "user",
          targetId: user.id,
          ...auditMeta(meta),
          details: { mailSent: sent, ...(user.status !== "active" && { status: user.status }) },
        });
      }
    }
  }

  /** The account a reset link is for, while the link works (the page shows the form only then). */
  async checkToken(token: unknown): Promise<{ email: string } | null> {
    const user = await this.userOfToken(token);
    return user ? { email: user.email } : null;
  }

  async resetPassword(input: unknown, meta: Omit<RequestMeta, "locale">): Promise<ResetOutcome> {
    const { token, password, confirmation } = resetSchema.parse(input);
    const user = await this.userOfToken(token);
    if (!user) return { status: "invalid_token" };
    const passwordError = checkNewPassword(password, user.email);
    if (passwordError) return { status: "invalid", errors: { password: passwordError } };
    if (password !== confirmation) return { status: "invalid", errors: { confirmation: "mismatch" } };

    // Hash before the transaction: argon2id takes tens of milliseconds.
    const passwordHash = await this.deps.passwordHasher.hash(password);
    const now = this.deps.clock.now();
    const changed = await this.deps.prisma.$transaction(async (tx) => {
      // Atomic use of the token: of two submissions at once, one wins.
      const used = await this.deps.tokens.consume(token, "reset_password", tx);
      if (!used || used.userId !== user.id) return false;
      await tx.user.update({
        where: { id: user.id },
        data: {
          passwordHash,
          passwordChangedAt: now,
          // The link reached this mailbox: the address is proven as by a verification link.
          emailVerified: true,
          // A person who proved control of the mailbox is not kept out by earlier failed sign-ins.
          failedLoginCount: 0,
          failedLoginSince: null,
          lockedUntil: null,
        },
      });
      return true;
    });
    if (!changed) return { status: "invalid_token" };

    // OWASP ASVS 3.3.3 / Forgot Password Cheat Sheet: a password change ends the other sessions
    // (an attacker's too), with front- and back-channel logout for the relying parties.
    const sessionsEnded = await this.deps.logout.endAllSessions(user.id, {
      reason: "password_reset",
      actor: { type: "user", id: user.id },
      ...auditMeta(meta),
    });
    // "My password may have been stolen": every token obtained before the reset stops working,
    // whatever its session or its client's logout setting (refresh token families, access tokens, codes).
    const revoked = await this.deps.tokenRevoker.revokeAllOfUser(user.id, "password_reset");
    await this.deps.audit.record({
      type: "user.password_reset",
      actorType: "user",
      actorId: user.id,
      targetType: "user",
      targetId: user.id,
      ...auditMeta(meta),
      details: { sessionsEnded, revokedFamilies: revoked.families, revokedAccess: revoked.accessTokens },
    });
    return { status: "done", email: user.email, sessionsEnded };
  }

  private async userOfToken(token: unknown): Promise<User | null> {
    const owner = await this.deps.tokens.peek(token, "reset_password");
    if (!owner) return null;
    const user = await this.deps.users.findById(owner.userId);
    return user && user.status === "active" ? user : null;
  }


}
