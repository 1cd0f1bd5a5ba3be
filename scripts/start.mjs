// `npm start`: generate the Prisma client and build the app when needed, then run server.ts
// (which migrates, seeds and serves). Builds are skipped when the sources have not changed.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensurePrismaClient } from "./prisma-client.mjs";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.NODE_ENV ??= "production";
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
process.env.AUTHLY_APP_ROOT ??= appRoot;

const buildInputs = ["app", "components", "lib", "i18n", "messages", "public", "next.config.ts", "postcss.config.mjs", "tsconfig.json", "package-lock.json", "prisma/schema.prisma"];
const skip = new Set(["node_modules", "generated", ".next"]);

function hashSources() {
  const hash = createHash("sha256");
  const visit = (rel) => {
    const abs = path.join(appRoot, rel);
    if (!existsSync(abs)) return;
    const st = statSync(abs);
    if (st.isDirectory()) {
      for (const entry of readdirSync(abs).sort()) {
        if (!skip.has(entry) && !entry.endsWith(".test.ts")) visit(path.join(rel, entry));
      }
    } else {
      hash.update(rel).update("\0").update(readFileSync(abs)).update("\0");
    }
  };
  buildInputs.forEach(visit);
  return hash.digest("hex");
}

await ensurePrismaClient(appRoot);

const stamp = path.join(appRoot, ".next", "authly-build-hash");
const lock = path.join(appRoot, ".next-build.lock");

/** One build at a time in this folder: a second `npm start` waits, then uses the fresh build. */
async function takeBuildLock() {
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, "pid"), String(process.pid));
      return;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path.join(lock, "pid"), "utf8"));
      } catch {
        // the owner is between mkdir and writing its pid
      }
      let alive = true;
      if (Number.isInteger(owner) && owner > 0) {
        try {
          process.kill(owner, 0);
        } catch {
          alive = false;
        }
      }
      if (!alive || waited > 600_000) rmSync(lock, { recursive: true, force: true });
      else {
        if (waited === 0) console.log("Waiting for another build of this folder to finish...");
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}

const current = hashSources();
const isBuilt = () => existsSync(path.join(appRoot, ".next", "BUILD_ID")) && existsSync(stamp) && readFileSync(stamp, "utf8") === current;
const rebuild = process.argv.includes("--rebuild");
let holding = false;
if (!isBuilt() || rebuild) {
  await takeBuildLock();
  holding = true;
}
// Checked again under the lock: another process may have built these very sources meanwhile.
if (holding && (!isBuilt() || rebuild)) {
  console.log("Building the application (first start or changed sources)...");
  const nextBin = path.join(appRoot, "node_modules", "next", "dist", "bin", "next");
  const result = spawnSync(process.execPath, [nextBin, "build"], { cwd: appRoot, stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    console.error("authly: the build failed");
    rmSync(lock, { recursive: true, force: true });
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, current);
}
if (holding) rmSync(lock, { recursive: true, force: true });

const { register } = await import("tsx/esm/api");
register();
await import("../server.ts");
