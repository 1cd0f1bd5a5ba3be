import { expect, test } from "@playwright/test";
import { authly, authorizeUrl, createNativeClient, createUser, expectAccessible, screenshot, signIn, startLoopbackServer } from "./support/e2e";

const PASSWORD = "correct-horse-battery-1";

/**
 * Every page, in the light and the dark theme (both follow the system setting): an axe-core scan
 * with no serious violations, and a screenshot under .tmp/screenshots to look at.
 */
for (const colorScheme of ["light", "dark"] as const) {
  test.describe(`every page in the ${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test("public pages", async ({ page }) => {
      const pages: [string, string][] = [
        ["/", "home"],
        ["/login", "login"],
        ["/forgot-password", "forgot-password"],
        ["/reset-password?token=not-a-real-token", "reset-password-invalid"],
        ["/verify-email?token=not-a-real-token", "verify-email-invalid"],
        ["/register", "register"],
        ["/logout/done", "signed-out"],
        ["/no/such/page", "not-found"],
      ];
      for (const [path, name] of pages) {
        await page.goto(path);
        await expect(page.locator("main")).toBeVisible();
        await expectAccessible(page, `${path} (${colorScheme})`);
        await screenshot(page, name);
      }
    });

    test("sign-in and consent for an application, the account page, the logout confirmation", async ({ page }) => {
      test.setTimeout(120_000);
      const email = await createUser(`a11y-${colorScheme}`, PASSWORD);
      const clientId = await createNativeClient(`Photo Album (${colorScheme})`, "openid profile email offline_access", [
        "--client-uri", "https://photos.example.com",
        "--policy-uri", "https://photos.example.com/privacy",
        "--tos-uri", "https://photos.example.com/terms",
      ]);
      const rp = await startLoopbackServer();
      try {
        await page.goto(authorizeUrl(clientId, rp.redirectUri, "openid profile email offline_access", { login_hint: email }));
        await expect(page).toHaveURL(/\/login\?interaction=/);
        await expect(page.getByTestId("client-identity")).toContainText(`Photo Album (${colorScheme})`);
        await expect(page.getByRole("link", { name: "Privacy policy" })).toHaveAttribute("href", "https://photos.example.com/privacy");
        await expectAccessible(page, `login for a client (${colorScheme})`);
        await screenshot(page, "login-client");
        await signIn(page, email, PASSWORD);
        await expect(page).toHaveURL(/\/consent\?/);
        await expectAccessible(page, `consent (${colorScheme})`);
        await screenshot(page, "consent");
        const callback = rp.next();
        await page.getByRole("button", { name: "Allow" }).click();
        await callback;
        await page.waitForURL(/127\.0\.0\.1:\d+\/callback/, { waitUntil: "load" });

        for (const [path, name] of [
          ["/account", "account"],
          ["/account/profile", "account-profile"],
          ["/account/password", "account-password"],
          ["/account/sessions", "account-sessions"],
          ["/account/applications", "account-applications"],
        ] as const) {
          await page.goto(path);
          await expect(page).toHaveURL(new RegExp(`${path}$`));
          await expectAccessible(page, `${path} (${colorScheme})`);
          await screenshot(page, name);
        }
        await expect(page.getByText(`Photo Album (${colorScheme})`).first()).toBeVisible();

        // RP-initiated logout without an id_token_hint asks first (RP-Initiated Logout 1.0 §2, §6).
        await page.goto(`/oidc/logout?client_id=${encodeURIComponent(clientId)}`);
        await expectAccessible(page, `logout confirmation (${colorScheme})`);
        await screenshot(page, "logout-confirm");
      } finally {
        await rp.close();
      }
    });
  });
}

test("signing in works with the keyboard alone", async ({ page }) => {
  const email = await createUser("keyboard", PASSWORD);
  await page.goto("/login");
  const emailField = page.getByLabel("Email");
  for (let i = 0; i < 40 && !(await emailField.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
  await expect(emailField).toBeFocused();
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password", { exact: true })).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/account$/);
});

/** Registration must be on for its page to show the form (it is off by default). */
test.beforeAll(async () => {
  await authly("tenant", "set", "--registration", "on");
});

