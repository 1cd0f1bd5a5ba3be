#!/usr/bin/env node
// `npm run bench`: load-test Authly's machine endpoints with wrk, against the production server
// started the way users start it (`node scripts/start.mjs`), and optionally side by side with a
// reference server (node-oidc-provider). See docs/benchmarks.md.
//
// Per workload and round: a 1 s warm-up run, then a measured run; req/s and p50/p99 latency come
// from wrk, server CPU per request from /proc/<pid>/stat (utime + stime of the listening process and
// its descendants, before and after the run, divided by the requests wrk completed).
// The parts live in scripts/bench/: options, processes (start, stop, cleanup), servers (Authly, the
// peer, the CLI client, PostgreSQL schema), workloads, wrk (runs and their parsing), cpu (/proc),
// report (medians, tables, JSON), session (one database's rounds).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseOptions, usage, WARMUP } from "./bench/options.mjs";
import { createSupervisor, fail } from "./bench/processes.mjs";
import { fmtRatio, jsonSummary } from "./bench/report.mjs";
import { dropSchema, preparePeer, startPeer } from "./bench/servers.mjs";
import { benchSession } from "./bench/session.mjs";
import { luaScript, wrkVersion } from "./bench/wrk.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

let opts;
try {
  opts = parseOptions(process.argv.slice(2), { repoRoot });
} catch (error) {
  console.error(`bench: ${error.message}\n\n${usage(repoRoot)}`);
  process.exit(2);
}
if (opts.help) {
  console.log(usage(repoRoot));
  process.exit(0);
}

// With --json, stdout carries only the JSON summary.
const say = (line = "") => (opts.json ? process.stderr : process.stdout).write(line + "\n");
const supervisor = createSupervisor();
supervisor.installSignalHandlers();
const bench = { supervisor, say, opts, repoRoot };

async function main() {
  if (process.platform !== "linux" || !existsSync("/proc/self/stat")) fail("the bench reads server CPU time from /proc and needs Linux");
  if (!existsSync(luaScript)) fail(`missing ${luaScript}`);
  const wrk = await wrkVersion(supervisor);
  const peerSetup = opts.peer ? await preparePeer(bench, opts.peerDir) : undefined;

  const started = new Date();
  const cpus = os.cpus();
  const machine = { cpus: cpus.length, model: cpus[0]?.model?.trim() ?? "?", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, wrk, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) };
  const git = await supervisor.run("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, timeoutMs: 10_000 });
  const dirty = await supervisor.run("git", ["status", "--porcelain"], { cwd: repoRoot, timeoutMs: 10_000 });
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

  const peer = peerSetup ? await startPeer(bench, peerSetup) : undefined;

  const sessions = [];
  for (const database of databases) {
    if (database.kind === "postgres") {
      supervisor.onCleanup(async () => {
        await dropSchema(process.env.DATABASE_URL, database.schema);
        say(`Dropped the PostgreSQL schema ${database.schema}`);
      });
    }
    say("");
    sessions.push(await benchSession(bench, database, peer));
  }
  if (peer) {
    say("Stopping the reference server");
    await supervisor.stopChild(peer.child);
  }

  if (opts.peer) {
    say("");
    say("Authly/peer ratio of median req/s (above 1: Authly serves more requests per second):");
    for (const s of sessions) say(`  ${s.database.padEnd(12)} ` + opts.workloads.map((w) => `${w} ${fmtRatio(s.ratios[w].rps)}`).join("  "));
  }

  if (opts.json) process.stdout.write(JSON.stringify(jsonSummary({ started, revision, machine, opts, warmup: WARMUP, sessions }), null, 2) + "\n");
}

try {
  await main();
  await supervisor.cleanup();
  process.exit(0);
} catch (error) {
  if (!supervisor.interrupted) {
    process.stderr.write(`\nbench: ${error.benchMessage ? error.message : error.stack ?? error}\n`);
    await supervisor.cleanup();
    process.exit(1);
  }
  // interrupted: the signal handler finishes the cleanup and exits
  await new Promise(() => {});
}
