/**
 * Self-registration with email verification, password reset by email, and outgoing mail. Mail
 * goes over real SMTP to a listener on 127.0.0.1 (tests/support/smtp.ts); links are followed
 * from the received mails. Time moves only with the ManualClock (token lifetimes, rate limits).
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { MAILS_PER_EMAIL, MAIL_FORM_WINDOW_MS, REQUESTS_PER_IP, type RequestMeta } from "../lib/identity/registration";
import { USER_TOKEN_LIFETIME_MS } from "../lib/identity/email-link-tokens";
import { outboxDir } from "../lib/mail/outbox-mailer";
import { createLogger } from "../lib/observability/logger";
import { hashSecret } from "../lib/security/secrets";
import type { Container } from "../lib/server/container";
import { linkIn, startSmtpListener, type SmtpListener } from "./support/smtp";
import { createTestContainer, type TestContext } from "./support/test-env";

const ISSUER = "http://localhost:3000";
const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a new and much better passphrase";

let smtp: SmtpListener;
let ctx: TestContext;
let container: Container;
let counter = 0;

/** A fresh address per test, so rate limits and mails of one test never meet another's. */
function freshEmail(label: string): string {
  counter += 1;
  return `${label}-${counter}@example.com`;
}

/** A fresh client address per test (rate limits count per address). */
function meta(overrides: Partial<RequestMeta> = {}): RequestMeta {
  return { locale: "en", ipAddress: `198.51.100.${counter % 250}`, userAgent: "vitest", requestId: "req-1", ...overrides };
}

async function auditTypes(targetId: string): Promise<string[]> {
  const events = await container.prisma.auditEvent.findMany({ where: { targetId }, orderBy: { occurredAt: "asc" } });
  return events.map((e) => e.type);
}

beforeAll(async () => {
  smtp = await startSmtpListener();
  ctx = await createTestContainer({ env: { AUTHLY_ISSUER: ISSUER, SMTP_URL: smtp.url, AUTHLY_MAIL_FROM: "Authly Test <no-reply@example.test>" } });
  container = ctx.container;
});

afterAll(async () => {
  await ctx?.cleanup();
  await smtp?.close();
});

describe("the container's mailer", () => {
  it("is SMTP when SMTP_URL is set", () => {
    expect(container.mailer.kind).toBe("smtp");
  });

  it("delivers with the configured sender and an auto-generated header", async () => {
    const to = freshEmail("plain");
    await container.mailer.send({ to, subject: "Hello", text: "Just text" });
    const mail = await smtp.waitForMail(to);
    expect(mail.fromHeader).toBe('"Authly Test" <no-reply@example.test>');
    expect(mail.from).toBe("no-reply@example.test");
    expect(mail.subject).toBe("Hello");
    expect(mail.text.trim()).toBe("Just text");
    expect(mail.raw).toMatch(/^Auto-Submitted: auto-generated/m);
  });

  it("authenticates with the credentials in SMTP_URL", async () => {
    const secured = await startSmtpListener({ auth: { user: "mailer@example.test", pass: "p@ss w:rd/1" } });
    const other = await createTestContainer({ env: { AUTHLY_ISSUER: ISSUER, SMTP_URL: secured.url } });
    try {
      await other.container.mailer.send({ to: "someone@example.com", subject: "Hi", text: "x" });
      expect((await secured.waitForMail("someone@example.com")).authUser).toBe("mailer@example.test");
    } finally {
      await other.cleanup();
      await secured.close();
    }
  });
});

