// wrk: the load generator. One run per call, one thread, the request built by post.lua from the
// environment; the result comes from post.lua's BENCH_RESULT line or, failing that, wrk's text output.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cpuSeconds } from "./cpu.mjs";
import { fail } from "./processes.mjs";

export const luaScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "post.lua");

const UNIT_US = { us: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };

/** A wrk duration or latency ("2.5ms", "5s", "1m") in microseconds; NaN when it is none. */
export const toUs = (s) => {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(s);
  return m ? Number(m[1]) * UNIT_US[m[2]] : NaN;
};

/** Numbers from wrk's text output (used when the Lua done() line is missing). */
export function parseWrkText(text) {
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
 * One run's figures from wrk's stdout: req/s, latency percentiles in ms, error counts. `cpuSeconds`
 * (the server's CPU time during the run, or undefined) gives the CPU per completed request.
 */
export function parseWrkOutput(stdout, cpuSecondsUsed) {
  const line = /^BENCH_RESULT (\{.*\})$/m.exec(stdout);
  const res = line ? JSON.parse(line[1]) : parseWrkText(stdout);
  const rpsText = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const rps = line && res.duration_us > 0 ? res.requests / (res.duration_us / 1e6) : rpsText ? Number(rpsText[1]) : NaN;
  const socketErrors = res.connect_errors + res.read_errors + res.write_errors + res.timeouts;
  const measured = cpuSecondsUsed !== undefined;
  return {
    rps,
    requests: res.requests,
    p50Ms: res.p50_us / 1000,
    p99Ms: res.p99_us / 1000,
    non2xx: res.non2xx,
    socketErrors,
    cpuUsPerRequest: measured && res.requests > 0 ? (cpuSecondsUsed * 1e6) / res.requests : NaN,
    cpuSeconds: measured ? cpuSecondsUsed : NaN,
  };
}

/** `wrk -v`'s version ("wrk 4.1.0"); fails with the install command when wrk is missing. */
export async function wrkVersion(supervisor) {
  const r = await supervisor.run("wrk", ["-v"], { timeoutMs: 10_000 });
  if (r.error && r.error.code === "ENOENT") fail("wrk is not installed. Install it once with: apt-get install -y wrk");
  return (/wrk [^\s]+/.exec(r.stdout + r.stderr) ?? ["wrk"])[0];
}

/**
 * One wrk run against `url`. Returns req/s, latency percentiles, error counts and (when `pid` is
 * given) the server's CPU time per completed request.
 */
export async function runWrk(supervisor, { url, method, body, auth }, { duration, connections, pid }) {
  supervisor.checkInterrupted();
  const env = { ...process.env, METHOD: method, BODY: body ?? "", AUTH: auth ?? "", CTYPE: "application/x-www-form-urlencoded" };
  const seconds = toUs(duration) / 1e6 || Number(duration.replace(/\D/g, ""));
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const r = await supervisor.run("wrk", ["-t1", `-c${connections}`, `-d${duration}`, "--timeout", "10s", "--latency", "-s", luaScript, url], { env, timeoutMs: (seconds + 60) * 1000 });
  const cpuAfter = pid ? cpuSeconds(pid) : 0;
  supervisor.checkInterrupted();
  if (r.code !== 0) fail(`wrk failed against ${url} (exit ${r.code}):\n${r.stderr || r.stdout}`);
  return parseWrkOutput(r.stdout, pid ? cpuAfter - cpuBefore : undefined);
}
