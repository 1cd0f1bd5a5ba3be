// Options of `npm run bench` (docs/benchmarks.md): parsed and checked here, with no side effect.
import path from "node:path";
import { parseArgs } from "node:util";

export const AUTHLY_PORT = 3202;
export const PEER_PORT = 3201;
export const WARMUP = "1s";
export const WORKLOAD_NAMES = ["client_credentials", "introspection", "jwks", "discovery"];

/** The reference server's folder when --peer-dir is not given: `../shared/bench/peer` beside the repository. */
export const defaultPeerDir = (repoRoot) => path.resolve(repoRoot, "..", "shared", "bench", "peer");

export const usage = (repoRoot) => `Usage: npm run bench -- [options]

  --rounds N            measured rounds per workload (default 3); the table shows the median
  --duration 5s         length of each measured wrk run (wrk syntax: 5s, 30s, 1m)
  --connections 32      wrk connections (one wrk thread)
  --only a,b            workloads to run: ${WORKLOAD_NAMES.join(", ")}
  --peer                also run the reference server (node-oidc-provider), alternating with Authly,
                        and print the ratios Authly/peer of the median req/s
  --peer-dir PATH       the reference server's folder (default ${defaultPeerDir(repoRoot)})
  --json                print a machine-readable summary on stdout (progress goes to stderr)

Authly runs on 127.0.0.1:${AUTHLY_PORT} with a fresh embedded database; when DATABASE_URL is set, the whole
run is repeated against PostgreSQL in a temporary schema. The peer runs on 127.0.0.1:${PEER_PORT}.`;

/**
 * The options from `argv` (without node and the script). Returns `{ help: true }` for --help; throws
 * an Error whose message names the option for anything invalid.
 */
export function parseOptions(argv, { repoRoot }) {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: "string", default: "3" },
      duration: { type: "string", default: "5s" },
      connections: { type: "string", default: "32" },
      only: { type: "string" },
      peer: { type: "boolean", default: false },
      "peer-dir": { type: "string", default: defaultPeerDir(repoRoot) },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return { help: true };
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new Error(`--rounds: expected a whole number from 1 to 100 (got "${values.rounds}")`);
  if (!Number.isInteger(connections) || connections < 1 || connections > 10_000) throw new Error(`--connections: expected a whole number from 1 to 10000 (got "${values.connections}")`);
  if (!/^\d+(s|m|h)?$/.test(values.duration) || /^0+[smh]?$/.test(values.duration)) throw new Error(`--duration: expected a wrk duration such as 5s, 30s or 1m (got "${values.duration}")`);
  let workloads = WORKLOAD_NAMES;
  if (values.only !== undefined) {
    workloads = values.only.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = workloads.filter((w) => !WORKLOAD_NAMES.includes(w));
    if (unknown.length || workloads.length === 0) throw new Error(`--only: unknown workload ${unknown.join(", ") || "(none given)"}; choose from ${WORKLOAD_NAMES.join(", ")}`);
    workloads = WORKLOAD_NAMES.filter((w) => workloads.includes(w));
  }
  return { help: false, rounds, duration: values.duration, connections, workloads, peer: values.peer, peerDir: path.resolve(values["peer-dir"]), json: values.json };
}
