import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createTransport, type Transporter } from "nodemailer";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { composeMail, MailDeliveryError, type Mailer, type MailMessage } from "./mailer";

/** The outbox folder inside the data folder. */
export function outboxDir(dataDir: string): string {
  return path.join(dataDir, "outbox");
}

/** "20261129T120000123Z": the time part of an outbox file name, sortable as text. */
function timeStamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, "");
}

/**
 * Writes each mail as an RFC 5322 message (.eml, CRLF line ends) into <dataDir>/outbox instead
 * of sending it: for development and for installations without a mail relay. Any mail program
 * opens the files. They hold working links (verification, password reset), so the folder and the
 * files are readable by the server's user only.
 */
export class OutboxMailer implements Mailer {
  readonly kind = "outbox";
  private readonly composer: Transporter;
  /** Orders the files of one millisecond. */
  private sequence = 0;

  constructor(private readonly deps: { dir: string; from: string; clock: Clock; logger: Logger }) {
    // nodemailer builds the message (MIME, encodings, headers) but hands it back instead of sending.
    this.composer = createTransport({ streamTransport: true, buffer: true, newline: "windows" });
    deps.logger.info("mail is not sent: no SMTP_URL is set, mails are written to the outbox folder", { dir: deps.dir });
  }

  async send(message: MailMessage): Promise<void> {
    this.sequence = (this.sequence + 1) % 1_000_000;
    const name = `${timeStamp(this.deps.clock.now())}-${String(this.sequence).padStart(6, "0")}-${randomBytes(6).toString("hex")}.eml`;
    const file = path.join(this.deps.dir, name);
    try {
      const info = await this.composer.sendMail(composeMail(message, this.deps.from, this.deps.clock));
      await mkdir(this.deps.dir, { recursive: true, mode: 0o700 });
      await writeFile(file, info.message as Buffer, { mode: 0o600, flag: "wx" });
    } catch (error) {
      this.deps.logger.error("writing mail to the outbox failed", { error, file });
      throw new MailDeliveryError();
    }
    // The path only: the mail's links are secrets.
    this.deps.logger.info("mail written to outbox", { file });
  }

  async close(): Promise<void> {
    this.composer.close();
  }
}
