#!/usr/bin/env node
// `npm run bench`: load-test Authly's machine endpoints with wrk, against the production server
// started the way users start it (`node scripts/start.mjs`), and optionally side by side with a
// reference server (node-oidc-provider). See docs/benchmarks.md.
//
// Per workload and round: a 1 s warm-up run, then a measured run; req/s and p50/p99 latency come
// from wrk, server CPU per request from /proc/<pid>/stat (utime + stime of the listening process and
// its descendants, before and after the run, divided by the requests wrk completed).
import { execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, mkdirSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const luaScript = path.join(repoRoot, "scripts", "bench", "post.lua");
const AUTHLY_PORT = 3202;
const PEER_PORT = 3201;
const HEALTH_TIMEOUT_MS = 240_000;
const PEER_TIMEOUT_MS = 30_000;
const WARMUP = "1s";
const WORKLOAD_NAMES = ["client_credentials", "introspection", "jwks", "discovery"];
const DEFAULT_PEER_DIR = "/work/scratch/peer";

// ---------------------------------------------------------------------------------------------
// Options

const usage = `Usage: npm run bench -- [options]

  --rounds N            measured rounds per workload (default 3); the table shows the median
  --duration 5s         length of each measured wrk run (wrk syntax: 5s, 30s, 1m)
  --connections 32      wrk connections (one wrk thread)
  --only a,b            workloads to run: ${WORKLOAD_NAMES.join(", ")}
  --peer                also run the reference server (node-oidc-provider), alternating with Authly,
                        and print the ratios Authly/peer of the median req/s
  --peer-dir PATH       where the reference server is set up (default ${DEFAULT_PEER_DIR})
  --json                print a machine-readable summary on stdout (progress goes to stderr)

Authly runs on 127.0.0.1:${AUTHLY_PORT} with a fresh embedded database; when DATABASE_URL is set, the whole
run is repeated against PostgreSQL in a temporary schema. The peer runs on 127.0.0.1:${PEER_PORT}.`;

function fail(message) {
  const error = new Error(message);
  error.benchMessage = true;
  throw error;
}

let opts;
try {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      duration: { type: "string", default: "5s" },
      connections: { type: "string", default: "32" },
      only: { type: "string" },
      peer: { type: "boolean", default: false },
      "peer-dir": { type: "string", default: DEFAULT_PEER_DIR },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new Error(`--rounds: expected a whole number from 1 to 100 (got "${values.rounds}")`);
  if (!Number.isInteger(connections) || connections < 1 || connections > 10_000) throw new Error(`--connections: expected a whole number from 1 to 10000 (got "${values.connections}")`);
  if (!/^\d+(s|m|h)?$/.test(values.duration) || /^0+[smh]?$/.test(values.duration)) throw new Error(`--duration: expected a wrk duration such as 5s, 30s or 1m (got "${values.duration}")`);
  let workloads = WORKLOAD_NAMES;
  if (values.only !== undefined) {
    workloads = values.only.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = workloads.filter((w) => !WORKLOAD_NAMES.includes(w));
    if (unknown.length || workloads.length === 0) throw new Error(`--only: unknown workload ${unknown.join(", ") || "(none given)"}; choose from ${WORKLOAD_NAMES.join(", ")}`);
    workloads = WORKLOAD_NAMES.filter((w) => workloads.includes(w));
  }
  opts = { rounds, duration: values.duration, connections, workloads, peer: values.peer, peerDir: path.resolve(values["peer-dir"]), json: values.json };
} catch (error) {
  console.error(`bench: ${error.message}\n\n${usage}`);
  process.exit(2);
}

// With --json, stdout carries only the JSON summary.
const say = (line = "") => (opts.json ? process.stderr : process.stdout).write(line + "\n");

// ---------------------------------------------------------------------------------------------
// Child processes and cleanup

/** Every process group we started (servers), and running wrk/CLI processes. */
const children = new Set();
/** Cleanup steps (remove temp dirs, drop schemas), run once, last in first out. */
const cleanups = [];
let interrupted = false;

function track(child) {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function killTree(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Servers are started detached: each is the leader of its own process group (start.mjs may
    // be running `next build` in a child process).
    if (child.benchGroup) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    /* already gone */
  }
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child, ms = 10_000) {
  killTree(child, "SIGTERM");
  if (!(await waitExit(child, ms))) {
    killTree(child, "SIGKILL");
    await waitExit(child, 2_000);
  }
  // The group may still hold a grandchild (e.g. an interrupted `next build`).
  if (child.benchGroup) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      /* none left */
    }
  }
}

