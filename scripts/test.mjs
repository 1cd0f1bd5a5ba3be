// `npm test`: lint, typecheck, the build, vitest (unit, integration on the embedded database and on
// PostgreSQL, the built artefact), then Playwright in Chromium against the built app. Every step
// runs; the exit code is non-zero if any failed. Ends with one summary line: "tests: N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensurePrismaClient } from "./prisma-client.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
process.env.NEXT_TELEMETRY_DISABLED = "1";
const reports = path.join(root, ".tmp", "reports");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
await ensurePrismaClient(root);

const bin = (name) => path.join(root, "node_modules", ".bin", name);
const only = process.argv.slice(2);
const steps = [
  { name: "lint", cmd: ["npm", "run", "--silent", "lint"] },
  { name: "typecheck", cmd: [bin("tsc"), "--noEmit", "-p", "."] },
  // The production build (scripts/build.mjs, skipped when current) before the tests that run it: the
  // CLI's and the artefact's tests and Playwright's `npm start` then find it ready.
  { name: "build", cmd: [process.execPath, path.join(root, "scripts", "build.mjs")] },
  {
    name: "vitest",
    cmd: [bin("vitest"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${path.join(reports, "vitest.json")}`],
  },
  {
    name: "e2e",
    cmd: [bin("playwright"), "test", "--reporter=list,json"],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(reports, "playwright.json") },
  },
].filter((s) => only.length === 0 || only.includes(s.name));

const results = [];
for (const step of steps) {
  console.log(`\n=== ${step.name} ===`);
  const started = Date.now();
  const run = spawnSync(step.cmd[0], step.cmd.slice(1), { stdio: "inherit", env: { ...process.env, ...step.env } });
  results.push({ name: step.name, ok: run.status === 0, seconds: Math.round((Date.now() - started) / 1000) });
}

let passed = 0;
let failed = 0;
const vitestReport = path.join(reports, "vitest.json");
if (existsSync(vitestReport)) {
  const r = JSON.parse(readFileSync(vitestReport, "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
}
const playwrightReport = path.join(reports, "playwright.json");
if (existsSync(playwrightReport)) {
  const r = JSON.parse(readFileSync(playwrightReport, "utf8"));
  passed += (r.stats?.expected ?? 0) + (r.stats?.flaky ?? 0);
  failed += r.stats?.unexpected ?? 0;
}
for (const r of results) if (!r.ok && (r.name === "lint" || r.name === "typecheck" || r.name === "build")) failed += 1;

console.log("\n" + results.map((r) => `${r.ok ? "ok  " : "FAIL"} ${r.name} (${r.seconds} s)`).join("\n"));
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
