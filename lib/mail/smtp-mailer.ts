import { createTransport, type Transporter } from "nodemailer";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { composeMail, MailDeliveryError, type Mailer, type MailMessage } from "./mailer";

/** Hosts where plain SMTP never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Delivers mail through an SMTP relay given as a URL: smtps://user:password@host:465 (implicit
 * TLS) or smtp://user:password@host:587 (STARTTLS), credentials percent-encoded in the URL.
 * nodemailer options can be appended as query parameters (e.g. ?requireTLS=false); they override
 * the defaults below.
 */
export class SmtpMailer implements Mailer {
  readonly kind = "smtp";
  private readonly transport: Transporter;
  private readonly logger: Logger;

  constructor(private readonly deps: { smtpUrl: string; from: string; clock: Clock; logger: Logger }) {
    const url = new URL(deps.smtpUrl);
    const loopback = isLoopbackHost(url.hostname);
    this.transport = createTransport({
      // RFC 8314 §3: implicit TLS (smtps:) is preferred. For smtp:// to another host STARTTLS is
      // required, so credentials and the links in the mails never cross a network in clear; a relay
      // on the same machine may speak plain SMTP.
      ...(url.protocol === "smtp:" && (loopback ? { ignoreTLS: true } : { requireTLS: true })),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      url: deps.smtpUrl,
    });
    this.logger = deps.logger;
    // Never the URL itself: it carries the relay's password.
    this.logger.info("mail is sent over SMTP", { host: url.hostname, port: url.port || (url.protocol === "smtps:" ? "465" : "587"), tls: url.protocol === "smtps:" ? "implicit" : loopback ? "none (loopback)" : "starttls" });
  }

  async send(message: MailMessage): Promise<void> {
    try {
      await this.transport.sendMail(composeMail(message, this.deps.from, this.deps.clock));
    } catch (error) {
      // The relay's answer names the problem (authentication, refused recipient, timeout); the mail
      // body (and so any link in it) is never part of it.
      this.logger.error("sending mail failed", { error });
      throw new MailDeliveryError();
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
