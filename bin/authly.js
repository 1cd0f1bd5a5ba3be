#!/usr/bin/env node
// The `authly` command-line tool: runs the compiled CLI (dist/cli.js). In a source checkout it first
// compiles it (scripts/build.mjs) when it is missing or any file it is built from changed.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.AUTHLY_APP_ROOT ??= appRoot;
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
const cli = path.join(appRoot, "dist", "cli.js");
if (existsSync(path.join(appRoot, "lib", "cli", "main.ts"))) {
  const { bundle, bundleIsCurrent, bundles } = await import("../scripts/build.mjs");
  const { ensurePrismaClient } = await import("../scripts/prisma-client.mjs");
  try {
    await ensurePrismaClient(appRoot, { quiet: true });
    if (!bundleIsCurrent(appRoot, bundles.cli)) await bundle(appRoot, bundles.cli);
  } catch (error) {
    process.stderr.write(`authly: cannot compile the command-line tool: ${error.message}\n`);
    process.exit(1);
  }
}
const { main } = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv.slice(2));