let cleanedUp = false;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  await Promise.all([...children].map((c) => stopChild(c, 10_000)));
  while (cleanups.length) {
    const step = cleanups.pop();
    try {
      await step();
    } catch (error) {
      process.stderr.write(`bench: cleanup: ${error.message}\n`);
    }
  }
}

// Last resort when the process exits without running cleanup (an uncaught throw in a callback).
process.on("exit", () => {
  for (const child of children) killTree(child, "SIGKILL");
});

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (interrupted) {
      // A second Ctrl-C: do not wait for graceful shutdowns.
      for (const child of children) killTree(child, "SIGKILL");
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, stopping the servers and cleaning up...\n`);
    void cleanup().then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

function checkInterrupted() {
  if (interrupted) fail("interrupted");
}

// ---------------------------------------------------------------------------------------------
// /proc helpers

const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && n > 0 ? n : 100;
})();

/** Fields of /proc/<pid>/stat after the command name (the name may hold spaces and parentheses). */
function procStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // rest[0] is field 3 (state): field n is rest[n - 3].
    return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
  } catch {
    return undefined;
  }
}

function allPids() {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
}

/** pid and all its live descendants. */
function processTree(rootPid) {
  const byParent = new Map();
  for (const pid of allPids()) {
    const st = procStat(pid);
    if (!st) continue;
    if (!byParent.has(st.ppid)) byParent.set(st.ppid, []);
    byParent.get(st.ppid).push(pid);
  }
  const out = [];
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift();
    out.push(pid);
    queue.push(...(byParent.get(pid) ?? []));
  }
  return out;
}

/** CPU time (user + system) of a process and its live descendants, in seconds. */
function cpuSeconds(rootPid) {
  let ticks = 0;
  for (const pid of processTree(rootPid)) {
    const st = procStat(pid);
    if (st) ticks += st.utime + st.stime;
  }
  return ticks / CLK_TCK;
}

/** The pid (within candidates) holding a TCP socket listening on `port`, found through /proc. */
function listeningPid(port, candidates) {
  const inodes = new Set();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A") continue; // 0A = LISTEN
      if (parseInt(f[1].split(":").pop(), 16) === port) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of candidates) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) return pid;
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return undefined;
}

function portInUse(port) {
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

// ---------------------------------------------------------------------------------------------
// Small utilities

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const basic = (id, secret) => "Basic " + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64");

function tail(file, lines = 40) {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function run(cmd, args, { env, cwd, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    track(execFile(cmd, args, { env, cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr), error });
    }));
  });
}

/** Parse JSON printed by a command, tolerating notices around it. */
function parseJsonOutput(text) {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    /* fall through */
  }
  for (const [open, close] of [["{", "}"], ["[", "]"]]) {
    const a = t.indexOf(open);
    const b = t.lastIndexOf(close);
    if (a >= 0 && b > a) {
      try {
        return JSON.parse(t.slice(a, b + 1));
      } catch {
        /* next */
      }
    }
  }
  return undefined;
}

/** First string value found under any of `keys`, searching nested objects too. */
function findMember(value, keys) {
  if (!value || typeof value !== "object") return undefined;
  for (const k of keys) if (typeof value[k] === "string" && value[k]) return value[k];
  for (const v of Object.values(value)) {
    const found = findMember(v, keys);
    if (found) return found;
  }
  return undefined;
}

async function httpRequest(url, { method = "GET", body, auth } = {}) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
  if (auth) headers.authorization = auth;
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

function jwtHeader(token) {
  try {
    const [h, p, s] = token.split(".");
    if (!h || !p || s === undefined) return undefined;
    return JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// wrk

let wrkVersion = "wrk";

async function checkWrk() {
  const r = await run("wrk", ["-v"], { timeoutMs: 10_000 });
  const text = r.stdout + r.stderr;
  if (r.error && r.error.code === "ENOENT") fail("wrk is not installed. Install it once with: apt-get install -y wrk");
  wrkVersion = (/wrk [^\s]+/.exec(text) ?? ["wrk"])[0];
}

const UNIT_US = { us: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };
const toUs = (s) => {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(s);
  return m ? Number(m[1]) * UNIT_US[m[2]] : NaN;
};

/** Numbers from wrk's text output (used when the Lua done() line is missing). */
function parseWrkText(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const requests = num(/(\d+) requests in/);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const p = (q) => {
    const m = new RegExp(`^\\s*${q}%\\s+([\\d.]+(?:us|ms|s|m|h))`, "m").exec(text);
    return m ? toUs(m[1]) : NaN;
  };
  return {
    requests: requests ?? 0,
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/) ?? 0,
    connect_errors: socket ? Number(socket[1]) : 0,
    read_errors: socket ? Number(socket[2]) : 0,
    write_errors: socket ? Number(socket[3]) : 0,
    timeouts: socket ? Number(socket[4]) : 0,
    p50_us: p(50),
    p99_us: p(99),
  };
}

/**
 * One wrk run against `url`. Returns req/s, latency percentiles, error counts and (when `pid` is
 * given) the server's CPU time per completed request.
 */
async function runWrk({ url, method, body, auth }, duration, pid) {
  checkInterrupted();
  const env = { ...process.env, METHOD: method, BODY: body ?? "", AUTH: auth ?? "", CTYPE: "application/x-www-form-urlencoded" };
  const seconds = toUs(duration) / 1e6 || Number(duration.replace(/\D/g, ""));
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const r = await run("wrk", ["-t1", `-c${opts.connections}`, `-d${duration}`, "--timeout", "10s", "--latency", "-s", luaScript, url], { env, timeoutMs: (seconds + 60) * 1000 });
  const cpuAfter = pid ? cpuSeconds(pid) : 0;
  checkInterrupted();
  if (r.code !== 0) fail(`wrk failed against ${url} (exit ${r.code}):\n${r.stderr || r.stdout}`);
  const line = /^BENCH_RESULT (\{.*\})$/m.exec(r.stdout);
  const res = line ? JSON.parse(line[1]) : parseWrkText(r.stdout);
  const rpsText = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const rps = line && res.duration_us > 0 ? res.requests / (res.duration_us / 1e6) : rpsText ? Number(rpsText[1]) : NaN;
  const socketErrors = res.connect_errors + res.read_errors + res.write_errors + res.timeouts;
  return {
    rps,
    requests: res.requests,
    p50Ms: res.p50_us / 1000,
    p99Ms: res.p99_us / 1000,
    non2xx: res.non2xx,
    socketErrors,
    cpuUsPerRequest: pid && res.requests > 0 ? ((cpuAfter - cpuBefore) * 1e6) / res.requests : NaN,
    cpuSeconds: pid ? cpuAfter - cpuBefore : NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// Servers

async function waitHttp(url, { timeoutMs, child, logFile, what, expectStatus = 200, onTick }) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    checkInterrupted();
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

function spawnServer(cmd, args, { cwd, env, logFile }) {
  const fd = openSync(logFile, "a");
  const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", fd, fd], detached: true });
  closeSync(fd);
  child.benchGroup = true;
  return track(child);
}

/** The pid whose CPU we measure: the process (in the child's tree) that listens on the port. */
function serverPid(child, port, what) {
  const pid = listeningPid(port, processTree(child.pid));
  if (!pid) fail(`cannot find the process of ${what} listening on port ${port} among pid ${child.pid} and its descendants`);
  return pid;
}

async function startAuthly(database) {
  if (await portInUse(AUTHLY_PORT)) fail(`port ${AUTHLY_PORT} is already in use: stop whatever listens there (the bench starts its own Authly on it)`);
  const workDir = mkdtempSync(path.join(os.tmpdir(), "authly-bench-"));
  cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));
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
  const child = spawnServer(process.execPath, ["scripts/start.mjs"], { cwd: repoRoot, env, logFile });
  let saidBuilding = false;
  await waitHttp(`${issuer}/api/health`, {
    timeoutMs: HEALTH_TIMEOUT_MS,
    child,
    logFile,
    what: "Authly",
    onTick: () => {
      if (!saidBuilding && /Building the application/.test(tail(logFile, 200))) {
        saidBuilding = true;
        say("  building the application (next build)...");
      }
    },
  });
  const pid = serverPid(child, AUTHLY_PORT, "Authly");
  say(`  ready in ${((Date.now() - started) / 1000).toFixed(1)} s (listening pid ${pid}${pid === child.pid ? ", the start.mjs process itself" : `, child of start.mjs pid ${child.pid}`})`);
  return { kind: "authly", name: "Authly", child, pid, base: issuer, env, logFile, issuer };
}

/** Fails with set-up instructions when --peer-dir does not hold a ready reference server. */
function checkPeerSetup() {
  const script = path.join(opts.peerDir, "oidc-provider-server.mjs");
  const setup = `Set it up once (outside the repository; needs the npm registry):\n  cp -r /work/shared/bench/peer ${opts.peerDir} && cd ${opts.peerDir} && npm install\nor pass --peer-dir <folder> where that is done.`;
  if (!existsSync(script)) fail(`the reference server is missing: ${script} does not exist.\n${setup}`);
  if (!existsSync(path.join(opts.peerDir, "node_modules", "oidc-provider", "package.json"))) fail(`the reference server's dependencies are not installed in ${opts.peerDir} (no node_modules/oidc-provider).\n${setup}`);
  if (!/process\.env\.PORT/.test(readFileSync(script, "utf8"))) fail(`${script} does not read its port from the PORT environment variable; edit your copy so that it listens on Number(process.env.PORT ?? 3100).`);
  return script;
}

