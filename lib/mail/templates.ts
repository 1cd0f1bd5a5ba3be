/**
 * The mails Authly sends, in the recipient's language: the page language of the request that
 * caused the mail. Every mail has a plain-text part and an HTML part built from the same
 * sentences; every value put into the HTML is escaped.
 */
import { createTranslator } from "next-intl";
import type { Locale } from "../../i18n/locales";
import { catalogs } from "../../messages/catalogs";
import { escapeHtml } from "../http/html-page";
import { accentStyle } from "../tenancy/branding";
import { USER_TOKEN_LIFETIME_MS } from "../identity/email-link-tokens";
import type { MailMessage } from "./mailer";

export interface MailContext {
  locale: Locale;
  /** The tenant's product name; null: the default site name. */
  productName: string | null;
  /** The recipient's address (also named in the text). */
  to: string;
  /** The tenant's accent colour (#rrggbb) for the button; null or absent: Authly's. */
  accentColor?: string | null;
}

interface MailContent {
  subject: string;
  greeting: string;
  /** Paragraphs before the button. */
  before: string[];
  action?: { label: string; url: string };
  /** Paragraphs after the button. */
  after: string[];
}

const VERIFY_HOURS = USER_TOKEN_LIFETIME_MS.verify_email / 3_600_000;
const RESET_MINUTES = USER_TOKEN_LIFETIME_MS.reset_password / 60_000;

function mailTranslator(locale: Locale) {
  return createTranslator({ locale, messages: catalogs[locale], namespace: "Mail" });
}

function productOf(context: MailContext): string {
  return context.productName ?? catalogs[context.locale].Metadata.siteName;
}

/** "Confirm your email address": sent on registration and on request from the verify page. */
export function verificationMail(context: MailContext, link: string): MailMessage {
  const t = mailTranslator(context.locale);
  const product = productOf(context);
  return render(context, product, {
    subject: t("verify.subject", { product }),
    greeting: t("verify.greeting", { product }),
    before: [t("verify.intro", { email: context.to })],
    action: { label: t("verify.action"), url: link },
    after: [t("verify.validity", { hours: VERIFY_HOURS }), t("verify.notYou")],
  });
}

/** Registration with an address that has an account: no account is created, the owner is told. */
export function registrationAttemptMail(context: MailContext, forgotPasswordLink: string): MailMessage {
  const t = mailTranslator(context.locale);
  const product = productOf(context);
  return render(context, product, {
    subject: t("registrationAttempt.subject", { product }),
    greeting: t("greeting"),
    before: [t("registrationAttempt.intro", { product, email: context.to }), t("registrationAttempt.advice")],
    action: { label: t("registrationAttempt.action"), url: forgotPasswordLink },
    after: [t("registrationAttempt.notYou")],
  });
}

/** The password reset link. */
export function passwordResetMail(context: MailContext, link: string): MailMessage {
  const t = mailTranslator(context.locale);
  const product = productOf(context);
  return render(context, product, {
    subject: t("reset.subject", { product }),
    greeting: t("greeting"),
    before: [t("reset.intro", { product, email: context.to })],
    action: { label: t("reset.action"), url: link },
    after: [t("reset.validity", { minutes: RESET_MINUTES }), t("reset.notYou")],
  });
}

/** A reset was asked for an address without an account; `registerLink` when registration is open. */
export function resetNoAccountMail(context: MailContext, registerLink: string | null): MailMessage {
  const t = mailTranslator(context.locale);
  const product = productOf(context);
  const before = [t("resetNoAccount.intro", { product, email: context.to }), t("resetNoAccount.advice")];
  if (registerLink) before.push(t("resetNoAccount.registerAdvice"));
  return render(context, product, {
    subject: t("resetNoAccount.subject", { product }),
    greeting: t("greeting"),
    before,
    ...(registerLink && { action: { label: t("resetNoAccount.action"), url: registerLink } }),
    after: [t("resetNoAccount.notYou")],
  });
}

/** A reset was asked for a disabled or locked account: its password cannot be reset. */
export function resetInactiveMail(context: MailContext): MailMessage {
  const t = mailTranslator(context.locale);
  const product = productOf(context);
  return render(context, product, {
    subject: t("resetInactive.subject", { product }),
    greeting: t("greeting"),
    before: [t("resetInactive.intro", { product, email: context.to }), t("resetInactive.advice", { product })],
    after: [t("resetInactive.notYou")],
  });
}

function render(context: MailContext, product: string, content: MailContent): MailMessage {
  const t = mailTranslator(context.locale);
  const automatic = t("automatic", { product });
  const text = [
    content.greeting,
    ...content.before,
    // French puts a no-break space before the colon.
    ...(content.action ? [`${content.action.label}${context.locale === "fr" ? "\u00a0:" : ":"}\n${content.action.url}`] : []),
    ...content.after,
    `-- \n${automatic}`,
  ].join("\n\n");

  const accent = accentStyle(context.accentColor ?? null);
  const [buttonColor, buttonText] = accent ? [accent["--brand"]!, accent["--brand-fg"]!] : ["#4338ca", "#ffffff"];
  const paragraph = (value: string) => `<p style="margin:0 0 16px">${escapeHtml(value)}</p>`;
  const action = content.action
    ? `<p style="margin:24px 0">` +
      `<a href="${escapeHtml(content.action.url)}" style="display:inline-block;background:${buttonColor};color:${buttonText};text-decoration:none;font-weight:600;padding:12px 20px;border-radius:8px">${escapeHtml(content.action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#4b5563">${escapeHtml(t("linkFallback"))}<br>` +
      `<a href="${escapeHtml(content.action.url)}" style="color:#4338ca;word-break:break-all">${escapeHtml(content.action.url)}</a></p>`
    : "";
  const html = `<!doctype html>
<html lang="${context.locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(content.subject)}</title></head>
<body style="margin:0;padding:24px;background:#f5f6f8;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:15px;line-height:1.55;color:#111827">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #dfe3e8;border-radius:16px;padding:32px">
<p style="margin:0 0 24px;font-size:13px;font-weight:600;color:#3730a3">${escapeHtml(product)}</p>
${paragraph(content.greeting)}
${content.before.map(paragraph).join("\n")}
${action}
${content.after.map(paragraph).join("\n")}
<p style="margin:24px 0 0;padding-top:16px;border-top:1px solid #dfe3e8;font-size:12px;color:#4b5563">${escapeHtml(automatic)}</p>
</div>
</body>
</html>`;
  return { to: context.to, subject: content.subject, text, html };
}
