import { describe, expect, it } from "vitest";
import { locales } from "../../i18n/locales";
import { isLoopbackHost } from "./smtp-mailer";
import { passwordResetMail, registrationAttemptMail, resetInactiveMail, resetNoAccountMail, verificationMail } from "./templates";

const LINK = "https://id.example.com/reset-password?token=abc_DEF-123&x=<y>";

describe("mail templates", () => {
  const builders = [
    (locale: (typeof locales)[number]) => verificationMail({ locale, productName: null, to: "ada@example.com" }, LINK),
    (locale: (typeof locales)[number]) => registrationAttemptMail({ locale, productName: null, to: "ada@example.com" }, LINK),
    (locale: (typeof locales)[number]) => passwordResetMail({ locale, productName: null, to: "ada@example.com" }, LINK),
    (locale: (typeof locales)[number]) => resetNoAccountMail({ locale, productName: null, to: "ada@example.com" }, LINK),
    (locale: (typeof locales)[number]) => resetNoAccountMail({ locale, productName: null, to: "ada@example.com" }, null),
    (locale: (typeof locales)[number]) => resetInactiveMail({ locale, productName: null, to: "ada@example.com" }),
  ];

  it("fill every argument in every language (no ICU syntax left over)", () => {
    for (const locale of locales) {
      for (const build of builders) {
        const mail = build(locale);
        expect(mail.to).toBe("ada@example.com");
        for (const part of [mail.subject, mail.text, mail.html ?? ""]) expect(part, `${locale}: ${mail.subject}`).not.toMatch(/\{|\}|#\s/);
        expect(mail.html).toContain(`<html lang="${locale}">`);
      }
    }
  });

  it("carry the link in the text as is and in the HTML escaped", () => {
    const mail = passwordResetMail({ locale: "en", productName: null, to: "ada@example.com" }, LINK);
    expect(mail.text).toContain(`\n${LINK}\n`);
    expect(mail.html).toContain('href="https://id.example.com/reset-password?token=abc_DEF-123&amp;x=&lt;y&gt;"');
    expect(mail.html).not.toContain("<y>");
  });

  it("say how long the link works and what to do if it was not you", () => {
    const reset = passwordResetMail({ locale: "en", productName: null, to: "a@example.com" }, LINK);
    expect(reset.text).toContain("valid for 30 minutes and works once");
    expect(reset.text).toContain("If this was not you, ignore this mail");
    const verify = verificationMail({ locale: "de", productName: null, to: "a@example.com" }, LINK);
    expect(verify.text).toContain("24 Stunden gültig");
    expect(passwordResetMail({ locale: "fr", productName: null, to: "a@example.com" }, LINK).text).toContain("valable 30 minutes");
  });

  it("name the tenant's product, escaped in HTML", () => {
    const mail = verificationMail({ locale: "en", productName: `Acme "ID" & <Co>`, to: "a@example.com" }, LINK);
    expect(mail.subject).toBe(`Confirm your email address for Acme "ID" & <Co>`);
    expect(mail.html).toContain("Acme &quot;ID&quot; &amp; &lt;Co&gt;");
    expect(mail.html).not.toContain("<Co>");
    expect(verificationMail({ locale: "en", productName: null, to: "a@example.com" }, LINK).subject).toBe("Confirm your email address for Authly");
  });

  it("offer registration in the no-account mail only with a link", () => {
    expect(resetNoAccountMail({ locale: "en", productName: null, to: "a@example.com" }, "https://id.example.com/register").text).toContain("https://id.example.com/register");
    expect(resetNoAccountMail({ locale: "en", productName: null, to: "a@example.com" }, null).text).not.toContain("create a new account");
  });
});

describe("isLoopbackHost", () => {
  it("knows the names of this machine", () => {
    for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"]) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["smtp.example.com", "10.0.0.1", "localhost.example.com", "127.0.0.1.nip.io", "::2"]) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe("the button colour", () => {
  it("is the tenant's accent, with readable text on it", () => {
    expect(verificationMail({ locale: "en", productName: null, to: "a@example.com", accentColor: "#ffdd00" }, LINK).html).toContain("background:#ffdd00;color:#0b0d12");
    expect(verificationMail({ locale: "en", productName: null, to: "a@example.com", accentColor: "#123456" }, LINK).html).toContain("background:#123456;color:#ffffff");
    expect(verificationMail({ locale: "en", productName: null, to: "a@example.com", accentColor: "red;x" }, LINK).html).toContain("background:#4338ca;color:#ffffff");
  });
});