async function startPeer() {
  const script = checkPeerSetup();
  if (await portInUse(PEER_PORT)) fail(`port ${PEER_PORT} is already in use: stop whatever listens there (the bench starts the reference server on it)`);
  const workDir = mkdtempSync(path.join(os.tmpdir(), "authly-bench-peer-"));
  cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));
  const logFile = path.join(workDir, "peer.log");
  const base = `http://127.0.0.1:${PEER_PORT}`;
  say(`Starting the reference server (node-oidc-provider) on ${base}: node ${script}`);
  const env = { ...process.env, PORT: String(PEER_PORT), NODE_ENV: "production" };
  const child = spawnServer(process.execPath, [script], { cwd: opts.peerDir, env, logFile });
  await waitHttp(`${base}/.well-known/openid-configuration`, { timeoutMs: PEER_TIMEOUT_MS, child, logFile, what: "the reference server" });
  const pid = serverPid(child, PEER_PORT, "the reference server");
  let version = "?";
  try {
    version = JSON.parse(readFileSync(path.join(opts.peerDir, "node_modules", "oidc-provider", "package.json"), "utf8")).version;
  } catch {
    /* unknown */
  }
  say(`  ready (pid ${pid}, oidc-provider ${version})`);
  return { kind: "peer", name: `oidc-provider ${version}`, child, pid, base, logFile, issuer: base, version };
}

