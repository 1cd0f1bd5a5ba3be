import { expect, test, type Browser, type Page } from "@playwright/test";
import {
  authly,
  authorizeUrl,
  createNativeClient,
  createUser,
  expectAccessible,
  screenshot,
  signIn,
  startLoopbackServer,
} from "./support/e2e";

const PASSWORD = "correct-horse-battery-1";

/** Signs in on /login directly (no authorization request) and lands on the account page. */
async function signInDirectly(page: Page, email: string, password = PASSWORD) {
  await page.goto("/login");
  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/account$/);
}

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

test.describe("consent is remembered per user, client and scopes", () => {
  test("the same scopes skip the screen; a new scope asks only for the new one", async ({ page }) => {
    test.setTimeout(120_000);
    const email = await createUser("consent", PASSWORD);
    const clientId = await createNativeClient("Remembering App", "openid profile email");
    const rp = await startLoopbackServer();
    const visited: string[] = [];
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) visited.push(new URL(frame.url()).pathname);
    });
    try {
      let callback = rp.next();
      await page.goto(authorizeUrl(clientId, rp.redirectUri, "openid profile"));
      await signIn(page, email, PASSWORD);
      await expect(page).toHaveURL(/\/consent\?/);
      await expect(page.getByTestId("requested-scopes")).toContainText("See your name and basic profile");
      await expectAccessible(page, "consent");
      await page.getByRole("button", { name: "Allow" }).click();
      expect((await callback).params.get("code")).toBeTruthy();
      await page.waitForURL(/127\.0\.0\.1:\d+\/callback/, { waitUntil: "load" });

      // The same request again: straight back with a code.
      visited.length = 0;
      callback = rp.next();
      await page.goto(authorizeUrl(clientId, rp.redirectUri, "openid profile"));
      expect((await callback).params.get("code")).toBeTruthy();
      await page.waitForURL(/127\.0\.0\.1:\d+\/callback/, { waitUntil: "load" });
      expect(visited).not.toContain("/consent");

      // One more scope: the page asks for it alone and lists the rest as already allowed.
      callback = rp.next();
      await page.goto(authorizeUrl(clientId, rp.redirectUri, "openid profile email"));
      await expect(page).toHaveURL(/\/consent\?/);
      const requested = page.getByTestId("requested-scopes");
      await expect(requested).toContainText("See your email address");
      await expect(requested).not.toContainText("See your name and basic profile");
      await expect(page.getByTestId("granted-scopes")).toContainText("Already allowed");
      await page.getByRole("button", { name: "Allow" }).click();
      expect((await callback).params.get("code")).toBeTruthy();
      await page.waitForURL(/127\.0\.0\.1:\d+\/callback/, { waitUntil: "load" });
    } finally {
      await rp.close();
    }
  });
});

test.describe("brute-force protection", () => {
  test("repeated wrong passwords bring the delay and then the lockout message; locked, even the right password is refused", async ({ page }) => {
    // playwright.config.ts: AUTHLY_LOGIN_LOCKOUT_AFTER=4 (delays from the 3rd failure, the default).
    const email = await createUser("throttle", PASSWORD);
    await page.goto("/login");
    const alert = page.locator("#login-error, [role=alert]").filter({ hasText: /Wrong email or password|Too many failed attempts/ }).first();
    const messages: string[] = [];
    // One sign-in and its answer: wait for the server action's response, not for an alert that
    // may still show the previous attempt's message.
    const attemptSignIn = async (password: string) => {
      const answered = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login");
      await signIn(page, email, password);
      await answered;
    };
    for (let attempt = 1; attempt <= 12; attempt++) {
      await attemptSignIn(`wrong-password-${attempt}`);
      await expect(alert).toHaveText(/Wrong email or password\.|Too many failed attempts/);
      const message = await alert.innerText();
      messages.push(message);
      // Locked: "Try again in 15 minutes". A delay ("in 1 second") refuses attempts without
      // counting them: wait it out, so the next wrong password counts.
      if (/minutes?\.$/.test(message)) break;
      const delay = /in (\d+) seconds?\.$/.exec(message);
      if (delay) await page.waitForTimeout(Number(delay[1]) * 1000 + 250);
    }
    expect(messages.slice(0, 2)).toEqual(["Wrong email or password.", "Wrong email or password."]);
    expect(messages.at(-1)).toMatch(/^Too many failed attempts\. Try again in 1[45] minutes\.$/);
    await expectAccessible(page, "sign-in with the lockout message");
    // Locked: the right password is not even checked.
    await attemptSignIn(PASSWORD);
    await expect(alert).toContainText("Too many failed attempts");
    await expect(page).toHaveURL(/\/login/);
    // An administrator lifts the lockout.
    await authly("users", "unlock", "--email", email);
    await signIn(page, email, PASSWORD);
    await expect(page).toHaveURL(/\/account$/);
  });
});

