/**
 * The production server process itself (server.ts), started here on its own port and its own
 * embedded database from the build that `npm start` made for the other specs:
 *
 * 1. who the client is on the page door: a forged X-Forwarded-For changes neither the per-address
 *    sign-in lockout nor the address in session and audit rows; audit rows carry the response's
 *    request id;
 * 2. requests Node's HTTP parser refuses are answered with the security headers;
 * 3. SIGTERM: keep-alive connections do not hold the stop, a request in flight is answered with
 *    `Connection: close`, the database is closed (lock file gone, folder readable by another
 *    process) and the exit code is 0, within seconds.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./support/e2e";

const run = promisify(execFile);
const PASSWORD = "correct-horse-battery-1";
/** A lower per-address lockout than the default 100, so a spray from one address reaches it. */
const IP_LOCKOUT_AFTER = 3;

interface ServerProcess {
  child: ChildProcess;
  port: number;
  base: string;
  dataDir: string;
  stdout: () => string;
  /** Resolves with the first stdout line containing `text`. */
  waitForLog(text: string): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function startServer(): Promise<ServerProcess> {
  mkdirSync(".tmp", { recursive: true });
  const dataDir = mkdtempSync(path.resolve(".tmp/e2e-process-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      AUTHLY_APP_ROOT: process.cwd(),
      HOST: "127.0.0.1",
      PORT: String(port),
      AUTHLY_ISSUER: base,
      AUTHLY_DATA_DIR: dataDir,
      AUTHLY_ADMIN_EMAIL: "admin@example.com",
      AUTHLY_ADMIN_PASSWORD: "e2e-admin-password-1",
      AUTHLY_LOGIN_IP_LOCKOUT_AFTER: String(IP_LOCKOUT_AFTER),
      AUTHLY_TRUST_PROXY: "false",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const waiters: { text: string; resolve: (line: string) => void }[] = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    for (const waiter of [...waiters]) {
      const line = out.split("\n").find((l) => l.includes(waiter.text));
      if (line) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const server: ServerProcess = {
    child,
    port,
    base,
    dataDir,
    stdout: () => out,
    waitForLog: (text) =>
      new Promise((resolve, reject) => {
        const line = out.split("\n").find((l) => l.includes(text));
        if (line) return resolve(line);
        waiters.push({ text, resolve });
        void exited.then(({ code }) => reject(new Error(`server exited (${code}) before logging "${text}"\n${out}\n${err}`)));
      }),
    exited,
  };
  await server.waitForLog("Authly is listening");
  return server;
}

/** GET over a keep-alive agent; returns the answer and the socket it came on. */
function get(port: number, agent: http.Agent, pathname: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; socketClosed: Promise<void> }>((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: pathname, agent }, (response) => {
        const socket = response.socket;
        const socketClosed = new Promise<void>((done) => (socket.destroyed ? done() : socket.once("close", () => done())));
        response.resume().on("end", () => resolve({ status: response.statusCode!, headers: response.headers, socketClosed }));
      })
      .on("error", reject);
  });
}

/** Raw bytes in, everything the server answers until it closes the connection. */
function rawExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let raw = "";
    socket.setEncoding("latin1").on("data", (d: string) => (raw += d));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(raw));
    socket.write(payload);
  });
}

function headerFields(raw: string): { status: number; fields: Map<string, string> } {
  const [statusLine = "", ...lines] = raw.split("\r\n\r\n")[0]!.split("\r\n");
  return {
    status: Number(statusLine.split(" ")[1]),
    fields: new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()])),
  };
}

/** One sign-in on /login and the server action's response. */
async function attemptSignIn(page: Page, email: string, password: string) {
  const answered = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login");
  await signIn(page, email, password);
  return answered;
}

test.describe.configure({ mode: "serial", timeout: 180_000 });