// ---------------------------------------------------------------------------------------------
// Authly setup through the CLI

async function authlyCli(server, args) {
  const r = await run(process.execPath, [path.join(repoRoot, "bin", "authly.js"), ...args], { cwd: repoRoot, env: server.env, timeoutMs: 120_000 });
  return r;
}

async function createAuthlyClient(server) {
  const help = await authlyCli(server, ["help"]);
  const helpText = help.stdout + help.stderr;
  const missing = [];
  if (!/scopes\s+create/.test(helpText)) missing.push("`authly scopes create`");
  if (!/--resource/.test(helpText)) missing.push("`authly clients create --resource`");
  if (missing.length) fail(`this version of the Authly CLI has no ${missing.join(" and no ")} yet (see \`node bin/authly.js help\`); the token workloads need them. Run the other workloads with --only jwks,discovery.`);

  const scope = await authlyCli(server, ["scopes", "create", "--name", "api", "--json"]);
  if (scope.code !== 0 && !/exist/i.test(scope.stdout + scope.stderr)) {
    fail(`\`authly scopes create --name api --json\` failed (exit ${scope.code}):\n${(scope.stdout + scope.stderr).trim()}`);
  }
  const args = ["clients", "create", "--name", "bench", "--type", "confidential", "--grant-types", "client_credentials", "--scopes", "api", "--resource", "urn:bench:api", "--json"];
  const created = await authlyCli(server, args);
  if (created.code !== 0) fail(`\`authly ${args.join(" ")}\` failed (exit ${created.code}):\n${(created.stdout + created.stderr).trim()}`);
  const json = parseJsonOutput(created.stdout);
  const clientId = findMember(json, ["client_id", "clientId"]);
  const clientSecret = findMember(json, ["client_secret", "clientSecret", "secret"]);
  if (!clientId || !clientSecret) fail(`cannot find client_id and client_secret in the output of \`authly ${args.join(" ")}\`:\n${created.stdout.trim()}`);
  return { clientId, clientSecret };
}

