/**
 * OpenID Connect Session Management 1.0 in real Chromium: a relying party's page (served from a
 * tiny node:http server on another port) embeds Authly's check_session iframe and polls it with
 * `client_id + " " + session_state`, the session_state coming from a real code flow sign-in.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { expect, test, type Page } from "@playwright/test";

const run = promisify(execFile);
const dataDir = ".tmp/e2e-data";
const ADMIN_EMAIL = "admin@example.com";
const ADMIN_PASSWORD = "e2e-admin-password-1";
const BROWSER_STATE_COOKIE = "authly_browser_state";

/** Runs the `authly` CLI against the running server's embedded database. */
async function authly(...argv: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["bin/authly.js", ...argv], {
    env: { ...process.env, AUTHLY_DATA_DIR: dataDir, LOG_LEVEL: "warn" },
    timeout: 60_000,
  });
  return stdout;
}

/**
 * The relying party's page (Session Management 1.0 §3.1, with the RP iframe's logic in the page
 * itself): loads the OP iframe, posts a message to it and shows every answer in a list.
 * `window.check(label, message, waitMs)` resolves with the answer, or "no answer" after waitMs.
 */
function rpPage(opOrigin: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Relying party</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111827}h1{font-size:1.25rem}
ol{padding-left:1.5rem}li{font-family:ui-monospace,monospace;margin:.35rem 0}
.unchanged{color:#15803d}.changed{color:#b45309}.error{color:#b91c1c}.none{color:#6b7280}
</style></head>
<body><h1>Relying party at <span id="origin"></span></h1>
<p>OP iframe: <code id="src"></code></p>
<ol id="log"></ol>
<script>
const opOrigin = ${JSON.stringify(opOrigin)};
document.getElementById("origin").textContent = location.origin;
const frame = document.createElement("iframe");
frame.title = "OP check_session iframe";
frame.width = "0"; frame.height = "0"; frame.style.border = "0";
window.opLoaded = new Promise((resolve) => frame.addEventListener("load", resolve, { once: true }));
frame.src = opOrigin + "/oidc/check-session";
document.getElementById("src").textContent = frame.src;
document.body.append(frame);
const waiting = [];
window.addEventListener("message", (event) => {
  // §3.1: only answers from the OP iframe count.
  if (event.origin !== opOrigin || event.source !== frame.contentWindow) return;
  const next = waiting.shift();
  if (next) next(event.data);
});
window.check = async (label, message, waitMs = 10000) => {
  await window.opLoaded;
  const answer = await new Promise((resolve) => {
    const timer = setTimeout(() => { waiting.splice(waiting.indexOf(done), 1); resolve("no answer"); }, waitMs);
    const done = (data) => { clearTimeout(timer); resolve(data); };
    waiting.push(done);
    frame.contentWindow.postMessage(message, opOrigin);
  });
  const item = document.createElement("li");
  item.className = answer === "no answer" ? "none" : answer;
  item.textContent = label + ": " + answer;
  document.getElementById("log").append(item);
  return answer;
};
</script></body></html>`;
}

interface Callback {
  params: URLSearchParams;
}

/** A relying party on 127.0.0.1:<ephemeral port>: the RP page at /rp and the redirect URI at /callback. */
async function startRelyingParty(opOrigin: string) {
  const waiters: ((c: Callback) => void)[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/rp") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(rpPage(opOrigin));
    } else if (url.pathname === "/callback") {
      waiters.shift()?.({ params: url.searchParams });
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>Signed in</title><h1>Signed in</h1>");
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    redirectUri: `${origin}/callback`,
    page: `${origin}/rp`,
    next: () => new Promise<Callback>((resolve) => waiters.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type RelyingParty = Awaited<ReturnType<typeof startRelyingParty>>;

/** The authorization code flow in the browser; returns the session_state of the response. */
async function signIn(page: Page, rp: RelyingParty, clientId: string, options: { consent: boolean }): Promise<string> {
  const verifier = randomBytes(32).toString("base64url");
  const state = randomBytes(16).toString("base64url");
  const callback = rp.next();
  await page.goto(`/oauth/authorize?${new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: rp.redirectUri,
    scope: "openid profile",
    state,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  })}`);
  await expect(page).toHaveURL(/\/login\?interaction=/);
  await page.getByLabel("Email").fill(ADMIN_EMAIL);
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (options.consent) {
    await expect(page).toHaveURL(/\/consent\?interaction=/);
    await page.getByRole("button", { name: "Allow" }).click();
  }
  const { params } = await callback;
  // The browser has finished arriving at the callback page (so the next navigation is not racing it).
  await page.waitForURL((url) => url.href.startsWith(`${rp.redirectUri}?`), { waitUntil: "load" });
  expect(params.get("state")).toBe(state);
  expect(params.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const sessionState = params.get("session_state");
  // Session Management 1.0 §2: hex(SHA-256(...)) "." salt.
  expect(sessionState).toMatch(/^[0-9a-f]{64}\.[0-9a-f]+$/);
  return sessionState!;
}

test.describe("check_session iframe (Session Management 1.0) in a real browser", () => {
  test("a relying party's page polls the OP iframe: unchanged, then changed after another sign-in and after the cookie is gone", async ({ page, context, baseURL, request }) => {
    test.setTimeout(120_000);
    const opOrigin = new URL(baseURL!).origin;
    const rp = await startRelyingParty(opOrigin);
    const stranger = await startRelyingParty(opOrigin);
    try {
      const clientId = (
        JSON.parse(
          await authly(
            "clients", "create", "--name", "E2E Session App", "--type", "public",
            "--redirect-uri", rp.redirectUri, "--grant-types", "authorization_code", "--scopes", "openid profile", "--json",
          ),
        ) as { client_id: string }
      ).client_id;

      // The iframe's own policy names the new client's origin at once; nothing else may frame it.
      const iframe = await request.get("/oidc/check-session");
      expect(iframe.status()).toBe(200);
      const ancestors = /frame-ancestors ([^;]+)/.exec(iframe.headers()["content-security-policy"] ?? "")?.[1]?.split(" ") ?? [];
      expect(ancestors).toContain(rp.origin);
      expect(ancestors).not.toContain(stranger.origin);
      expect(iframe.headers()["x-frame-options"]).toBeUndefined();
      expect((await request.get("/api/health")).headers()["x-frame-options"]).toBe("DENY");

      // 1. Sign in through the code flow: the response carries session_state.
      const first = await signIn(page, rp, clientId, { consent: true });
      const cookieOf = async () => (await context.cookies(opOrigin)).find((c) => c.name === BROWSER_STATE_COOKIE);
      const firstCookie = await cookieOf();
      expect(firstCookie).toMatchObject({ httpOnly: false, sameSite: "None", secure: true });

      // 2. The RP page embeds the iframe and asks.
      await page.goto(rp.page);
      const check = (label: string, message: unknown, waitMs?: number) =>
        page.evaluate(([l, m, w]) => (window as unknown as { check(l: unknown, m: unknown, w?: number): Promise<string> }).check(l, m, w), [label, message, waitMs] as const);
      expect(await check("signed in", `${clientId} ${first}`)).toBe("unchanged");
      expect(await check("another client_id", `someone-else ${first}`)).toBe("changed");
      expect(await check("malformed message", "hello")).toBe("error");
      expect(await check("not a string", { client_id: clientId, session_state: first })).toBe("error");
      expect(await check("still signed in", `${clientId} ${first}`)).toBe("unchanged");

      // 3. In another tab the user signs in again as a new session (the old session cookie is
      //    gone, so the login page asks again; consent is remembered). The RP tab stays open.
      await context.clearCookies({ name: "authly_session" });
      const other = await context.newPage();
      const second = await signIn(other, rp, clientId, { consent: false });
      expect((await cookieOf())?.value).not.toBe(firstCookie?.value);
      await other.close();
      await expect.poll(() => check("old session_state after a new sign-in", `${clientId} ${first}`)).toBe("changed");
      expect(await check("new session_state", `${clientId} ${second}`)).toBe("unchanged");

      // 4. The browser state cookie disappears (what logout does): changed.
      await context.clearCookies({ name: BROWSER_STATE_COOKIE });
      await expect.poll(() => check("browser state cookie removed", `${clientId} ${second}`)).toBe("changed");
      await page.screenshot({ path: ".tmp/screenshots/check-session.png", fullPage: true });

      // 5. An origin that no client registered cannot embed the iframe at all (frame-ancestors).
      const blocked = await context.newPage();
      await blocked.goto(stranger.page);
      const opFrame = () => blocked.frames().find((f) => f !== blocked.mainFrame());
      await expect.poll(() => opFrame()?.url()).toMatch(/^chrome-error:/);
      const answer = await blocked.evaluate(() => (window as unknown as { check(l: string, m: string, w: number): Promise<string> }).check("unregistered origin", "x y", 1500));
      expect(answer).toBe("no answer");
      await blocked.screenshot({ path: ".tmp/screenshots/check-session-unregistered.png", fullPage: true });
      await blocked.close();
    } finally {
      await rp.close();
      await stranger.close();
    }
  });
});
