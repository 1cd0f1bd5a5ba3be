// The servers under load: Authly started the way users start it (`node scripts/start.mjs`), and the
// reference server (node-oidc-provider); the benchmark client created with Authly's CLI; the
// throw-away PostgreSQL schema.
import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { listeningPid, processTree } from "./cpu.mjs";
import { findMember, parseJsonOutput } from "./http.mjs";
import { AUTHLY_PORT, PEER_PORT } from "./options.mjs";
import { fail, sleep } from "./processes.mjs";

const HEALTH_TIMEOUT_MS = 240_000;
const PEER_TIMEOUT_MS = 30_000;
const PEER_SCRIPT = "oidc-provider-server.mjs";

export function tail(file, lines = 40) {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

export function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(true);
    });
  });
}

async function waitHttp(bench, url, { timeoutMs, child, logFile, what, expectStatus = 200, onTick }) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    bench.supervisor.checkInterrupted();
    if (child.exitCode !== null || child.signalCode !== null) {
      fail(`${what} exited (${child.exitCode ?? child.signalCode}) before answering ${url}. Its output (${logFile}):\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === expectStatus) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    onTick?.();
    await sleep(500);
  }
  fail(`${what} did not answer ${url} with ${expectStatus} within ${timeoutMs / 1000} s (last: ${last}). Its output (${logFile}):\n${tail(logFile)}`);
}

/** The pid whose CPU we measure: the process (in the child's tree) that listens on the port. */
function serverPid(child, port, what) {
  const pid = listeningPid(port, processTree(child.pid));
  if (!pid) fail(`cannot find the process of ${what} listening on port ${port} among pid ${child.pid} and its descendants`);
  return pid;
}

/** Starts Authly with `node scripts/start.mjs` (which builds first when the sources changed). */
export async function startAuthly(bench, database) {
  const { supervisor, say, repoRoot } = bench;
  if (await portInUse(AUTHLY_PORT)) fail(`port ${AUTHLY_PORT} is already in use: stop whatever listens there (the bench starts its own Authly on it)`);
  const workDir = mkdtempSync(path.join(os.tmpdir(), "authly-bench-"));
  supervisor.onCleanup(() => rmSync(workDir, { recursive: true, force: true }));
  const dataDir = path.join(workDir, "data");
  mkdirSync(dataDir);
  const logFile = path.join(workDir, "server.log");
  const issuer = `http://127.0.0.1:${AUTHLY_PORT}`;
  const env = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    HOST: "127.0.0.1",
    PORT: String(AUTHLY_PORT),
    AUTHLY_ISSUER: issuer,
    AUTHLY_DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    // The schema's maximum: the load is never throttled, but the limiter still runs per request.
    AUTHLY_RATE_LIMIT_PER_IP: "100000000",
    AUTHLY_RATE_LIMIT_PER_CLIENT: "100000000",
  };
  delete env.DATABASE_URL;
  if (database.kind === "postgres") {
    env.DATABASE_URL = database.url;
    // Production with PostgreSQL requires a master key; the schema is fresh, so any key will do
    // (64 hex characters are one of the accepted formats).
    env.AUTHLY_MASTER_KEY ||= randomBytes(32).toString("hex");
  }

  say(`Starting Authly (${database.kind === "postgres" ? `PostgreSQL, schema ${database.schema}` : "embedded database"}) on ${issuer}: node scripts/start.mjs (builds first when sources changed; log: ${logFile})`);
  const started = Date.now();
  const child = supervisor.spawnServer(process.execPath, ["scripts/start.mjs"], { cwd: repoRoot, env, logFile });
  let saidBuilding = false;
  await waitHttp(bench, `${issuer}/api/health`, {
    timeoutMs: HEALTH_TIMEOUT_MS,
    child,
    logFile,
    what: "Authly",
    onTick: () => {
      if (!saidBuilding && /Building the application/.test(tail(logFile, 200))) {
        saidBuilding = true;
        say("  building the application (next build and the compiled server)...");
      }
    },
  });
  const pid = serverPid(child, AUTHLY_PORT, "Authly");
  say(`  ready in ${((Date.now() - started) / 1000).toFixed(1)} s (listening pid ${pid}${pid === child.pid ? ", the start.mjs process itself" : `, child of start.mjs pid ${child.pid}`})`);
  return { kind: "authly", name: "Authly", child, pid, base: issuer, env, logFile, issuer };
}

const hasOidcProvider = (dir) => existsSync(path.join(dir, "node_modules", "oidc-provider", "package.json"));

/** The reference server's own files (no node_modules), sorted, and a hash of their names and contents. */
function peerSources(dir) {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
  const hash = createHash("sha256");
  for (const f of files) hash.update(f).update("\0").update(readFileSync(path.join(dir, f))).update("\0");
  return { files, hash: hash.digest("hex").slice(0, 16) };
}

/**
 * Where the reference server runs from: --peer-dir itself when its dependencies are installed there;
 * otherwise (the shared folder is read-only) a copy under ~/.cache/authly-bench-peer/<hash of its
 * files>, installed once with `npm install` from the npm registry and reused by later runs.
 */
