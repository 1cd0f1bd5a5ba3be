/**
 * The built artefact runs without the devDependencies (vitest project `artifact`).
 *
 * `node scripts/build.mjs --out DIR` builds when the sources changed and copies what a container
 * image holds into a temporary folder; `npm ci --omit=dev` installs the production dependencies
 * there (from the npm cache when it can). Then the compiled CLI and the compiled server run from that
 * folder on a fresh embedded database, every process with a hook that records each module it loads:
 * none may come from TypeScript tooling (tsx, typescript, esbuild, the Prisma CLI).
 *
 * `npm ci --omit=dev` still installs typescript, prisma and playwright: npm keeps a devDependency
 * that is also an optional peer of a production package (@prisma/client names prisma and typescript,
 * next names @playwright/test). They are on disk but never loaded, which is what the recording shows.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = process.cwd();
const work = mkdtempSync(path.join(os.tmpdir(), "authly-artifact-"));
const app = path.join(work, "app");
const dataDir = path.join(work, "data");
const loadedFile = path.join(work, "loaded.txt");
const recorder = path.join(work, "record-loads.cjs");

/** Modules no production process may load. */
const devTooling = /\/node_modules\/(typescript|tsx|esbuild|@esbuild|prisma|@prisma\/config)\//;

// Records the file of every CommonJS require and the URL of every ES module import, in this process
// and in every process or worker it starts (NODE_OPTIONS is inherited).
writeFileSync(
  recorder,
  `const Module = require("node:module");
const { appendFileSync } = require("node:fs");
const out = ${JSON.stringify(loadedFile)};
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  appendFileSync(out, file + "\\n");
  return file;
};
Module.register("data:text/javascript," + encodeURIComponent(
  'import { appendFileSync } from "node:fs";' +
  'export async function resolve(specifier, context, next) {' +
  '  const result = await next(specifier, context);' +
  '  appendFileSync(' + JSON.stringify(out) + ', result.url + "\\\\n");' +
  '  return result;' +
  '}'));
`,
);

/** The environment of the test process without npm's own variables (this may run under `npm test`). */
type Env = Record<string, string | undefined>;

