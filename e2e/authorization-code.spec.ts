import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { ADMIN_EMAIL, ADMIN_PASSWORD, authly, pkcePair, startLoopbackServer } from "./support/e2e";

test.describe("authorization code flow with PKCE in a real browser", () => {
  test("sign in, consent, code at the loopback redirect, token exchange; then SSO without prompts", async ({ page, baseURL }) => {
    test.setTimeout(120_000);
    // A public native client (RFC 8252): registered without a port, answered on whatever port it listens.
    const created = JSON.parse(
      await authly(
        "clients", "create", "--name", "E2E Native App", "--type", "public", "--native",
        "--redirect-uri", "http://127.0.0.1/callback",
        "--grant-types", "authorization_code,refresh_token", "--scopes", "openid profile email", "--json",
      ),
    ) as { client_id: string };
    const clientId = created.client_id;
    const loopback = await startLoopbackServer();
    const visited: string[] = [];
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) visited.push(new URL(frame.url()).pathname);
    });

    try {
      // 1. The app sends the browser to the authorization endpoint.
      const { verifier, challenge } = pkcePair();
      const state = randomBytes(16).toString("base64url");
      const authorizeUrl = (extra: Record<string, string> = {}) =>
        `/oauth/authorize?${new URLSearchParams({
          client_id: clientId,
          response_type: "code",
          redirect_uri: loopback.redirectUri,
          scope: "openid profile",
          state,
          code_challenge: challenge,
          code_challenge_method: "S256",
          ...extra,
        })}`;
      let callback = loopback.next();
      await page.goto(authorizeUrl());

      // 2. The login page names the client and asks for email and password.
      await expect(page).toHaveURL(/\/login\?interaction=[A-Za-z0-9_-]{43}$/);
      await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
      await expect(page.getByText("E2E Native App").first()).toBeVisible();
      await page.screenshot({ path: ".tmp/screenshots/login.png", fullPage: true });

      // A wrong password: one message that does not say which part was wrong.
      await page.getByLabel("Email").fill(ADMIN_EMAIL);
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("alert").filter({ hasText: /\S/ })).toHaveText("Wrong email or password.");
      await page.screenshot({ path: ".tmp/screenshots/login-error.png", fullPage: true });

      await page.getByLabel("Email").fill(ADMIN_EMAIL);
      await page.getByLabel("Password").fill(ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();

      // 3. Consent: the client and the requested scopes; Allow.
      await expect(page).toHaveURL(/\/consent\?interaction=/);
      await expect(page.getByRole("heading", { name: "Allow access" })).toBeVisible();
      await expect(page.getByText("E2E Native App wants to use your Authly account.")).toBeVisible();
      await expect(page.getByText("See your name and basic profile")).toBeVisible();
      await expect(page.getByText(`Signed in as ${ADMIN_EMAIL}`)).toBeVisible();
      await page.screenshot({ path: ".tmp/screenshots/consent.png", fullPage: true });
      await page.getByRole("button", { name: "Allow" }).click();

      // 4. The code arrives at the loopback server with state and iss (RFC 9207).
      const first = await callback;
      expect(first.method).toBe("GET");
      expect(first.params.get("state")).toBe(state);
      expect(first.params.get("iss")).toBe(baseURL);
      const code = first.params.get("code");
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      await expect(page).toHaveURL(new RegExp(`^${loopback.redirectUri.replace(/[.:/]/g, "\\$&")}\\?`));

      // 5. The app exchanges the code (public client: client_id, no secret; PKCE verifier).
      const exchange = async (c: string, v: string) => {
        const response = await fetch(`${baseURL}/oauth/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "authorization_code", code: c, redirect_uri: loopback.redirectUri, code_verifier: v, client_id: clientId }),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      const tokens = await exchange(code!, verifier);
      expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
      expect(tokens.body.access_token).toEqual(expect.any(String));
      expect(String(tokens.body.token_type).toLowerCase()).toBe("bearer");
      // Single use: the same code again is refused.
      expect((await exchange(code!, verifier)).body.error).toBe("invalid_grant");

      // 6. Same browser again: the session and the remembered grant skip login and consent.
      visited.length = 0;
      const second = pkcePair();
      callback = loopback.next();
      await page.goto(`/oauth/authorize?${new URLSearchParams({
        client_id: clientId,
        response_type: "code",
        redirect_uri: loopback.redirectUri,
        scope: "openid profile",
        state: "second",
        code_challenge: second.challenge,
        code_challenge_method: "S256",
      })}`);
      const again = await callback;
      expect(again.params.get("state")).toBe("second");
      expect(visited.some((p) => p === "/login" || p === "/consent")).toBe(false);
      expect((await exchange(again.params.get("code")!, second.verifier)).status).toBe(200);

      // 7. response_mode=form_post: the auto-submitting form works under the page's CSP.
      const third = pkcePair();
      callback = loopback.next();
      await page.goto(`/oauth/authorize?${new URLSearchParams({
        client_id: clientId,
        response_type: "code",
        response_mode: "form_post",
        redirect_uri: loopback.redirectUri,
        scope: "openid",
        state: "third",
        code_challenge: third.challenge,
        code_challenge_method: "S256",
      })}`);
      const posted = await callback;
      expect(posted.method).toBe("POST");
      expect(posted.params.get("state")).toBe("third");
      expect(posted.params.get("iss")).toBe(baseURL);
      expect((await exchange(posted.params.get("code")!, third.verifier)).status).toBe(200);
    } finally {
      await loopback.close();
    }
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("sign-in and consent are plain form posts; form_post shows its Continue button", async ({ page, baseURL }) => {
      test.setTimeout(120_000);
      const created = JSON.parse(
        await authly(
          "clients", "create", "--name", "No-JS App", "--type", "public", "--native",
          "--redirect-uri", "http://127.0.0.1/callback", "--grant-types", "authorization_code", "--scopes", "openid email", "--json",
        ),
      ) as { client_id: string };
      const loopback = await startLoopbackServer();
      try {
        const { challenge } = pkcePair();
        const callback = loopback.next();
        await page.goto(`/oauth/authorize?${new URLSearchParams({
          client_id: created.client_id,
          response_type: "code",
          response_mode: "form_post",
          redirect_uri: loopback.redirectUri,
          scope: "openid email",
          state: "nojs",
          code_challenge: challenge,
          code_challenge_method: "S256",
        })}`);
        await expect(page).toHaveURL(/\/login\?interaction=/);
        await page.getByLabel("Email").fill(ADMIN_EMAIL);
        await page.getByLabel("Password").fill("wrong-password-123");
        await page.getByRole("button", { name: "Sign in" }).click();
        await expect(page.getByText("Wrong email or password.")).toBeVisible();
        await page.getByLabel("Email").fill(ADMIN_EMAIL);
        await page.getByLabel("Password").fill(ADMIN_PASSWORD);
        await page.getByRole("button", { name: "Sign in" }).click();
        await expect(page).toHaveURL(/\/consent\?interaction=/);
        await expect(page.getByText("See your email address")).toBeVisible();
        await page.getByRole("button", { name: "Allow" }).click();
        // form_post without JavaScript: the user presses Continue.
        await page.getByRole("button", { name: "Continue" }).click();
        const posted = await callback;
        expect(posted.method).toBe("POST");
        expect(posted.params.get("state")).toBe("nojs");
        expect(posted.params.get("iss")).toBe(baseURL);
        expect(posted.params.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      } finally {
        await loopback.close();
      }
    });
  });

  test("an unknown client gets an error page, never a redirect", async ({ page }) => {
    const response = await page.goto(
      `/oauth/authorize?${new URLSearchParams({ client_id: "unknown", response_type: "code", redirect_uri: "https://evil.example.com/cb" })}`,
    );
    expect(response?.status()).toBe(400);
    expect(new URL(page.url()).host).toBe(new URL(test.info().project.use.baseURL!).host);
    await expect(page.getByRole("heading", { name: "This sign-in request cannot be completed" })).toBeVisible();
    await page.screenshot({ path: ".tmp/screenshots/authorize-error.png", fullPage: true });
  });
});
