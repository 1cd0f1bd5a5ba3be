/**
 * Shared pieces of the browser tests: the CLI against the running server, a relying party's
 * loopback redirect target, PKCE, signing in, and the accessibility scan.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

const run = promisify(execFile);
export const DATA_DIR = ".tmp/e2e-data";
export const ADMIN_EMAIL = "admin@example.com";
export const ADMIN_PASSWORD = "e2e-admin-password-1";
/** The SMTP listener the e2e server sends mail to (playwright.config.ts sets SMTP_URL). */
export const SMTP_PORT = 3125;

/** Runs the `authly` CLI against the running server's embedded database (over its control socket). */
export async function authly(...argv: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["bin/authly.js", ...argv], {
    env: { ...process.env, AUTHLY_DATA_DIR: DATA_DIR, LOG_LEVEL: "warn" },
    timeout: 60_000,
  });
  return stdout;
}

/** Creates a user with a password; returns its email. */
export async function createUser(prefix: string, password: string): Promise<string> {
  const email = `${prefix}-${randomBytes(4).toString("hex")}@example.com`;
  await authly("users", "create", "--email", email, "--password", password, "--name", "Erika Mustermann", "--json");
  return email;
}

export function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface Callback {
  method: string;
  params: URLSearchParams;
}

/** A relying party's loopback redirect target (RFC 8252 §7.3): records each callback it receives. */
export async function startLoopbackServer() {
  const received: Callback[] = [];
  const waiters: ((c: Callback) => void)[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname !== "/callback") {
        res.writeHead(404).end();
        return;
      }
      const callback = { method: req.method ?? "GET", params: req.method === "POST" ? new URLSearchParams(body) : url.searchParams };
      received.push(callback);
      waiters.shift()?.(callback);
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><html lang=en><title>Signed in</title><h1>You can close this window.</h1></html>");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    received,
    next: () => new Promise<Callback>((resolve) => waiters.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Registers a public native client with the loopback redirect; returns its client_id. */
export async function createNativeClient(name: string, scopes: string, extra: string[] = []): Promise<string> {
  const created = JSON.parse(
    await authly(
      "clients", "create", "--name", name, "--type", "public", "--native",
      "--redirect-uri", "http://127.0.0.1/callback",
      "--grant-types", "authorization_code,refresh_token", "--scopes", scopes, ...extra, "--json",
    ),
  ) as { client_id: string };
  return created.client_id;
}

/** The authorization request URL for a client (code flow, PKCE S256). */
export function authorizeUrl(clientId: string, redirectUri: string, scope: string, extra: Record<string, string> = {}): string {
  const { challenge } = pkcePair();
  return `/oauth/authorize?${new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope,
    state: randomBytes(8).toString("base64url"),
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  })}`;
}

/** Fills the sign-in form (labels "Email", "Password", button "Sign in") and submits it. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * axe-core accessibility scan (WCAG 2.1 A and AA rules): no serious or critical violations.
 * Runs in the page as it is (light or dark theme, whichever the context emulates).
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    serious.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`),
    `accessibility of ${what}`,
  ).toEqual([]);
}

/** A full-page screenshot under .tmp/screenshots, named after the page and the colour scheme. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const scheme = await page.evaluate(() => (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));
  await page.screenshot({ path: `.tmp/screenshots/${name}-${scheme}.png`, fullPage: true });
}
