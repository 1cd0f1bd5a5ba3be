// `npm run build`: the production build. Generates the Prisma client, builds the Next.js app (.next)
// and compiles the server (server.ts -> dist/server.js) and the command-line tool (lib/cli/main.ts ->
// dist/cli.js) with esbuild, so that production runs plain JavaScript and needs no devDependency.
//
//   node scripts/build.mjs            build when the sources changed since the last build
//   node scripts/build.mjs --force    build in any case
//   node scripts/build.mjs --out DIR  then copy the artefact (what a container image holds) into DIR
//
// start.mjs and bin/authly.js use the functions below to build on demand in a source checkout.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensurePrismaClient } from "./prisma-client.mjs";

/** Everything the build reads: a change to any of these files makes start.mjs build again. */
export const buildInputs = ["server.ts", "app", "components", "lib", "i18n", "messages", "public", "next.config.ts", "postcss.config.mjs", "tsconfig.json", "package-lock.json", "prisma/schema.prisma"];
const skip = new Set(["node_modules", "generated", ".next", "dist"]);

/**
 * The artefact a container image copies (after `npm run build`): the Next.js build, the compiled server
 * and CLI, static files, the migration SQL (applied at start-up), the Next.js configuration (read by
 * Next's production server), the start and postinstall scripts and the package manifests for
 * `npm ci --omit=dev`. No TypeScript source: the message catalogues and the Prisma client are compiled
 * into dist/ and .next/.
 */
export const artifactPaths = [
  ".next",
  "dist",
  "public",
  "prisma/migrations",
  "next.config.ts",
  "bin/authly.js",
  "scripts/start.mjs",
  "scripts/prisma-client.mjs",
  "package.json",
  "package-lock.json",
  ".npmrc",
];
/** Parts of .next only `next build` and `next dev` use. */
const artifactSkip = [".next/cache", ".next/dev", ".next/trace", ".next/types"];

/** The compiled entry points: source -> output. */
export const bundles = {
  server: { entry: "server.ts", outfile: "dist/server.js" },
  cli: {
    entry: "lib/cli/main.ts",
    outfile: "dist/cli.js",
    // Exports main() for bin/authly.js, and runs it when started itself (`node dist/cli.js users list`).
    wrapper: [
      `import { realpathSync } from "node:fs";`,
      `import { fileURLToPath } from "node:url";`,
      `import { main } from "./lib/cli/main";`,
      `export { main };`,
      `if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));`,
    ].join("\n"),
  },
};

/** A source checkout has the TypeScript sources; a built artefact (artifactPaths) has only dist/. */
export const isSourceCheckout = (appRoot) => existsSync(path.join(appRoot, "server.ts")) && existsSync(path.join(appRoot, "lib"));

export function hashSources(appRoot) {
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

const stampFile = (appRoot) => path.join(appRoot, ".next", "authly-build-hash");

/** True when .next and both bundles exist and were built from sources with this hash. */
export function isBuilt(appRoot, hash = hashSources(appRoot)) {
  const stamp = stampFile(appRoot);
  return (
    existsSync(path.join(appRoot, ".next", "BUILD_ID")) &&
    Object.values(bundles).every((b) => existsSync(path.join(appRoot, b.outfile))) &&
    existsSync(stamp) &&
    readFileSync(stamp, "utf8") === hash
  );
}

/** One build at a time in this folder: a second caller waits, then sees the fresh build. */
export async function withBuildLock(appRoot, fn) {
  const lock = path.join(appRoot, ".next-build.lock");
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, "pid"), String(process.pid));
      break;
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
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function requireDevDependencies(appRoot) {
  if (!existsSync(path.join(appRoot, "node_modules", "esbuild", "package.json")) || !existsSync(path.join(appRoot, "node_modules", "next", "package.json"))) {
    throw new Error("building needs the devDependencies (esbuild, prisma): run `npm install` (not `npm ci --omit=dev`) in a source checkout");
  }
}

/** Bundle-format version: part of every bundle's input hash, so a change to the options below rebuilds. */
const BUNDLE_FORMAT = "esm-node20-external-packages-3";

/** Hash of a bundle's source files (as listed by its last build) and the bundle format. */
function hashInputs(appRoot, inputs) {
  const hash = createHash("sha256").update(BUNDLE_FORMAT).update("\0");
  for (const rel of inputs) {
    const abs = path.join(appRoot, rel);
    if (!existsSync(abs)) return undefined;
    hash.update(rel).update("\0").update(readFileSync(abs)).update("\0");
  }
  return hash.digest("hex");
}

const inputsFile = (outfile) => outfile.replace(/\.js$/, ".inputs.json");

/** True when the bundle exists and none of the files it was built from changed. */
export function bundleIsCurrent(appRoot, { outfile }) {
  const out = path.join(appRoot, outfile);
  const meta = path.join(appRoot, inputsFile(outfile));
  if (!existsSync(out) || !existsSync(meta)) return false;
  try {
    const { inputs, hash } = JSON.parse(readFileSync(meta, "utf8"));
    return Array.isArray(inputs) && hashInputs(appRoot, inputs) === hash;
  } catch {
    return false;
  }
}