describe("registration", () => {
  beforeEach(async () => {
    await container.tenantSettings.update({ registrationEnabled: true, productName: null });
  });

  it("is refused while the tenant has not switched it on (the default), and sends nothing", async () => {
    await container.tenantSettings.update({ registrationEnabled: false });
    expect(await container.registration.isEnabled()).toBe(false);
    const email = freshEmail("off");
    expect(await container.registration.register({ email, password: PASSWORD }, meta())).toEqual({ status: "disabled" });
    expect(await container.users.findByEmail(email)).toBeNull();
    expect(smtp.mailsTo(email)).toEqual([]);
  });

  it("is off in a new installation", async () => {
    const fresh = await createTestContainer({ env: { AUTHLY_ISSUER: ISSUER, SMTP_URL: smtp.url } });
    try {
      expect(await fresh.container.registration.isEnabled()).toBe(false);
    } finally {
      await fresh.cleanup();
    }
  });

  it("creates an unverified user, mails a link, and the link from the mail verifies the address once", async () => {
    const email = freshEmail("ada");
    const outcome = await container.registration.register({ email: `  ${email.toUpperCase()} `, password: PASSWORD, name: " Ada Lovelace " }, meta());
    expect(outcome).toEqual({ status: "check_mail", email });

    const user = await container.users.findByEmail(email);
    expect(user).toMatchObject({ email, name: "Ada Lovelace", emailVerified: false, status: "active" });
    expect((await container.users.verifyPassword(email, PASSWORD)).user?.id).toBe(user!.id);
    expect(await auditTypes(user!.id)).toEqual(expect.arrayContaining(["user.created", "user.registered"]));

    const mail = await smtp.waitForMail(email);
    expect(mail.subject).toBe("Confirm your email address for Authly");
    expect(mail.text).toContain("valid for 24 hours");
    expect(mail.text).toContain("If you did not create an account, ignore this mail");
    const link = linkIn(mail, "/verify-email");
    expect(link.origin).toBe(ISSUER);
    // The HTML part carries the same link (escaped) and the same words.
    expect(mail.html).toContain(link.href.replaceAll("&", "&amp;"));
    expect(mail.html).toContain("Confirm email address");

    const token = link.searchParams.get("token");
    expect(await container.registration.verifyEmail(token, meta())).toEqual({ status: "verified", email });
    expect((await container.users.findById(user!.id))?.emailVerified).toBe(true);
    expect(await auditTypes(user!.id)).toContain("user.email_verified");
    // Single use.
    expect(await container.registration.verifyEmail(token, meta())).toEqual({ status: "invalid" });
  });

  it("writes the mail in the page's language and names the tenant's product", async () => {
    await container.tenantSettings.update({ productName: "Acme <ID>" });
    const email = freshEmail("de");
    await container.registration.register({ email, password: PASSWORD }, meta({ locale: "de" }));
    const mail = await smtp.waitForMail(email);
    expect(mail.subject).toBe("Bestätigen Sie Ihre E-Mail-Adresse für Acme <ID>");
    expect(mail.text).toContain("24 Stunden gültig");
    // Escaped in the HTML part.
    expect(mail.html).toContain("Acme &lt;ID&gt;");
    expect(mail.html).not.toContain("Acme <ID>");
    expect(mail.html).toMatch(/<html lang="de">/);

    const fr = freshEmail("fr");
    await container.registration.register({ email: fr, password: PASSWORD }, meta({ locale: "fr" }));
    expect((await smtp.waitForMail(fr)).subject).toBe("Confirmez votre adresse e-mail pour Acme <ID>");
  });

  it("answers a known address exactly like a new one and mails its owner instead of creating anything", async () => {
    const email = freshEmail("known");
    const owner = await container.users.create({ email, password: PASSWORD, emailVerified: true });
    const before = await container.prisma.userToken.count();

    const outcome = await container.registration.register({ email, password: "another password 123", name: "Mallory" }, meta());
    expect(outcome).toEqual({ status: "check_mail", email });

    const mail = await smtp.waitForMail(email);
    expect(mail.subject).toBe("Someone tried to create an account at Authly with your email address");
    expect(mail.text).toContain("You already have an account with this address, so no new account was created.");
    expect(linkIn(mail, "/forgot-password").href).toBe(`${ISSUER}/forgot-password`);
    expect(mail.text).not.toContain("/verify-email");
    expect(mail.text).toContain("If this was not you, ignore this mail");

    // Nothing changed: the same user, the same password, no link issued.
    expect(await container.prisma.user.count({ where: { email } })).toBe(1);
    expect((await container.users.verifyPassword(email, PASSWORD)).user?.id).toBe(owner.id);
    expect((await container.users.findById(owner.id))?.name).toBeNull();
    expect(await container.prisma.userToken.count()).toBe(before);
    expect(await auditTypes(owner.id)).toContain("user.registration_existing_email");
  });

  it("mails an unverified known address the same notice, never a verification link for someone else's account", async () => {
    const email = freshEmail("squatted");
    // An account someone else registered with this address and never verified.
    await container.registration.register({ email, password: "attacker password 1" }, meta());
    await smtp.waitForMail(email);
    expect(await container.registration.register({ email, password: PASSWORD }, meta())).toEqual({ status: "check_mail", email });
    const mail = await smtp.waitForMail(email);
    expect(mail.text).not.toContain("/verify-email");
    expect(linkIn(mail, "/forgot-password")).toBeTruthy();
  });

  it("rejects bad input with field errors, never throwing and never mailing", async () => {
    const email = freshEmail("bad");
    const cases: [unknown, Record<string, string>][] = [
      [{ email: "not-an-email", password: PASSWORD }, { email: "invalid" }],
      [{ email, password: "short" }, { password: "too_short" }],
      [{ email, password: "x".repeat(1025) }, { password: "too_long" }],
      [{ email, password: email.toUpperCase() }, { password: "is_email" }],
      [{ email, password: PASSWORD, name: "n".repeat(201) }, { name: "too_long" }],
      [{ email: `${"a".repeat(320)}@example.com`, password: PASSWORD }, { email: "invalid" }],
      [{}, { email: "invalid", password: "too_short" }],
      [{ email: 42, password: ["array"], name: { object: true } }, { email: "invalid", password: "too_short" }],
      [null, { email: "invalid", password: "too_short" }],
      [undefined, { email: "invalid", password: "too_short" }],
      ["a string", { email: "invalid", password: "too_short" }],
      [{ email: "x".repeat(100_000), password: "y".repeat(100_000) }, { email: "invalid", password: "too_long" }],
    ];
    for (const [input, errors] of cases) {
      expect(await container.registration.register(input, meta()), JSON.stringify(input)?.slice(0, 80)).toEqual({ status: "invalid", errors });
    }
    expect(await container.users.findByEmail(email)).toBeNull();
    expect(smtp.mailsTo(email)).toEqual([]);
  });

  it("treats malformed verification tokens as invalid without throwing", async () => {
    for (const token of [undefined, null, 42, "", "short", "x".repeat(10_000), ["a"], { token: "a" }, "A".repeat(43)]) {
      expect(await container.registration.verifyEmail(token, meta())).toEqual({ status: "invalid" });
    }
  });

  it("expires verification links after 24 hours", async () => {
    const email = freshEmail("late");
    await container.registration.register({ email, password: PASSWORD }, meta());
    const token = linkIn(await smtp.waitForMail(email), "/verify-email").searchParams.get("token");
    ctx.clock.advance(USER_TOKEN_LIFETIME_MS.verify_email);
    expect(await container.registration.verifyEmail(token, meta())).toEqual({ status: "invalid" });
    expect((await container.users.findByEmail(email))?.emailVerified).toBe(false);
  });

  it("sends a signed-in unverified user a new link; only the newest link works", async () => {
    const email = freshEmail("resend");
    await container.registration.register({ email, password: PASSWORD }, meta());
    const first = linkIn(await smtp.waitForMail(email), "/verify-email").searchParams.get("token");
    const user = await container.users.findByEmail(email);

    expect(await container.registration.resendVerification(user!.id, meta({ locale: "fr" }))).toEqual({ status: "sent", email });
    const mail = await smtp.waitForMail(email);
    expect(mail.subject).toBe("Confirmez votre adresse e-mail pour Authly");
    const second = linkIn(mail, "/verify-email").searchParams.get("token");

    expect(await container.registration.verifyEmail(first, meta())).toEqual({ status: "invalid" });
    expect(await container.registration.verifyEmail(second, meta())).toEqual({ status: "verified", email });
    expect(await container.registration.resendVerification(user!.id, meta())).toEqual({ status: "already_verified", email });
    expect(await container.registration.resendVerification("no-such-user", meta())).toEqual({ status: "unknown_user" });
  });

  it("limits registrations per address and per client address, with a window that ends", async () => {
    const email = freshEmail("limited");
    const ip = { ipAddress: "203.0.113.7" };
    for (let i = 0; i < MAILS_PER_EMAIL; i += 1) {
      expect((await container.registration.register({ email, password: PASSWORD }, meta(ip))).status).toBe("check_mail");
    }
    expect(await container.registration.register({ email, password: PASSWORD }, meta(ip))).toEqual({ status: "rate_limited" });
    expect(smtp.mailsTo(email)).toHaveLength(MAILS_PER_EMAIL);

    // Per client address: other addresses from the same place.
    for (let i = MAILS_PER_EMAIL + 1; i < REQUESTS_PER_IP; i += 1) await container.registration.register({ email: freshEmail("many"), password: PASSWORD }, meta(ip));
    expect(await container.registration.register({ email: freshEmail("many"), password: PASSWORD }, meta(ip))).toEqual({ status: "rate_limited" });

    ctx.clock.advance(MAIL_FORM_WINDOW_MS);
    expect((await container.registration.register({ email: freshEmail("later"), password: PASSWORD }, meta(ip))).status).toBe("check_mail");
  });

  it("keeps the printable text of a name with control characters or a lone surrogate (never a database error)", async () => {
    const email = freshEmail("named");
    expect(await container.registration.register({ email, password: PASSWORD, name: " Ann\u0000e\u001f \ud800" }, meta())).toEqual({ status: "check_mail", email });
    expect((await container.users.findByEmail(email))?.name).toBe("Anne \ufffd");
  });

  it("reports a mail that could not be sent, and creates nothing, so that trying again later works", async () => {
    const email = freshEmail("down");
    smtp.failDelivery(true);
    try {
      expect(await container.registration.register({ email, password: PASSWORD }, meta())).toEqual({ status: "mail_failed" });
    } finally {
      smtp.failDelivery(false);
    }
    expect(await container.users.findByEmail(email)).toBeNull();
    expect(await container.registration.register({ email, password: PASSWORD }, meta())).toEqual({ status: "check_mail", email });
    expect(linkIn(await smtp.waitForMail(email), "/verify-email")).toBeTruthy();
  });
});

