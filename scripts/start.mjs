// `npm start`: generate the Prisma client and build the app when needed, then run server.ts
// (which migrates, seeds and serves). Builds are skipped when the sources have not changed.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
const current = hashSources();
const built = existsSync(path.join(appRoot, ".next", "BUILD_ID")) && existsSync(stamp) && readFileSync(stamp, "utf8") === current;
if (!built || process.argv.includes("--rebuild")) {
  console.log("Building the application (first start or changed sources)...");
  const nextBin = path.join(appRoot, "node_modules", "next", "dist", "bin", "next");
  const result = spawnSync(process.execPath, [nextBin, "build"], { cwd: appRoot, stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    console.error("authly: the build failed");
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, current);
}

const { register } = await import("tsx/esm/api");
register();
await import("../server.ts");