// ---------------------------------------------------------------------------------------------
// Workloads per server

/** The request of each workload for a server, plus what a correct answer contains. */
function requestsFor(server, ctx) {
  if (server.kind === "authly") {
    const auth = ctx.clientId ? basic(ctx.clientId, ctx.clientSecret) : undefined;
    return {
      client_credentials: { method: "POST", path: "/oauth/token", body: "grant_type=client_credentials&scope=api", auth, expect: "access_token" },
      introspection: { method: "POST", path: "/oauth/introspect", bodyFrom: async () => `token=${encodeURIComponent(await authlyToken(server, ctx))}`, auth, expect: "active" },
      jwks: { method: "GET", path: "/oauth/jwks", expect: "keys" },
      discovery: { method: "GET", path: ctx.discoveryPath, expect: "issuer" },
    };
  }
  const auth = basic("bench", "bench-secret");
  return {
    client_credentials: { method: "POST", path: "/token", body: "grant_type=client_credentials&scope=api", auth, expect: "access_token" },
    // node-oidc-provider introspects only opaque tokens: ask for one with the opaque resource.
    introspection: { method: "POST", path: "/token/introspection", bodyFrom: async () => `token=${encodeURIComponent(await peerOpaqueToken(server))}`, auth, expect: "active" },
    jwks: { method: "GET", path: "/jwks", expect: "keys" },
    discovery: { method: "GET", path: "/.well-known/openid-configuration", expect: "issuer" },
  };
}

async function tokenFrom(server, path, body, auth) {
  const res = await httpRequest(server.base + path, { method: "POST", body, auth });
  if (res.status !== 200 || typeof res.json?.access_token !== "string") {
    fail(`${server.name}: POST ${path} (${body}) answered ${res.status}, expected 200 with an access_token:\n${res.text.slice(0, 500)}`);
  }
  return res.json.access_token;
}

const authlyToken = (server, ctx) => tokenFrom(server, "/oauth/token", "grant_type=client_credentials&scope=api", basic(ctx.clientId, ctx.clientSecret));
const peerOpaqueToken = (server) => tokenFrom(server, "/token", "grant_type=client_credentials&scope=api&resource=urn%3Abench%3Aopaque", basic("bench", "bench-secret"));

