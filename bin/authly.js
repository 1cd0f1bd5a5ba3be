#!/usr/bin/env node
// The `authly` command-line tool. Runs the TypeScript sources through tsx.
import { fileURLToPath } from "node:url";
import path from "node:path";
import { ensurePrismaClient } from "../scripts/prisma-client.mjs";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.AUTHLY_APP_ROOT ??= appRoot;
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
await ensurePrismaClient(appRoot, { quiet: true });
const { register } = await import("tsx/esm/api");
register();
const { main } = await import("../lib/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