/**
 * Compiles one entry point with esbuild: our TypeScript (lib/, the generated Prisma client, the
 * message catalogues) becomes one ES module; every package stays external and is loaded from
 * node_modules at run time (native and WASM ones such as argon2 and PGlite, and next itself, which
 * must be the same copy the .next build runs on). Outputs are written to a temporary name and renamed,
 * so a process starting meanwhile never reads half a file.
 */
export async function bundle(appRoot, { entry, outfile, wrapper }) {
  requireDevDependencies(appRoot);
  const { build } = await import("esbuild");
  const result = await build({
    absWorkingDir: appRoot,
    ...(wrapper ? { stdin: { contents: wrapper, resolveDir: appRoot, sourcefile: `${entry} (entry)`, loader: "ts" } } : { entryPoints: [entry] }),
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20.9",
    packages: "external",
    tsconfig: "tsconfig.json",
    sourcemap: "linked",
    metafile: true,
    write: false,
    logLevel: "warning",
    banner: {
      js: [
        `// Compiled from ${entry} by scripts/build.mjs: do not edit.`,
        `import { fileURLToPath as authlyFileURLToPath } from "node:url";`,
        // The application folder (.next, prisma/migrations) is the one holding dist/, wherever the process was started from.
        `process.env.AUTHLY_APP_ROOT ??= authlyFileURLToPath(new URL("..", import.meta.url)).replace(/\\/$/, "");`,
      ].join("\n"),
    },
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((f) => !f.startsWith("node_modules/") && existsSync(path.join(appRoot, f)))
    .sort();
  mkdirSync(path.join(appRoot, path.dirname(outfile)), { recursive: true });
  const suffix = `.${process.pid}.tmp`;
  const written = [];
  for (const file of result.outputFiles) {
    writeFileSync(file.path + suffix, file.contents);
    written.push(file.path);
  }
  // The map first, the bundle last: whoever sees the new bundle sees its map.
  written.sort((a, b) => Number(a.endsWith(".js")) - Number(b.endsWith(".js")));
  for (const file of written) renameSync(file + suffix, file);
  const meta = path.join(appRoot, inputsFile(outfile));
  writeFileSync(meta + suffix, JSON.stringify({ entry, inputs, hash: hashInputs(appRoot, inputs) }, null, 2) + "\n");
  renameSync(meta + suffix, meta);
}

/** The whole build: Prisma client, `next build`, both bundles, then the stamp start.mjs checks. */
export async function buildAll(appRoot, { hash = hashSources(appRoot) } = {}) {
  requireDevDependencies(appRoot);
  await ensurePrismaClient(appRoot);
  const nextBin = path.join(appRoot, "node_modules", "next", "dist", "bin", "next");
  rmSync(stampFile(appRoot), { force: true });
  const result = spawnSync(process.execPath, [nextBin, "build"], {
    cwd: appRoot,
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: process.env.NEXT_TELEMETRY_DISABLED ?? "1" },
  });
  if (result.status !== 0) throw new Error("next build failed");
  for (const b of Object.values(bundles)) await bundle(appRoot, b);
  writeFileSync(stampFile(appRoot), hash);
}

/** Builds under the lock when the sources changed (or `force`); returns whether it built. */
export async function ensureBuilt(appRoot, { force = false, onBuild } = {}) {
  const hash = hashSources(appRoot);
  if (!force && isBuilt(appRoot, hash)) return false;
  return withBuildLock(appRoot, async () => {
    // Checked again under the lock: another process may have built these very sources meanwhile.
    if (!force && isBuilt(appRoot, hash)) return false;
    onBuild?.();
    await buildAll(appRoot, { hash });
    return true;
  });
}

/** Copies the artefact (artifactPaths) of a built tree into `outDir`. */
export function copyArtifact(appRoot, outDir) {
  if (!isBuilt(appRoot)) throw new Error(`${appRoot} is not built from its current sources: run npm run build first`);
  mkdirSync(outDir, { recursive: true });
  const skipped = new Set(artifactSkip.map((p) => path.join(appRoot, p)));
  for (const rel of artifactPaths) {
    const from = path.join(appRoot, rel);
    if (!existsSync(from)) continue;
    cpSync(from, path.join(outDir, rel), { recursive: true, filter: (src) => !skipped.has(src) });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  process.env.NEXT_TELEMETRY_DISABLED ??= "1";
  const args = process.argv.slice(2);
  const outIndex = args.indexOf("--out");
  const unknown = args.filter((a, i) => a !== "--force" && a !== "--out" && (outIndex < 0 || i !== outIndex + 1));
  if (unknown.length || (outIndex >= 0 && !args[outIndex + 1])) {
    console.error("Usage: node scripts/build.mjs [--force] [--out DIR]");
    process.exit(2);
  }
  try {
    const built = await ensureBuilt(appRoot, { force: args.includes("--force"), onBuild: () => console.log("Building the application...") });
    if (!built) console.log("The build is current (no source changed since the last build).");
    if (outIndex >= 0) {
      const outDir = path.resolve(args[outIndex + 1]);
      copyArtifact(appRoot, outDir);
      console.log(`Artefact copied to ${outDir}: install it with \`npm ci --omit=dev\`, run it with \`node dist/server.js\`.`);
    }
  } catch (error) {
    console.error(`authly: ${error.message}`);
    process.exit(1);
  }
}