/** Resolve the request (fresh token for introspection) and check one answer before the load. */
async function prepareAndCheck(server, workload, spec) {
  const body = spec.bodyFrom ? await spec.bodyFrom() : spec.body;
  const req = { url: server.base + spec.path, method: spec.method, body, auth: spec.auth };
  const res = await httpRequest(req.url, { method: req.method, body: req.body, auth: req.auth });
  const j = res.json;
  const problem =
    res.status !== 200
      ? `status ${res.status}`
      : !j
        ? "the answer is not JSON"
        : spec.expect === "access_token" && typeof j.access_token !== "string"
          ? "no access_token"
          : spec.expect === "active" && j.active !== true
            ? `"active" is ${JSON.stringify(j.active)}, expected true`
            : spec.expect === "keys" && !(Array.isArray(j.keys) && j.keys.length > 0)
              ? "no keys"
              : spec.expect === "issuer" && j.issuer !== server.issuer
                ? `issuer is ${JSON.stringify(j.issuer)}, expected ${JSON.stringify(server.issuer)}`
                : undefined;
  if (problem) {
    fail(`${server.name}: the ${workload} workload (${spec.method} ${spec.path}) does not work: ${problem}. Expected 200 with ${spec.expect === "active" ? "active: true" : `"${spec.expect}"`}. Answer:\n${res.text.slice(0, 500)}`);
  }
  let note;
  if (workload === "client_credentials") {
    const h = jwtHeader(j.access_token);
    note = h ? `JWT ${h.alg}${h.typ ? ` typ ${h.typ}` : ""}` : "opaque token";
    if (server.kind === "authly" && h?.alg !== "RS256") say(`  note: Authly's access token is ${note}, not an RS256 JWT`);
  }
  return { req, note };
}

// ---------------------------------------------------------------------------------------------
// Output

const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-");
const fmtMs = (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : "-");
const fmtUs = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-");
const fmtRatio = (n) => (Number.isFinite(n) ? n.toFixed(2) : "-");

function roundLine(label, r) {
  const errors = [r.non2xx ? `non-2xx ${r.non2xx}` : "", r.socketErrors ? `socket errors ${r.socketErrors}` : ""].filter(Boolean).join(", ");
  return `  ${label}  ${fmtInt(r.rps).padStart(7)} req/s  p50 ${fmtMs(r.p50Ms).padStart(6)} ms  p99 ${fmtMs(r.p99Ms).padStart(6)} ms  CPU ${fmtUs(r.cpuUsPerRequest).padStart(6)} us/req${errors ? `  !! ${errors}` : ""}`;
}

function summarize(rounds) {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    cpuUsPerRequest: median(rounds.map((r) => r.cpuUsPerRequest)),
    requests: rounds.reduce((a, r) => a + r.requests, 0),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    socketErrors: rounds.reduce((a, r) => a + r.socketErrors, 0),
  };
}

function printTable(session) {
  const rows = [];
  const head = ["workload", "Authly req/s", "p50 ms", "p99 ms", "CPU us/req", "non-2xx"];
  if (session.peer) head.push("|", "peer req/s", "p50 ms", "p99 ms", "CPU us/req", "non-2xx", "|", "req/s ratio", "CPU ratio");
  rows.push(head);
  for (const w of opts.workloads) {
    const a = session.authly[w].median;
    const row = [w, fmtInt(a.rps), fmtMs(a.p50Ms), fmtMs(a.p99Ms), fmtUs(a.cpuUsPerRequest), String(a.non2xx + a.socketErrors)];
    if (session.peer) {
      const p = session.peer[w].median;
      row.push("|", fmtInt(p.rps), fmtMs(p.p50Ms), fmtMs(p.p99Ms), fmtUs(p.cpuUsPerRequest), String(p.non2xx + p.socketErrors), "|", fmtRatio(session.ratios[w].rps), fmtRatio(session.ratios[w].cpu));
    }
    rows.push(row);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  say("");
  say(`Medians of ${opts.rounds} round(s), Authly with ${session.database === "embedded" ? "the embedded database" : session.database}${session.peer ? `, peer ${session.peerName}` : ""} (wrk -t1 -c${opts.connections} -d${opts.duration}):`);
  for (const r of rows) say("  " + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
  say("  CPU us/req: server CPU time (user + system) per completed request. non-2xx: non-2xx/3xx answers plus socket errors, all rounds.");
  if (session.peer) say("  req/s ratio: Authly/peer median req/s (above 1: Authly is faster). CPU ratio: Authly/peer CPU per request (below 1: Authly is cheaper).");
}

// ---------------------------------------------------------------------------------------------
// A session: one Authly (one database), optionally the peer, all rounds

/**
 * start.mjs takes no lock around `next build`: when another `npm start` (say the Playwright suite)
 * builds into .next at the same moment, one of them may find a half-written build. Retry then.
 */
async function startAuthlyWithRetry(database) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAuthly(database);
    } catch (error) {
      const raced = /Could not find a production build|ENOENT[^\n]*\.next|\.next[^\n]*ENOENT/.test(error.message);
      if (!raced || attempt >= 3 || interrupted) throw error;
      say(`  the build in .next changed under Authly (another \`npm start\` building at the same time?); retrying (${attempt}/2)`);
      if (database.kind === "postgres") await dropSchema(process.env.DATABASE_URL, database.schema);
      await sleep(5_000);
    }
  }
}