describe("password reset", () => {
  async function activeUser(label: string) {
    const email = freshEmail(label);
    const user = await container.users.create({ email, password: PASSWORD });
    return { email, user };
  }

  async function requestLink(email: string, locale: RequestMeta["locale"] = "en"): Promise<string> {
    expect(await container.passwordReset.requestReset({ email }, meta({ locale }))).toEqual({ status: "sent", email });
    return linkIn(await smtp.waitForMail(email), "/reset-password").searchParams.get("token")!;
  }

  it("mails a 30-minute link that sets a new password once, ends every session and verifies the address", async () => {
    const { email, user } = await activeUser("reset");
    const sessions = [await container.sessions.start({ userId: user.id }), await container.sessions.start({ userId: user.id })];

    expect(await container.passwordReset.requestReset({ email: ` ${email.toUpperCase()}` }, meta())).toEqual({ status: "sent", email });
    const mail = await smtp.waitForMail(email);
    expect(mail.subject).toBe("Reset your Authly password");
    expect(mail.text).toContain("valid for 30 minutes");
    expect(mail.text).toContain("If this was not you, ignore this mail");
    const link = linkIn(mail, "/reset-password");
    expect(`${link.origin}${link.pathname}`).toBe(`${ISSUER}/reset-password`);
    const token = link.searchParams.get("token")!;

    expect(await container.passwordReset.checkToken(token)).toEqual({ email });
    expect(await container.passwordReset.resetPassword({ token, password: NEW_PASSWORD, confirmation: "something else entirely" }, meta())).toEqual({
      status: "invalid",
      errors: { confirmation: "mismatch" },
    });
    expect(await container.passwordReset.resetPassword({ token, password: "short", confirmation: "short" }, meta())).toEqual({ status: "invalid", errors: { password: "too_short" } });
    expect(await container.passwordReset.resetPassword({ token, password: email, confirmation: email }, meta())).toEqual({ status: "invalid", errors: { password: "is_email" } });

    const changedAt = ctx.clock.now();
    expect(await container.passwordReset.resetPassword({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, meta())).toEqual({ status: "done", email, sessionsEnded: 2 });

    const updated = await container.users.findById(user.id);
    expect(updated?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(updated?.passwordChangedAt?.getTime()).toBe(changedAt.getTime());
    expect(updated?.emailVerified).toBe(true);
    expect((await container.users.verifyPassword(email, NEW_PASSWORD)).user?.id).toBe(user.id);
    expect((await container.users.verifyPassword(email, PASSWORD)).user).toBeNull();

    for (const session of sessions) {
      expect(await container.sessions.findValid(session.id)).toBeNull();
      expect(await container.prisma.session.findUnique({ where: { id: session.id } })).toMatchObject({ endReason: "password_reset" });
    }
    expect(await auditTypes(user.id)).toEqual(expect.arrayContaining(["user.password_reset_requested", "user.password_reset"]));

    // The link works once.
    expect(await container.passwordReset.checkToken(token)).toBeNull();
    expect(await container.passwordReset.resetPassword({ token, password: "yet another passphrase", confirmation: "yet another passphrase" }, meta())).toEqual({ status: "invalid_token" });
    expect((await container.users.verifyPassword(email, NEW_PASSWORD)).user?.id).toBe(user.id);
  });

  it("lets exactly one of two simultaneous submissions of a link win", async () => {
    const { email } = await activeUser("race");
    const token = await requestLink(email);
    const outcomes = await Promise.all(
      ["first passphrase wins?", "second passphrase wins?"].map((password) => container.passwordReset.resetPassword({ token, password, confirmation: password }, meta())),
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual(["done", "invalid_token"]);
  });

  it("expires the link after 30 minutes", async () => {
    const { email } = await activeUser("expiry");
    const token = await requestLink(email);
    ctx.clock.advance(USER_TOKEN_LIFETIME_MS.reset_password - 1_000);
    expect(await container.passwordReset.checkToken(token)).toEqual({ email });
    ctx.clock.advance(1_000);
    expect(await container.passwordReset.checkToken(token)).toBeNull();
    expect(await container.passwordReset.resetPassword({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, meta())).toEqual({ status: "invalid_token" });
    expect((await container.users.verifyPassword(email, PASSWORD)).user).not.toBeNull();
  });

  it("invalidates an older link when a new one is sent", async () => {
    const { email } = await activeUser("newer");
    const older = await requestLink(email);
    const newer = await requestLink(email);
    expect(await container.passwordReset.checkToken(older)).toBeNull();
    expect(await container.passwordReset.resetPassword({ token: older, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, meta())).toEqual({ status: "invalid_token" });
    expect((await container.passwordReset.resetPassword({ token: newer, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, meta())).status).toBe("done");
  });

  it("stores only a hash of the link's token, nowhere the token itself", async () => {
    const { email, user } = await activeUser("hashed");
    const token = await requestLink(email);
    const rows = await container.prisma.userToken.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ purpose: "reset_password", tokenHash: hashSecret(token), usedAt: null });
    expect(rows[0]!.expiresAt.getTime() - ctx.clock.nowMs()).toBe(30 * 60_000);
    // Not in any column of the token table, nor in the audit trail.
    const tokenTable = await container.db.sql.query<Record<string, unknown>>(`SELECT * FROM "UserToken"`);
    expect(JSON.stringify(tokenTable)).not.toContain(token);
    const audit = await container.prisma.auditEvent.findMany({});
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it("answers an unknown address exactly like a known one, and tells that address there is no account", async () => {
    const email = freshEmail("nobody");
    await container.tenantSettings.update({ registrationEnabled: false });
    expect(await container.passwordReset.requestReset({ email }, meta())).toEqual({ status: "sent", email });
    const mail = await smtp.waitForMail(email);
    expect(mail.subject).toBe("Password reset request at Authly");
    expect(mail.text).toContain("there is no account with this address");
    expect(mail.text).not.toContain("/reset-password");
    expect(mail.text).not.toContain("/register");
    expect(await container.users.findByEmail(email)).toBeNull();

    // With registration open, the mail offers it.
    await container.tenantSettings.update({ registrationEnabled: true });
    const other = freshEmail("nobody");
    await container.passwordReset.requestReset({ email: other }, meta({ locale: "de" }));
    const german = await smtp.waitForMail(other);
    expect(german.subject).toBe("Anfrage zum Zurücksetzen des Passworts bei Authly");
    expect(linkIn(german, "/register").href).toBe(`${ISSUER}/register`);
    await container.tenantSettings.update({ registrationEnabled: false });
  });

  it("issues no link for a disabled account", async () => {
    const { email, user } = await activeUser("disabled");
    await container.prisma.user.update({ where: { id: user.id }, data: { status: "disabled" } });
    expect(await container.passwordReset.requestReset({ email }, meta())).toEqual({ status: "sent", email });
    const mail = await smtp.waitForMail(email);
    expect(mail.text).toContain("This account is disabled");
    expect(mail.text).not.toContain("/reset-password");
    expect(await container.prisma.userToken.count({ where: { userId: user.id } })).toBe(0);
  });

  it("refuses a link whose account was disabled after it was sent", async () => {
    const { email, user } = await activeUser("disabled-later");
    const token = await requestLink(email);
    await container.prisma.user.update({ where: { id: user.id }, data: { status: "disabled" } });
    expect(await container.passwordReset.checkToken(token)).toBeNull();
    expect(await container.passwordReset.resetPassword({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, meta())).toEqual({ status: "invalid_token" });
  });

  it("limits requests per address and per client address", async () => {
    const { email } = await activeUser("spam");
    const ip = { ipAddress: "203.0.113.99" };
    for (let i = 0; i < MAILS_PER_EMAIL; i += 1) expect((await container.passwordReset.requestReset({ email }, meta(ip))).status).toBe("sent");
    expect(await container.passwordReset.requestReset({ email }, meta(ip))).toEqual({ status: "rate_limited" });
    await container.deferredWork.settled();
    await vi.waitFor(() => expect(smtp.mailsTo(email)).toHaveLength(MAILS_PER_EMAIL));
    for (let i = MAILS_PER_EMAIL + 1; i < REQUESTS_PER_IP; i += 1) await container.passwordReset.requestReset({ email: freshEmail("spam") }, meta(ip));
    expect(await container.passwordReset.requestReset({ email: freshEmail("spam") }, meta(ip))).toEqual({ status: "rate_limited" });
    ctx.clock.advance(MAIL_FORM_WINDOW_MS);
    expect((await container.passwordReset.requestReset({ email }, meta(ip))).status).toBe("sent");
  });

  it("answers before anything that depends on the account: no lookup, token, mail or audit write before the answer (OWASP Forgot Password Cheat Sheet)", async () => {
    const { email, user } = await activeUser("timing");
    const unknown = freshEmail("timing");
    const lookups = vi.spyOn(container.users, "findByEmail");
    const audits = vi.spyOn(container.audit, "record");
    try {
      for (const address of [email, unknown]) {
        // The answer is complete before any deferred task could start (they start after this turn).
        expect(await container.passwordReset.requestReset({ email: address }, meta())).toEqual({ status: "sent", email: address });
        expect(lookups).not.toHaveBeenCalled();
        expect(audits).not.toHaveBeenCalled();
        await container.deferredWork.settled();
        lookups.mockClear();
        audits.mockClear();
      }
    } finally {
      lookups.mockRestore();
      audits.mockRestore();
    }
    expect(await container.prisma.userToken.count({ where: { userId: user.id } })).toBe(1);
    await smtp.waitForMail(email);
    await smtp.waitForMail(unknown);
  });

  it("answers alike when the mail cannot be sent, for known and unknown addresses, and records the failure", async () => {
    const { email, user } = await activeUser("unsent");
    smtp.failDelivery(true);
    try {
      expect(await container.passwordReset.requestReset({ email }, meta())).toEqual({ status: "sent", email });
      const unknown = freshEmail("unsent");
      expect(await container.passwordReset.requestReset({ email: unknown }, meta())).toEqual({ status: "sent", email: unknown });
      await container.deferredWork.settled();
    } finally {
      smtp.failDelivery(false);
    }
    const event = await container.prisma.auditEvent.findFirst({ where: { type: "user.password_reset_requested", targetId: user.id } });
    expect(event).toMatchObject({ outcome: "failure", details: { mailSent: false } });
  });

  it("rejects bad input without throwing", async () => {
    for (const input of [undefined, null, "x", 42, [], {}, { email: 42 }, { email: "x".repeat(100_000) }, { email: "not an email" }]) {
      expect(await container.passwordReset.requestReset(input, meta())).toEqual({ status: "invalid", errors: { email: "invalid" } });
    }
    for (const input of [undefined, null, {}, { token: 42, password: [], confirmation: {} }, { token: "x".repeat(100_000), password: PASSWORD, confirmation: PASSWORD }]) {
      expect(await container.passwordReset.resetPassword(input, meta())).toEqual({ status: "invalid_token" });
    }
    for (const token of [undefined, null, 42, "", "A".repeat(43), { a: 1 }]) expect(await container.passwordReset.checkToken(token)).toBeNull();
  });

  it("a verification link is no reset link, and the other way round", async () => {
    const email = freshEmail("purpose");
    await container.tenantSettings.update({ registrationEnabled: true });
    await container.registration.register({ email, password: PASSWORD }, meta());
    const verify = linkIn(await smtp.waitForMail(email), "/verify-email").searchParams.get("token");
    expect(await container.passwordReset.checkToken(verify)).toBeNull();
    expect(await container.passwordReset.resetPassword({ token: verify, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, meta())).toEqual({ status: "invalid_token" });
    const reset = await requestLink(email);
    expect(await container.registration.verifyEmail(reset, meta())).toEqual({ status: "invalid" });
    expect(await container.registration.verifyEmail(verify, meta())).toEqual({ status: "verified", email });
    await container.tenantSettings.update({ registrationEnabled: false });
  });

  it("expired and used links are deleted by the hourly purge", async () => {
    const { email, user } = await activeUser("purge");
    const used = await requestLink(email);
    await container.passwordReset.resetPassword({ token: used, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, meta());
    await requestLink(email);
    expect(await container.prisma.userToken.count({ where: { userId: user.id } })).toBe(2);
    expect((await container.expiredRecords.runOnce()).userTokens).toBeGreaterThanOrEqual(1);
    expect(await container.prisma.userToken.count({ where: { userId: user.id } })).toBe(1);
    ctx.clock.advance(USER_TOKEN_LIFETIME_MS.reset_password + 1);
    await container.expiredRecords.runOnce();
    expect(await container.prisma.userToken.count({ where: { userId: user.id } })).toBe(0);
  });
});

describe("the outbox (no SMTP_URL)", () => {
  it("writes each mail as an .eml file holding the link, and logs the file but never the link", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", write: (line) => lines.push(line) });
    const outbox = await createTestContainer({ env: { AUTHLY_ISSUER: ISSUER }, logger });
    try {
      const { container: c } = outbox;
      expect(c.mailer.kind).toBe("outbox");
      const dir = outboxDir(outbox.config.dataDir);
      expect(lines.filter((l) => l.includes("mails are written to the outbox folder"))).toHaveLength(1);

      await c.tenantSettings.update({ registrationEnabled: true });
      const email = "outbox@example.com";
      expect(await c.registration.register({ email, password: PASSWORD }, meta())).toEqual({ status: "check_mail", email });
      await c.users.create({ email: "second@example.com", password: PASSWORD });
      expect(await c.passwordReset.requestReset({ email: "second@example.com" }, meta())).toEqual({ status: "sent", email: "second@example.com" });
      await c.deferredWork.settled();

      const files = readdirSync(dir).sort();
      expect(files).toHaveLength(2);
      for (const file of files) expect(file).toMatch(/^\d{8}T\d{9}Z-\d{6}-[0-9a-f]{12}\.eml$/);

      const raw = readFileSync(path.join(dir, files[0]!));
      expect(raw.toString("latin1")).toContain("\r\n");
      const parsed = await simpleParser(raw);
      expect(parsed.subject).toBe("Confirm your email address for Authly");
      const token = linkIn({ text: parsed.text ?? "" }, "/verify-email").searchParams.get("token")!;
      const resetToken = linkIn({ text: (await simpleParser(readFileSync(path.join(dir, files[1]!)))).text ?? "" }, "/reset-password").searchParams.get("token")!;

      const written = lines.filter((l) => l.includes("mail written to outbox"));
      expect(written).toHaveLength(2);
      expect(written[0]).toContain(path.join(dir, files[0]!));
      for (const line of lines) {
        expect(line).not.toContain(token);
        expect(line).not.toContain(resetToken);
      }
      // The link from the file works.
      expect(await c.registration.verifyEmail(token, meta())).toEqual({ status: "verified", email });
    } finally {
      await outbox.cleanup();
    }
  });
});
