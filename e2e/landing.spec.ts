import { expect, test, type Locator, type Page } from "@playwright/test";

const ISSUER = "http://127.0.0.1:3100";
const DISCOVERY = "/.well-known/openid-configuration";

const copy = {
  en: {
    heading: "Secure sign-in for your applications",
    title: "Authly · OAuth 2.1 and OpenID Connect",
    discovery: "Discovery document",
    login: "Sign in",
    account: "Your account",
    loginHeading: "Sign in",
    notFound: "Page not found",
    language: "Language",
    other: "Deutsch",
  },
  de: {
    heading: "Sichere Anmeldung für Ihre Anwendungen",
    title: "Authly · OAuth 2.1 und OpenID Connect",
    discovery: "Discovery-Dokument",
    login: "Anmelden",
    account: "Ihr Konto",
    loginHeading: "Anmelden",
    notFound: "Seite nicht gefunden",
    language: "Sprache",
    other: "English",
  },
  fr: {
    heading: "Une connexion sécurisée pour vos applications",
    title: "Authly · OAuth 2.1 et OpenID Connect",
    discovery: "Document de découverte",
    login: "Se connecter",
    account: "Votre compte",
    loginHeading: "Connexion",
    notFound: "Page introuvable",
    language: "Langue",
    other: "English",
  },
} as const;

/** Presses Tab until `target` has focus (keyboard only, like a person without a mouse). */
async function tabTo(page: Page, target: Locator, maxPresses = 40): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`could not reach ${target} with ${maxPresses} presses of Tab`);
}

for (const [locale, browserLocale] of [
  ["en", "en-US"],
  ["de", "de-DE"],
  ["fr", "fr-CH"],
] as const) {
  test.describe(`in ${browserLocale}`, () => {
    test.use({ locale: browserLocale });
    const t = copy[locale];

    test("the landing page says what Authly is and links onwards", async ({ page }) => {
      await page.goto("/");
      await expect(page.locator("html")).toHaveAttribute("lang", locale);
      await expect(page).toHaveTitle(t.title);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(t.heading);

      // The issuer shown is the configured one, and the example uses it too.
      await expect(page.locator("#issuer-url")).toHaveText(ISSUER);
      await expect(page.locator("#discovery-example")).toHaveText(`curl ${ISSUER}${DISCOVERY}`);

      const main = page.getByRole("main");
      await expect(main.getByRole("link", { name: t.discovery })).toHaveAttribute("href", DISCOVERY);
      await expect(main.getByRole("link", { name: t.login })).toHaveAttribute("href", "/login");
      await expect(main.getByRole("link", { name: t.account })).toHaveAttribute("href", "/account");
      await expect(page.getByRole("group", { name: t.language })).toBeVisible();
    });

    test("/login and /account are translated", async ({ page }) => {
      await page.goto("/login");
      await expect(page.locator("html")).toHaveAttribute("lang", locale);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(t.loginHeading);
      await expect(page).toHaveTitle(`${t.loginHeading} · Authly`);

      // The account asks for a sign-in first, and comes back to it afterwards.
      await page.goto("/account");
      await expect(page).toHaveURL(/\/login\?return_to=%2Faccount$/);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(t.loginHeading);
    });

    test("an unknown URL shows the translated 404 page", async ({ page }) => {
      const response = await page.goto("/no-such-page");
      expect(response?.status()).toBe(404);
      await expect(page.locator("html")).toHaveAttribute("lang", locale);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(t.notFound);
    });
  });
}

test.describe("language switcher", () => {
  test.use({ locale: "en-US" });

  test("switches language with the keyboard only, and the choice persists", async ({ page, context }) => {
    await page.goto("/");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(copy.en.heading);

    const german = page.getByRole("button", { name: "Deutsch" });
    await expect(german).toHaveAttribute("aria-pressed", "false");
    await tabTo(page, german);
    await page.keyboard.press("Enter");

    await expect(page.locator("html")).toHaveAttribute("lang", "de");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(copy.de.heading);
    await expect(page.getByRole("button", { name: "Deutsch" })).toHaveAttribute("aria-pressed", "true");

    const cookie = (await context.cookies()).find((c) => c.name === "authly_locale");
    expect(cookie).toMatchObject({ value: "de", path: "/", sameSite: "Lax", httpOnly: true });
    const oneYear = 365 * 24 * 60 * 60;
    expect(cookie!.expires - Date.now() / 1000).toBeGreaterThan(oneYear - 120);

    // The cookie wins over the browser's Accept-Language (en-US) on every later page.
    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("lang", "de");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(copy.de.heading);
    await page.goto("/login");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(copy.de.loginHeading);

    // And back, with the space bar this time.
    const english = page.getByRole("button", { name: "English" });
    await tabTo(page, english);
    await page.keyboard.press("Space");
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(copy.en.loginHeading);
    await expect(page).toHaveURL(/\/login$/);
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false, locale: "de-DE" });

    test("the switcher still works (a plain form post)", async ({ page, context }) => {
      await page.goto("/forgot-password");
      await expect(page.locator("html")).toHaveAttribute("lang", "de");
      await page.getByRole("button", { name: "English" }).click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Forgot your password?");
      await expect(page.locator("html")).toHaveAttribute("lang", "en");
      expect((await context.cookies()).find((c) => c.name === "authly_locale")?.value).toBe("en");
    });
  });
});

test("the skip link is the first stop and moves focus to the content", async ({ page }) => {
  await page.goto("/login");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: /skip to main content|zum hauptinhalt springen/i });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("main")).toBeFocused();
});

test("an unsupported cookie value is ignored in favour of Accept-Language", async ({ request }) => {
  const response = await request.get("/", { headers: { cookie: "authly_locale=it", "accept-language": "de-CH,de;q=0.9" } });
  expect(await response.text()).toContain('<html lang="de"');
});

test.describe("copy buttons", () => {
  test.use({ locale: "en-US", permissions: ["clipboard-read", "clipboard-write"] });

  test("copy the issuer URL and announce it", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("button", { name: "Copy issuer URL" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Copied issuer URL to the clipboard." })).toHaveCount(1);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(ISSUER);
  });
});