test.describe("the account page", () => {
  test("signing out another session there signs that browser out", async ({ browser }) => {
    test.setTimeout(90_000);
    const email = await createUser("sessions", PASSWORD);
    const laptop = await newPage(browser);
    const phone = await newPage(browser);
    await signInDirectly(laptop, email);
    await signInDirectly(phone, email);

    await laptop.goto("/account/sessions");
    const sessions = laptop.getByTestId("session-list").locator(":scope > li");
    await expect(sessions).toHaveCount(2);
    await expect(sessions.filter({ hasText: "This device" })).toHaveCount(1);
    await expectAccessible(laptop, "account sessions");
    const other = sessions.filter({ hasNotText: "This device" });
    await other.getByRole("button", { name: /^Sign out/ }).click();
    await expect(sessions).toHaveCount(1);
    await expect(sessions.first()).toContainText("This device");

    // The phone's session ended on the server: its next request finds no session.
    await phone.goto("/account");
    await expect(phone).toHaveURL(/\/login/);
    await laptop.context().close();
    await phone.context().close();
  });

  test("sign out ends the session: the signed-out page, and the account asks for a sign-in again", async ({ page }) => {
    const email = await createUser("signout", PASSWORD);
    await signInDirectly(page, email);
    await page.getByTestId("account-sign-out").getByRole("button").click();
    await expect(page).toHaveURL(/\/logout\/done$/);
    await expect(page.getByRole("heading", { name: "You are signed out" })).toBeVisible();
    await expectAccessible(page, "signed out");
    await page.goto("/account");
    await expect(page).toHaveURL(/\/login\?return_to=%2Faccount/);
  });
});

test.describe("languages", () => {
  test("the language switcher changes the language of every page, and it stays", async ({ page }) => {
    await page.goto("/login");
    await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
    await page.getByRole("button", { name: "Deutsch" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "de");
    await expect(page.getByRole("button", { name: "Anmelden" })).toBeVisible();
    await page.getByRole("button", { name: "Français" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "fr");
    await expect(page.getByRole("button", { name: "Se connecter" })).toBeVisible();
    await page.goto("/forgot-password");
    await expect(page.locator("html")).toHaveAttribute("lang", "fr");
    await page.getByRole("button", { name: "English" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
  });
});

test.describe("tenant branding", () => {
  test("product name, logo and accent colour appear on the pages, in both themes", async ({ page }) => {
    await authly("tenant", "set", "--product-name", "Acme ID", "--accent-color", "#0f766e", "--logo-uri", "/favicon.svg");
    try {
      for (const colorScheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme });
        await page.goto("/login");
        await expect(page.getByRole("banner")).toContainText("Acme ID");
        await expect(page).toHaveTitle(/Acme ID/);
        await expect(page.getByText("Sign in to your Acme ID account.")).toBeVisible();
        await expect(page.locator("html")).toHaveAttribute("style", /--brand:\s*#0f766e/);
        // The button takes the accent colour (the light theme uses it as it is).
        const background = await page.getByRole("button", { name: "Sign in" }).evaluate((el) => getComputedStyle(el).backgroundColor);
        if (colorScheme === "light") expect(background).toBe("rgb(15, 118, 110)");
        else expect(background).not.toBe("rgb(15, 118, 110)");
        await expectAccessible(page, `branded sign-in (${colorScheme})`);
        await screenshot(page, "login-branded");
      }
    } finally {
      await authly("tenant", "set", "--reset", "name,logo,accent");
    }
    await page.goto("/login");
    await expect(page.getByRole("banner")).toContainText("Authly");
  });
});
