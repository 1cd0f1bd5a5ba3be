// Generates the Prisma client (lib/generated/prisma) when it is missing or older than the schema.
// The native schema engine cannot be downloaded on every machine, and `generate` does not need it.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

export function prismaEnv(extra = {}) {
  return {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? "/bin/false",
    // The CLI wants a URL even for `generate`; without one it tries to download an engine.
    DATABASE_URL: process.env.DATABASE_URL || "postgresql://placeholder@127.0.0.1:5432/placeholder",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
    ...extra,
  };
}

export function prismaClientIsCurrent(appRoot) {
  const client = path.join(appRoot, "lib/generated/prisma/client.ts");
  const schema = path.join(appRoot, "prisma/schema.prisma");
  return existsSync(client) && statSync(client).mtimeMs >= statSync(schema).mtimeMs;
}

export async function ensurePrismaClient(appRoot, { quiet = false, force = false } = {}) {
  if (!force && prismaClientIsCurrent(appRoot)) return;
  const require = createRequire(path.join(appRoot, "package.json"));
  const prismaCli = require.resolve("prisma/build/index.js");
  const result = spawnSync(process.execPath, [prismaCli, "generate"], {
    cwd: appRoot,
    env: prismaEnv(),
    stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit",
  });
  if (result.status !== 0) throw new Error("prisma generate failed");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await ensurePrismaClient(process.cwd(), { force: process.argv.includes("--force") });
}