export async function preparePeer(bench, peerDir) {
  const { supervisor, say } = bench;
  const script = path.join(peerDir, PEER_SCRIPT);
  const setup = `The reference server is node-oidc-provider with a client_credentials client: a folder with ${PEER_SCRIPT} and its package.json (see docs/benchmarks.md). Pass --peer-dir <folder> where it is.`;
  if (!existsSync(script)) fail(`the reference server is missing: ${script} does not exist.\n${setup}`);
  if (!/process\.env\.PORT/.test(readFileSync(script, "utf8"))) fail(`${script} does not read its port from the PORT environment variable; edit your copy so that it listens on Number(process.env.PORT ?? 3100).`);
  if (hasOidcProvider(peerDir)) return { dir: peerDir, script };

  const { files, hash } = peerSources(peerDir);
  const cacheRoot = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "authly-bench-peer");
  const dir = path.join(cacheRoot, hash);
  if (!hasOidcProvider(dir)) {
    say(`Installing the reference server from ${peerDir} into ${dir} (once: npm install)...`);
    const staging = `${dir}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    supervisor.onCleanup(() => rmSync(staging, { recursive: true, force: true }));
    for (const f of files) cpSync(path.join(peerDir, f), path.join(staging, f));
    const npm = await supervisor.run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: staging, timeoutMs: 600_000 });
    if (npm.code !== 0 || !hasOidcProvider(staging)) fail(`npm install of the reference server failed in ${staging} (exit ${npm.code}):\n${(npm.stdout + npm.stderr).trim().slice(-2000)}\n${setup}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  }
  return { dir, script: path.join(dir, PEER_SCRIPT) };
}

/** Starts the reference server prepared by preparePeer. */
export async function startPeer(bench, { dir, script }) {
  const { supervisor, say } = bench;
  if (await portInUse(PEER_PORT)) fail(`port ${PEER_PORT} is already in use: stop whatever listens there (the bench starts the reference server on it)`);
  const workDir = mkdtempSync(path.join(os.tmpdir(), "authly-bench-peer-"));
  supervisor.onCleanup(() => rmSync(workDir, { recursive: true, force: true }));
  const logFile = path.join(workDir, "peer.log");
  const base = `http://127.0.0.1:${PEER_PORT}`;
  say(`Starting the reference server (node-oidc-provider) on ${base}: node ${script}`);
  const env = { ...process.env, PORT: String(PEER_PORT), NODE_ENV: "production" };
  const child = supervisor.spawnServer(process.execPath, [script], { cwd: dir, env, logFile });
  await waitHttp(bench, `${base}/.well-known/openid-configuration`, { timeoutMs: PEER_TIMEOUT_MS, child, logFile, what: "the reference server" });
  const pid = serverPid(child, PEER_PORT, "the reference server");
  let version = "?";
  try {
    version = JSON.parse(readFileSync(path.join(dir, "node_modules", "oidc-provider", "package.json"), "utf8")).version;
  } catch {
    /* unknown */
  }
  say(`  ready (pid ${pid}, oidc-provider ${version})`);
  return { kind: "peer", name: `oidc-provider ${version}`, child, pid, base, logFile, issuer: base, version };
}

function authlyCli(bench, server, args) {
  return bench.supervisor.run(process.execPath, [path.join(bench.repoRoot, "bin", "authly.js"), ...args], { cwd: bench.repoRoot, env: server.env, timeoutMs: 120_000 });
}

/** Creates scope `api` and a confidential client_credentials client with the CLI while Authly runs. */
export async function createAuthlyClient(bench, server) {
  const help = await authlyCli(bench, server, ["help"]);
  const helpText = help.stdout + help.stderr;
  const missing = [];
  if (!/scopes\s+create/.test(helpText)) missing.push("`authly scopes create`");
  if (!/--resource/.test(helpText)) missing.push("`authly clients create --resource`");
  if (missing.length) fail(`this version of the Authly CLI has no ${missing.join(" and no ")} yet (see \`node bin/authly.js help\`); the token workloads need them. Run the other workloads with --only jwks,discovery.`);

  const scope = await authlyCli(bench, server, ["scopes", "create", "--name", "api", "--json"]);
  if (scope.code !== 0 && !/exist/i.test(scope.stdout + scope.stderr)) {
    fail(`\`authly scopes create --name api --json\` failed (exit ${scope.code}):\n${(scope.stdout + scope.stderr).trim()}`);
  }
  const args = ["clients", "create", "--name", "bench", "--type", "confidential", "--grant-types", "client_credentials", "--scopes", "api", "--resource", "urn:bench:api", "--json"];
  const created = await authlyCli(bench, server, args);
  if (created.code !== 0) fail(`\`authly ${args.join(" ")}\` failed (exit ${created.code}):\n${(created.stdout + created.stderr).trim()}`);
  const json = parseJsonOutput(created.stdout);
  const clientId = findMember(json, ["client_id", "clientId"]);
  const clientSecret = findMember(json, ["client_secret", "clientSecret", "secret"]);
  if (!clientId || !clientSecret) fail(`cannot find client_id and client_secret in the output of \`authly ${args.join(" ")}\`:\n${created.stdout.trim()}`);
  return { clientId, clientSecret };
}

export async function dropSchema(url, schema) {
  const u = new URL(url);
  u.searchParams.delete("schema");
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', '""')}" CASCADE`);
  } finally {
    await client.end();
  }
}
