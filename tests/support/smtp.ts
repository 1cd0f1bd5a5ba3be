/**
 * A real SMTP server on 127.0.0.1 (ephemeral port) that keeps every mail it receives, parsed.
 * For integration and end-to-end tests of outgoing mail:
 *
 *   const smtp = await startSmtpListener();          // env: SMTP_URL = smtp.url
 *   ... something sends a mail ...
 *   const mail = await smtp.waitForMail("ada@example.com");
 *   linkIn(mail, "/verify-email");                   // the link the mail carries
 *   await smtp.close();
 *
 * Plain SMTP without STARTTLS (loopback: Authly's SmtpMailer does not ask for TLS there).
 */
import type { AddressInfo } from "node:net";
import { simpleParser, type AddressObject } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** The From header as written. */
  fromHeader: string;
  subject: string;
  text: string;
  html: string;
  /** The whole message as received. */
  raw: string;
  /** The SMTP AUTH user name, when the client authenticated. */
  authUser?: string;
}

export interface SmtpListener {
  /** smtp://127.0.0.1:<port> (with the credentials when the listener requires them). */
  readonly url: string;
  readonly port: number;
  /** Every mail received so far, in order. */
  readonly mails: readonly ReceivedMail[];
  /**
   * The next mail to `to` not returned by an earlier call: at once when it is here already
   * (mail sending is awaited, so after a send it normally is), else when it arrives.
   */
  waitForMail(to: string, options?: { timeoutMs?: number }): Promise<ReceivedMail>;
  /** Mails to `to`, all of them. */
  mailsTo(to: string): ReceivedMail[];
  /** While true, every message is refused with a temporary failure (451). */
  failDelivery(fail: boolean): void;
  close(): Promise<void>;
}

export async function startSmtpListener(options: { auth?: { user: string; pass: string }; /** Default: an ephemeral port. */ port?: number } = {}): Promise<SmtpListener> {
  const mails: ReceivedMail[] = [];
  const handed = new Set<ReceivedMail>();
  const waiters = new Set<() => void>();
  let failing = false;

  const server = new SMTPServer({
    disabledCommands: options.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) return callback(null, { user: auth.username });
      callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (failing) return callback(Object.assign(new Error("Mailbox temporarily unavailable"), { responseCode: 451 }));
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            mails.push({
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              fromHeader: addressText(parsed.from),
              subject: parsed.subject ?? "",
              text: parsed.text ?? "",
              html: typeof parsed.html === "string" ? parsed.html : "",
              raw: raw.toString("utf8"),
              ...(typeof session.user === "string" && { authUser: session.user }),
            });
            for (const wake of waiters) wake();
            // Answer 250 only now: when the client's send resolves, the mail is in `mails`.
            callback();
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const credentials = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@` : "";

  const unhanded = (to: string) => mails.find((m) => !handed.has(m) && m.to.includes(to.toLowerCase()));
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    port,
    mails,
    mailsTo: (to) => mails.filter((m) => m.to.includes(to.toLowerCase())),
    failDelivery(fail) {
      failing = fail;
    },
    waitForMail(to, { timeoutMs = 10_000 } = {}) {
      return new Promise<ReceivedMail>((resolve, reject) => {
        const check = () => {
          const mail = unhanded(to);
          if (!mail) return false;
          handed.add(mail);
          waiters.delete(check);
          clearTimeout(timer);
          resolve(mail);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no mail to ${to} within ${timeoutMs} ms (received: ${mails.map((m) => m.to.join(",")).join("; ") || "none"})`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first link in the mail's text whose path is `path` (e.g. "/reset-password"). */
export function linkIn(mail: Pick<ReceivedMail, "text">, path: string): URL {
  for (const match of mail.text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    const url = new URL(match[0]);
    if (url.pathname === path) return url;
  }
  throw new Error(`no ${path} link in the mail:\n${mail.text}`);
}

function addressText(address: AddressObject | undefined): string {
  return address?.text ?? "";
}