function cleanEnv(extra: Record<string, string>): Env {
  const env: Env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== "NODE_OPTIONS" && k !== "NODE_ENV" && !k.startsWith("VITEST")) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], options: { cwd: string; env: Env; timeoutMs: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

let port = 0;
let issuer = "";
let server: ChildProcess | undefined;
let serverLog = "";
let runtimeEnv: Env = {};

const cli = (...argv: string[]) => run(process.execPath, ["bin/authly.js", ...argv], { cwd: app, env: runtimeEnv, timeoutMs: 120_000 });

async function waitForHealth(deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null) throw new Error(`the server exited (${server?.exitCode}):\n${serverLog}`);
    try {
      const res = await fetch(`${issuer}/api/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the server did not answer /api/health within ${deadlineMs / 1000} s:\n${serverLog}`);
}

describe("the built artefact (npm ci --omit=dev)", () => {
  beforeAll(async () => {
    const built = await run(process.execPath, ["scripts/build.mjs", "--out", app], { cwd: repoRoot, env: cleanEnv({ NEXT_TELEMETRY_DISABLED: "1" }), timeoutMs: 900_000 });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const installed = await run("npm", ["ci", "--omit=dev", "--ignore-scripts=false", "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: app,
      env: cleanEnv({}),
      timeoutMs: 900_000,
    });
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);

    port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    runtimeEnv = cleanEnv({
      NODE_ENV: "production",
      NODE_OPTIONS: `--require ${recorder}`,
      NEXT_TELEMETRY_DISABLED: "1",
      HOST: "127.0.0.1",
      PORT: String(port),
      AUTHLY_ISSUER: issuer,
      AUTHLY_DATA_DIR: dataDir,
      AUTHLY_ADMIN_EMAIL: "admin@example.com",
      AUTHLY_ADMIN_PASSWORD: "artifact-admin-password-1",
      LOG_LEVEL: "warn",
    });
    delete runtimeEnv.DATABASE_URL;
    delete runtimeEnv.REDIS_URL;
  }, 1_800_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGKILL");
      await new Promise((r) => server!.once("exit", r));
    }
    rmSync(work, { recursive: true, force: true });
  });

  it("holds no TypeScript source and no development tool the server could fall back on", () => {
    expect(existsSync(path.join(app, "dist", "server.js"))).toBe(true);
    expect(existsSync(path.join(app, "dist", "cli.js"))).toBe(true);
    expect(existsSync(path.join(app, "server.ts"))).toBe(false);
    expect(existsSync(path.join(app, "lib"))).toBe(false);
    // devDependencies that no production package names as a peer are not installed at all.
    for (const pkg of ["tsx", "esbuild", "vitest", "eslint"]) expect(existsSync(path.join(app, "node_modules", pkg)), pkg).toBe(false);
  });

  it("the compiled CLI opens a fresh embedded database itself: migrations come from the artefact", async () => {
    const scope = await cli("scopes", "create", "--name", "api", "--json");
    expect(scope.code, scope.stderr).toBe(0);
    expect(JSON.parse(scope.stdout)).toMatchObject({ name: "api" });
    const users = await cli("users", "list", "--json");
    expect(users.code, users.stderr).toBe(0);
    expect((JSON.parse(users.stdout) as { email: string }[]).map((u) => u.email)).toEqual(["admin@example.com"]);
  });

  it("node dist/server.js serves health, discovery and a client_credentials token for a client the CLI creates", async () => {
    const child: ChildProcess = spawn(process.execPath, ["dist/server.js"], { cwd: app, env: runtimeEnv as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    server = child;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code: number | null) => resolve(code)));
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (serverLog += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (serverLog += d));
    await waitForHealth(180_000);

    const health = await fetch(`${issuer}/api/health`);
    expect(await health.json()).toEqual({ status: "ok" });

    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    const metadata = (await discovery.json()) as { issuer: string; token_endpoint: string; jwks_uri: string };
    expect(metadata.issuer).toBe(issuer);
    expect(metadata.token_endpoint).toBe(`${issuer}/oauth/token`);

    // A page rendered by the Next.js build of the artefact.
    const login = await fetch(`${issuer}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain("<html");

    // The server holds the embedded database: the CLI forwards this command over its control socket.
    const created = await cli("clients", "create", "--name", "Artefact", "--type", "confidential", "--grant-types", "client_credentials", "--scopes", "api", "--json");
    expect(created.code, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };

    const token = await fetch(metadata.token_endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: "Basic " + Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString("base64"),
      },
      body: "grant_type=client_credentials&scope=api",
    });
    const body = (await token.json()) as { access_token: string; token_type: string; scope: string };
    expect(token.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ token_type: "Bearer", scope: "api" });
    const jwks = (await (await fetch(metadata.jwks_uri)).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), { issuer });
    expect(payload.client_id).toBe(client.client_id);
    expect(decodeProtectedHeader(body.access_token).typ).toBe("at+jwt");

    // A clean stop: connections drained, the database closed.
    child.kill("SIGTERM");
    expect(await exited, serverLog).toBe(0);
  });

  it("no process loaded a module of the TypeScript tooling, though npm installed some of it", () => {
    const loaded = readFileSync(loadedFile, "utf8").split("\n").filter(Boolean);
    expect(loaded.some((f) => f.includes(path.join(app, "dist", "server.js")))).toBe(true);
    expect(loaded.some((f) => f.includes(path.join(app, "dist", "cli.js")))).toBe(true);
    expect(loaded.some((f) => f.includes("/node_modules/next/"))).toBe(true);
    expect(loaded.filter((f) => devTooling.test(f))).toEqual([]);
  });
});
