import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";

const run = promisify(execFile);
const dataDir = ".tmp/e2e-data";
const ADMIN_EMAIL = "admin@example.com";
const ADMIN_PASSWORD = "e2e-admin-password-1";

async function authly(...argv: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["bin/authly.js", ...argv], { env: { ...process.env, AUTHLY_DATA_DIR: dataDir, LOG_LEVEL: "warn" }, timeout: 60_000 });
  return stdout;
}

/** A relying party on a loopback port: its callback, its front-channel logout URI and its signed-out page. */
async function startRelyingParty() {
  const hits: { path: string; params: URLSearchParams }[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    hits.push({ path: url.pathname, params: url.searchParams });
    const title = url.pathname === "/frontchannel-logout" ? "RP front-channel logout" : url.pathname === "/signed-out" ? "RP signed out" : "RP callback";
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(`<!doctype html><title>${title}</title><h1>${title}</h1>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test.describe("OpenID Connect in a real browser: ui_locales, RP-initiated and front-channel logout", () => {
  test("German sign-in by ui_locales, ID token, logout with front-channel iframe and post-logout redirect; confirmation without a hint", async ({ page, baseURL }) => {
    test.setTimeout(120_000);
    const rp = await startRelyingParty();
    try {
      const created = JSON.parse(
        await authly(
          "clients", "create", "--name", "E2E Relying Party", "--type", "confidential",
          "--redirect-uri", `${rp.origin}/callback`, "--post-logout-redirect-uri", `${rp.origin}/signed-out`,
          "--frontchannel-logout-uri", `${rp.origin}/frontchannel-logout`, "--frontchannel-logout-session-required",
          "--grant-types", "authorization_code,refresh_token", "--scopes", "openid profile email", "--json",
        ),
      ) as { client_id: string; client_secret: string };

      const verifier = randomBytes(32).toString("base64url");
      const authorize = (extra: Record<string, string>) =>
        `/oauth/authorize?${new URLSearchParams({
          client_id: created.client_id,
          response_type: "code",
          redirect_uri: `${rp.origin}/callback`,
          scope: "openid profile email",
          state: "s-1",
          nonce: "n-1",
          code_challenge: createHash("sha256").update(verifier).digest("base64url"),
          code_challenge_method: "S256",
          ...extra,
        })}`;

      // ui_locales=de (OIDC Core §3.1.2.1): the whole sign-in page is German, layout included.
      await page.goto(authorize({ ui_locales: "de" }));
      await expect(page).toHaveURL(/\/login\?interaction=[A-Za-z0-9_-]{43}&ui_locales=de$/);
      await expect(page.locator("html")).toHaveAttribute("lang", "de");
      await expect(page.getByRole("heading", { name: "Anmelden" })).toBeVisible();
      await page.screenshot({ path: ".tmp/screenshots/login-de.png", fullPage: true });
      await page.getByLabel("E-Mail").fill(ADMIN_EMAIL);
      await page.getByLabel("Passwort").fill(ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Anmelden" }).click();
      await expect(page).toHaveURL(/\/consent\?interaction=.*ui_locales=de/);
      await expect(page.locator("html")).toHaveAttribute("lang", "de");
      await expect(page.getByRole("heading", { name: "Zugriff erlauben" })).toBeVisible();
      await page.screenshot({ path: ".tmp/screenshots/consent-de.png", fullPage: true });
      await page.getByRole("button", { name: "Erlauben" }).click();
      await page.waitForURL((url) => url.href.startsWith(`${rp.origin}/callback?`), { waitUntil: "load" });
      const callback = new URL(page.url());
      expect(callback.searchParams.get("session_state")).toMatch(/^[0-9a-f]{64}\.[0-9a-f]+$/);

      const token = await fetch(`${baseURL}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${created.client_id}:${created.client_secret}`).toString("base64")}` },
        body: new URLSearchParams({ grant_type: "authorization_code", code: callback.searchParams.get("code")!, redirect_uri: `${rp.origin}/callback`, code_verifier: verifier }),
      });
      expect(token.status).toBe(200);
      const idToken = ((await token.json()) as { id_token: string }).id_token;
      const sid = (JSON.parse(Buffer.from(idToken.split(".")[1]!, "base64url").toString()) as { sid: string }).sid;

      // RP-initiated logout with a hint for this session: no confirmation; the front-channel iframe
      // is loaded with iss and sid, then the browser lands on the registered post-logout URI with state.
      await page.goto(`/oidc/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: `${rp.origin}/signed-out`, state: "bye" })}`);
      await expect(page).toHaveURL(`${rp.origin}/signed-out?state=bye`);
      const frontchannel = rp.hits.find((h) => h.path === "/frontchannel-logout");
      expect(frontchannel?.params.get("iss")).toBe(baseURL);
      expect(frontchannel?.params.get("sid")).toBe(sid);

      // Signed out: the next request needs a login again.
      await page.goto(authorize({ prompt: "none" }));
      await expect(page).toHaveURL(new RegExp(`^${rp.origin}/callback\\?error=login_required`));

      // Without a hint the request cannot be tied to the session: Authly asks first (CSRF-safe form).
      await page.goto(authorize({}));
      await page.getByLabel("Email").fill(ADMIN_EMAIL);
      await page.getByLabel("Password").fill(ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL((url) => url.href.startsWith(`${rp.origin}/callback?`), { waitUntil: "load" });
      await page.goto("/oidc/logout");
      await expect(page.getByRole("heading", { name: "Sign out of Authly?" })).toBeVisible();
      await page.screenshot({ path: ".tmp/screenshots/logout-confirm.png", fullPage: true });
      await page.keyboard.press("Tab");
      await page.getByRole("button", { name: "Sign out" }).focus();
      await page.keyboard.press("Enter");
      await expect(page.getByRole("heading", { name: "You are signed out" })).toBeVisible();
      await page.screenshot({ path: ".tmp/screenshots/logout-done.png", fullPage: true });
    } finally {
      await rp.close();
    }
  });
});
