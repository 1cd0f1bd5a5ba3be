// `npm start`: in a source checkout, build when the sources changed since the last build (Prisma client,
// `next build`, the compiled server and CLI: scripts/build.mjs), then run the compiled server
// dist/server.js (which migrates, seeds and serves) in this process. In a built artefact (no
// TypeScript sources, see docs/deployment.md) it runs dist/server.js straight away.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.NODE_ENV ??= "production";
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
process.env.AUTHLY_APP_ROOT ??= appRoot;

const server = path.join(appRoot, "dist", "server.js");
if (existsSync(path.join(appRoot, "server.ts"))) {
  // Only a source checkout has the build script (and the devDependencies it needs).
  const { ensureBuilt } = await import("./build.mjs");
  try {
    await ensureBuilt(appRoot, {
      force: process.argv.includes("--rebuild"),
      onBuild: () => console.log("Building the application (first start or changed sources)..."),
    });
  } catch (error) {
    console.error(`authly: the build failed: ${error.message}`);
    process.exit(1);
  }
} else if (!existsSync(server)) {
  console.error(`authly: ${server} is missing: this folder has neither the sources nor a build`);
  process.exit(1);
}
await import(pathToFileURL(server).href);
