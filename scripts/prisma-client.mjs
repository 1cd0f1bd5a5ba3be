// Generates the Prisma client (lib/generated/prisma) when it is missing or older than the schema.
// The native schema engine cannot be downloaded on every machine, and `generate` does not need it.
// Run on `npm install` (postinstall): in a built artefact (no prisma/schema.prisma: the client is
// compiled into dist/ and .next/) and without the devDependencies (no prisma CLI) it has nothing to do.
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

/** The Prisma CLI's entry file, or undefined when the devDependencies are not installed. */
function prismaCli(appRoot) {
  try {
    return createRequire(path.join(appRoot, "package.json")).resolve("prisma/build/index.js");
  } catch {
    return undefined;
  }
}

export async function ensurePrismaClient(appRoot, { quiet = false, force = false } = {}) {
  if (!existsSync(path.join(appRoot, "prisma/schema.prisma"))) return; // a built artefact
  if (!force && prismaClientIsCurrent(appRoot)) return;
  const cli = prismaCli(appRoot);
  if (!cli) throw new Error("the Prisma client must be generated, which needs the devDependencies: run `npm install` (not `npm ci --omit=dev`)");
  const result = spawnSync(process.execPath, [cli, "generate"], {
    cwd: appRoot,
    env: prismaEnv(),
    stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit",
  });
  if (result.status !== 0) throw new Error("prisma generate failed");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const appRoot = process.cwd();
  const force = process.argv.includes("--force");
  if (existsSync(path.join(appRoot, "prisma/schema.prisma")) && !prismaCli(appRoot) && (force || !prismaClientIsCurrent(appRoot))) {
    // `npm ci --omit=dev`: the client is generated at build time, by a tree with the devDependencies.
    console.log("authly: the Prisma CLI (a devDependency) is not installed; the Prisma client is not generated (`npm run build` needs `npm install`)");
  } else {
    await ensurePrismaClient(appRoot, { force });
  }
}
