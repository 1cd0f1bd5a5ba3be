import { expect, test } from "@playwright/test";
import { linkIn, startSmtpListener, type SmtpListener } from "../tests/support/smtp";
import { SMTP_PORT, authly, createUser, expectAccessible, screenshot, signIn } from "./support/e2e";

const PASSWORD = "correct-horse-battery-1";
const NEW_PASSWORD = "a-brand-new-passphrase-2";

/**
 * Registration with email verification and password reset, through the mails the server really
 * sends: an SMTP listener on 127.0.0.1 receives them (playwright.config.ts points SMTP_URL at it),
 * and the browser follows the link in the received mail.
 */
test.describe("mail flows", () => {
  let smtp: SmtpListener;
  test.beforeAll(async () => {
    smtp = await startSmtpListener({ port: SMTP_PORT });
    await authly("tenant", "set", "--registration", "on");
  });
  test.afterAll(async () => {
    await smtp?.close();
  });

  test("registration and email verification", async ({ page }) => {
    const email = `newcomer-${Date.now()}@example.com`;
    await page.goto("/login");
    await page.getByRole("link", { name: "Create an account" }).click();
    await expect(page).toHaveURL(/\/register/);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("Name").fill("Grace Hopper");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("heading", { name: "Check your mail" })).toBeVisible();
    await expectAccessible(page, "registration sent");
    await screenshot(page, "register-sent");

    const mail = await smtp.waitForMail(email);
    const link = linkIn(mail, "/verify-email");
    await page.goto(link.pathname + link.search);
    await expect(page.getByRole("heading", { name: "Email address confirmed" })).toBeVisible();
    await expectAccessible(page, "email verified");
    await screenshot(page, "verify-email-done");
    // The link works once.
    await page.goto(link.pathname + link.search);
    await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();

    // The new account signs in.
    await page.goto("/login");
    await signIn(page, email, PASSWORD);
    await expect(page).toHaveURL(/\/account$/);
  });

  test("password reset through the link in the mail", async ({ page }) => {
    const email = await createUser("forgetful", PASSWORD);
    await page.goto("/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await expect(page).toHaveURL(/\/forgot-password/);
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send reset link" }).click();
    await expect(page.getByRole("heading", { name: "Check your mail" })).toBeVisible();

    const mail = await smtp.waitForMail(email);
    const link = linkIn(mail, "/reset-password");
    await page.goto(link.pathname + link.search);
    await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
    await expectAccessible(page, "reset password");
    await screenshot(page, "reset-password");
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Set new password" }).click();
    await expect(page.getByRole("heading", { name: "Your password has been changed" })).toBeVisible();

    // Single use.
    await page.goto(link.pathname + link.search);
    await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();
    // The old password no longer works, the new one does.
    await page.goto("/login");
    await signIn(page, email, PASSWORD);
    await expect(page.getByRole("alert").filter({ hasText: /\S/ }).first()).toContainText("Wrong email or password.");
    await signIn(page, email, NEW_PASSWORD);
    await expect(page).toHaveURL(/\/account$/);
  });
});