async function benchSession(database, peer) {
  const authly = await startAuthlyWithRetry(database);
  const ctx = {};
  try {
    const disco = await httpRequest(`${authly.base}/.well-known/openid-configuration`);
    ctx.discoveryPath = disco.status === 200 ? "/.well-known/openid-configuration" : "/.well-known/oauth-authorization-server";
    if (opts.workloads.some((w) => w === "client_credentials" || w === "introspection")) {
      say("  creating the benchmark client: authly scopes create --name api; authly clients create --name bench --type confidential --grant-types client_credentials --scopes api --resource urn:bench:api");
      Object.assign(ctx, await createAuthlyClient(authly));
      say(`  client_id ${ctx.clientId}`);
    }
    const servers = peer ? [authly, peer] : [authly];
    const specs = new Map(servers.map((s) => [s, requestsFor(s, ctx)]));

    // Check every workload once on every server before loading anything.
    for (const w of opts.workloads) {
      for (const s of servers) {
        const spec = specs.get(s)[w];
        const { note } = await prepareAndCheck(s, w, spec);
        say(`  check ${s.kind === "authly" ? "Authly" : "peer"} ${w}: ${spec.method} ${spec.path} -> 200${note ? ` (${note})` : ""}`);
      }
    }

    const results = Object.fromEntries(servers.map((s) => [s.kind, Object.fromEntries(opts.workloads.map((w) => [w, { rounds: [] }]))]));
    for (let round = 1; round <= opts.rounds; round++) {
      say("");
      say(`Round ${round}/${opts.rounds} (${database.label})`);
      for (const w of opts.workloads) {
        for (const s of servers) {
          const spec = specs.get(s)[w];
          // Fresh token per run for introspection: the token must stay active through the run.
          const { req } = spec.bodyFrom ? await prepareAndCheck(s, w, spec) : { req: { url: s.base + spec.path, method: spec.method, body: spec.body, auth: spec.auth } };
          await runWrk(req, WARMUP); // warm-up, not recorded
          const r = await runWrk(req, opts.duration, s.pid);
          results[s.kind][w].rounds.push(r);
          say(roundLine(`${w.padEnd(18)} ${(s.kind === "authly" ? "Authly" : "peer").padEnd(6)}`, r));
        }
      }
    }

    const session = { database: database.label, authly: results.authly, peer: results.peer, peerName: peer?.name, ratios: undefined };
    for (const kind of Object.keys(results)) for (const w of opts.workloads) results[kind][w].median = summarize(results[kind][w].rounds);
    if (peer) {
      session.ratios = Object.fromEntries(
        opts.workloads.map((w) => [w, { rps: results.authly[w].median.rps / results.peer[w].median.rps, cpu: results.authly[w].median.cpuUsPerRequest / results.peer[w].median.cpuUsPerRequest }]),
      );
    }
    session.endpoints = Object.fromEntries(servers.map((s) => [s.kind, Object.fromEntries(opts.workloads.map((w) => [w, `${specs.get(s)[w].method} ${specs.get(s)[w].path}`]))]));
    printTable(session);
    const errors = opts.workloads.flatMap((w) => servers.map((s) => [s, w, results[s.kind][w].median])).filter(([, , m]) => m.non2xx + m.socketErrors > 0);
    for (const [s, w, m] of errors) say(`  WARNING: ${s.name} ${w}: ${m.non2xx} non-2xx/3xx responses and ${m.socketErrors} socket errors over ${m.requests} requests: its req/s is not a success rate`);
    return session;
  } finally {
    say(`Stopping Authly (${database.label})`);
    await stopChild(authly.child);
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: a throw-away schema

async function dropSchema(url, schema) {
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

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  if (process.platform !== "linux" || !existsSync("/proc/self/stat")) fail("the bench reads server CPU time from /proc and needs Linux");
  if (!existsSync(luaScript)) fail(`missing ${luaScript}`);
  await checkWrk();
  if (opts.peer) checkPeerSetup();

  const started = new Date();
  const cpus = os.cpus();
  const machine = { cpus: cpus.length, model: cpus[0]?.model?.trim() ?? "?", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, wrk: wrkVersion, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) };
  const git = await run("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, timeoutMs: 10_000 });
  const dirty = await run("git", ["status", "--porcelain"], { cwd: repoRoot, timeoutMs: 10_000 });
  const revision = git.code === 0 ? git.stdout.trim() + (dirty.stdout.trim() ? " (with uncommitted changes)" : "") : "unknown";
  say(`Authly benchmark ${started.toISOString()}, git ${revision}`);
  say(`machine: ${machine.cpus} cores (${machine.model}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.wrk}, load average ${machine.loadavg.join(" ")}`);
  say(`settings: ${opts.rounds} round(s) x [${opts.workloads.join(", ")}], wrk -t1 -c${opts.connections} -d${opts.duration} --latency after a ${WARMUP} warm-up${opts.peer ? ", alternating Authly and the peer" : ""}`);

  const databases = [{ kind: "embedded", label: "embedded" }];
  if (process.env.DATABASE_URL) {
    const schema = `authly_bench_${randomBytes(4).toString("hex")}`;
    const u = new URL(process.env.DATABASE_URL);
    u.searchParams.set("schema", schema);
    databases.push({ kind: "postgres", label: "PostgreSQL", url: u.toString(), schema });
  }

  let peer;
  if (opts.peer) peer = await startPeer();

  const sessions = [];
  for (const database of databases) {
    if (database.kind === "postgres") {
      cleanups.push(async () => {
        await dropSchema(process.env.DATABASE_URL, database.schema);
        say(`Dropped the PostgreSQL schema ${database.schema}`);
      });
    }
    say("");
    sessions.push(await benchSession(database, peer));
  }
  if (peer) {
    say("Stopping the reference server");
    await stopChild(peer.child);
  }

  if (opts.peer) {
    say("");
    say("Authly/peer ratio of median req/s (above 1: Authly serves more requests per second):");
    for (const s of sessions) say(`  ${s.database.padEnd(12)} ` + opts.workloads.map((w) => `${w} ${fmtRatio(s.ratios[w].rps)}`).join("  "));
  }

  if (opts.json) {
    const strip = (byWorkload) => byWorkload && Object.fromEntries(Object.entries(byWorkload).map(([w, v]) => [w, { median: v.median, rounds: v.rounds }]));
    const summary = {
      date: started.toISOString(),
      git: revision,
      machine,
      settings: { rounds: opts.rounds, duration: opts.duration, connections: opts.connections, threads: 1, warmup: WARMUP, workloads: opts.workloads, peer: opts.peer },
      units: { rps: "requests per second", p50Ms: "ms", p99Ms: "ms", cpuUsPerRequest: "microseconds of server CPU (user + system) per completed request" },
      sessions: sessions.map((s) => ({ database: s.database, endpoints: s.endpoints, authly: strip(s.authly), peer: s.peer ? { name: s.peerName, ...strip(s.peer) } : undefined, ratios: s.ratios })),
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  }
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (error) {
  if (!interrupted) {
    process.stderr.write(`\nbench: ${error.benchMessage ? error.message : error.stack ?? error}\n`);
    await cleanup();
    process.exit(1);
  }
  // interrupted: the signal handler finishes the cleanup and exits
  await new Promise(() => {});
}