test.describe("the production server process", () => {
  let server: ServerProcess;
  let email = "";
  /** The X-Request-Id of the successful sign-in's server action response. */
  let signInRequestId = "";

  test.beforeAll(async () => {
    server = await startServer();
    email = `process-${randomBytes(4).toString("hex")}@example.com`;
    await run(process.execPath, ["bin/authly.js", "users", "create", "--email", email, "--password", PASSWORD, "--json"], {
      env: { ...process.env, AUTHLY_DATA_DIR: server.dataDir, LOG_LEVEL: "warn" },
      timeout: 60_000,
    });
  });

  test.afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
  });

  test("a forged X-Forwarded-For is not the address pages record", async ({ browser }) => {
    const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": "203.0.113.7" } });
    const page = await context.newPage();
    await page.goto(`${server.base}/login`);
    const response = await attemptSignIn(page, email, PASSWORD);
    await expect(page).toHaveURL(/\/account$/);
    signInRequestId = (await response.headerValue("x-request-id")) ?? "";
    expect(signInRequestId).toMatch(/^[0-9a-f-]{36}$/);

    await page.goto(`${server.base}/account/sessions`);
    const sessions = page.getByTestId("session-list");
    await expect(sessions).toContainText("127.0.0.1");
    await expect(sessions).not.toContainText("203.0.113.7");
    await context.close();
  });

  test("rotating X-Forwarded-For does not escape the per-address sign-in lockout", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.base}/login`);
    const alert = page.locator("#login-error, [role=alert]").filter({ hasText: /Wrong email or password|Too many failed attempts/ }).first();
    // A password spray: another account and another claimed address for every attempt.
    const messages: string[] = [];
    for (let attempt = 1; attempt <= IP_LOCKOUT_AFTER; attempt++) {
      await page.setExtraHTTPHeaders({ "x-forwarded-for": `198.51.100.${attempt}` });
      await attemptSignIn(page, `spray-${attempt}-${randomBytes(3).toString("hex")}@example.com`, `guess-${attempt}`);
      await expect(alert).toHaveText(/Wrong email or password\.|Too many failed attempts/);
      messages.push(await alert.innerText());
    }
    expect(messages.slice(0, IP_LOCKOUT_AFTER - 1)).toEqual(Array(IP_LOCKOUT_AFTER - 1).fill("Wrong email or password."));
    expect(messages.at(-1)).toMatch(/^Too many failed attempts\. Try again in 1[45] minutes\.$/);

    // The address is locked: even the right password, under yet another claimed address, is refused.
    await page.setExtraHTTPHeaders({ "x-forwarded-for": "192.0.2.200" });
    await attemptSignIn(page, email, PASSWORD);
    await expect(alert).toContainText("Too many failed attempts");
    await expect(page).toHaveURL(/\/login/);
    await context.close();
  });

  test("requests the HTTP parser refuses get the security headers", async () => {
    const oversized = headerFields(await rawExchange(server.port, `GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${"a".repeat(20 * 1024)}\r\n\r\n`));
    const garbage = headerFields(await rawExchange(server.port, "GARBAGE\r\n\r\n"));
    expect(oversized.status).toBe(431);
    expect(garbage.status).toBe(400);
    for (const { fields } of [oversized, garbage]) {
      expect(fields.get("x-content-type-options")).toBe("nosniff");
      expect(fields.get("x-frame-options")).toBe("DENY");
      expect(fields.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(fields.get("referrer-policy")).toBe("no-referrer");
      expect(fields.get("connection")).toBe("close");
      expect(fields.get("content-length")).toMatch(/^\d+$/);
    }
  });

  test("SIGTERM: keep-alive connections do not hold the stop, a request in flight gets Connection: close, exit 0", async () => {
    const { port } = server;
    // Idle keep-alive connections on both doors (the route table and Next.js).
    const protocolIdle = await get(port, new http.Agent({ keepAlive: true }), "/api/health");
    const pageIdle = await get(port, new http.Agent({ keepAlive: true }), "/login");
    expect([protocolIdle.status, pageIdle.status]).toEqual([200, 200]);
    expect([protocolIdle.headers.connection, pageIdle.headers.connection]).toEqual(["keep-alive", "keep-alive"]);

    // A request in flight: its headers are in (the server said 100 Continue just before running
    // the handler, RFC 9110 §10.1.1), its body is not.
    const body = "grant_type=client_credentials&client_id=nobody";
    const inFlight = net.connect(port, "127.0.0.1");
    let answer = "";
    inFlight.setEncoding("latin1").on("data", (d: string) => (answer += d));
    const inFlightClosed = new Promise<void>((resolve) => inFlight.on("close", () => resolve()).on("error", () => undefined));
    const continued = new Promise<void>((resolve) => inFlight.on("data", () => answer.includes("100 Continue\r\n\r\n") && resolve()));
    inFlight.write(
      `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await continued;

    const signalledAt = Date.now();
    server.child.kill("SIGTERM");
    await server.waitForLog("shutting down");
    // Closed by the server at once, not after keepAliveTimeout.
    await Promise.all([protocolIdle.socketClosed, pageIdle.socketClosed]);
    inFlight.write(body);
    await inFlightClosed;
    const final = headerFields(answer.slice(answer.indexOf("\r\n\r\n") + 4));
    expect(final.status).toBe(401);
    expect(final.fields.get("connection")).toBe("close");
    expect(final.fields.get("x-content-type-options")).toBe("nosniff");

    const exit = await server.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    // The old stop waited for the 10 s force-exit; this bound has a wide margin over the ~1 s it takes.
    expect(exit.at - signalledAt).toBeLessThan(5_000);
    expect(server.stdout()).toContain('"msg":"shut down"');
    // The embedded database was closed: its lock file and the CLI's control socket are gone.
    expect(existsSync(path.join(server.dataDir, "authly.lock"))).toBe(false);
    expect(existsSync(path.join(server.dataDir, "authly.sock"))).toBe(false);
  });

  test("session and audit rows hold the socket's address and the response's request id", async () => {
    expect(server.child.exitCode).toBe(0);
    // Another process opens the folder the server closed, and reads what the server wrote.
    const script = `
      const { openEmbedded } = await import("./lib/db/embedded.ts");
      const db = await openEmbedded(process.env.DATA_DIR);
      const sessions = await db.prisma.session.findMany({ select: { ipAddress: true } });
      const audit = await db.prisma.auditEvent.findMany({ where: { type: { in: ["user.login", "login.address_locked"] } }, select: { type: true, outcome: true, ipAddress: true, requestId: true, targetType: true } });
      await db.close();
      process.stdout.write(JSON.stringify({ sessions, audit }));
    `;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, DATA_DIR: server.dataDir, LOG_LEVEL: "warn" },
      timeout: 60_000,
    });
    const { sessions, audit } = JSON.parse(stdout) as {
      sessions: { ipAddress: string | null }[];
      audit: { type: string; outcome: string; ipAddress: string | null; requestId: string | null; targetType: string | null }[];
    };
    expect(sessions).toEqual([{ ipAddress: "127.0.0.1" }]);
    const signedIn = audit.filter((e) => e.type === "user.login" && e.outcome === "success");
    expect(signedIn).toEqual([{ type: "user.login", outcome: "success", ipAddress: "127.0.0.1", requestId: signInRequestId, targetType: "session" }]);
    // Every failed attempt and the address lockout: the socket's address, each with a request id.
    const others = audit.filter((e) => e.outcome !== "success" || e.type !== "user.login");
    expect(others.map((e) => e.type)).toContain("login.address_locked");
    expect(others.length).toBeGreaterThanOrEqual(IP_LOCKOUT_AFTER + 1);
    for (const event of others) {
      expect(event.ipAddress).toBe("127.0.0.1");
      expect(event.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
