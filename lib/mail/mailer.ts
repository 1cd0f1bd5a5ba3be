/**
 * Outgoing mail: one interface, two implementations chosen by the composition root. SmtpMailer
 * delivers through a relay (SMTP_URL); OutboxMailer writes each mail as an .eml file into
 * <AUTHLY_DATA_DIR>/outbox for development and for installations without a mail relay.
 */
import type { SendMailOptions } from "nodemailer";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  readonly kind: "smtp" | "outbox";
  /** Sends one mail; rejects with a MailDeliveryError (already logged) when it could not be handed over. */
  send(message: MailMessage): Promise<void>;
  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}

/** The mail could not be delivered to the relay or written to the outbox. Details are in the log, not here. */
export class MailDeliveryError extends Error {
  constructor() {
    super("the mail could not be sent");
    this.name = "MailDeliveryError";
  }
}

/** The nodemailer message for a MailMessage: the same headers whichever way it leaves. */
/** Sends a mail and says whether it left; a failure is logged (by the mailer, or here when unexpected), never thrown. */
export async function sendLogged(mailer: Mailer, logger: Logger, message: MailMessage): Promise<boolean> {
  try {
    await mailer.send(message);
    return true;
  } catch (error) {
    if (!(error instanceof MailDeliveryError)) logger.error("sending mail failed", { error });
    return false;
  }
}

/** A link in a mail: the issuer, a page path and, for the single-use links, the token. */
export function mailLink(issuer: string, path: string, token?: string): string {
  return `${issuer}${path}${token === undefined ? "" : `?token=${token}`}`;
}

export function composeMail(message: MailMessage, from: string, clock: Clock): SendMailOptions {
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    ...(message.html !== undefined && { html: message.html }),
    date: clock.now(),
    // RFC 3834 §5: machine-generated mail, so auto-responders do not answer it.
    headers: { "Auto-Submitted": "auto-generated" },
  };
}
