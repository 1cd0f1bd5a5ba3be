// `npm run dev`: Next.js development server with hot reload. The first request builds the container
// (migrations, first-start data) from the same environment variables as `npm start`.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensurePrismaClient } from "./prisma-client.mjs";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
process.env.LOG_FORMAT ??= "pretty";
await ensurePrismaClient(appRoot);
const nextBin = path.join(appRoot, "node_modules", "next", "dist", "bin", "next");
const child = spawn(process.execPath, [nextBin, "dev", "-p", process.env.PORT ?? "3000", ...process.argv.slice(2)], { cwd: appRoot, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
