// A session: one Authly (one database), optionally the peer, all rounds of all workloads, A B A B.
import { WARMUP } from "./options.mjs";
import { sleep } from "./processes.mjs";
import { ratios, roundLine, summarize, tableLines } from "./report.mjs";
import { createAuthlyClient, dropSchema, startAuthly } from "./servers.mjs";
import { prepareAndCheck, requestsFor } from "./workloads.mjs";
import { httpRequest } from "./http.mjs";
import { runWrk } from "./wrk.mjs";

/**
 * start.mjs builds under a lock, but a build started by other means (or a half-written .next left
 * by an interrupted one) can still make a start fail. Retry then.
 */
async function startAuthlyWithRetry(bench, database) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAuthly(bench, database);
    } catch (error) {
      const raced = /Could not find a production build|ENOENT[^\n]*\.next|\.next[^\n]*ENOENT/.test(error.message);
      if (!raced || attempt >= 3 || bench.supervisor.interrupted) throw error;
      bench.say(`  the build in .next changed under Authly (another \`npm start\` building at the same time?); retrying (${attempt}/2)`);
      if (database.kind === "postgres") await dropSchema(process.env.DATABASE_URL, database.schema);
      await sleep(5_000);
    }
  }
}

export async function benchSession(bench, database, peer) {
  const { supervisor, say, opts } = bench;
  const authly = await startAuthlyWithRetry(bench, database);
  const ctx = {};
  try {
    const disco = await httpRequest(`${authly.base}/.well-known/openid-configuration`);
    ctx.discoveryPath = disco.status === 200 ? "/.well-known/openid-configuration" : "/.well-known/oauth-authorization-server";
    if (opts.workloads.some((w) => w === "client_credentials" || w === "introspection")) {
      say("  creating the benchmark client: authly scopes create --name api; authly clients create --name bench --type confidential --grant-types client_credentials --scopes api --resource urn:bench:api");
      Object.assign(ctx, await createAuthlyClient(bench, authly));
      say(`  client_id ${ctx.clientId}`);
    }
    const servers = peer ? [authly, peer] : [authly];
    const specs = new Map(servers.map((s) => [s, requestsFor(s, ctx)]));

    // Check every workload once on every server before loading anything.
    for (const w of opts.workloads) {
      for (const s of servers) {
        const spec = specs.get(s)[w];
        const { note } = await prepareAndCheck(s, w, spec, say);
        say(`  check ${s.kind === "authly" ? "Authly" : "peer"} ${w}: ${spec.method} ${spec.path} -> 200${note ? ` (${note})` : ""}`);
      }
    }

    const wrkOptions = { duration: opts.duration, connections: opts.connections };
    const results = Object.fromEntries(servers.map((s) => [s.kind, Object.fromEntries(opts.workloads.map((w) => [w, { rounds: [] }]))]));
    for (let round = 1; round <= opts.rounds; round++) {
      say("");
      say(`Round ${round}/${opts.rounds} (${database.label})`);
      for (const w of opts.workloads) {
        for (const s of servers) {
          const spec = specs.get(s)[w];
          // Fresh token per run for introspection: the token must stay active through the run.
          const { req } = spec.bodyFrom ? await prepareAndCheck(s, w, spec, say) : { req: { url: s.base + spec.path, method: spec.method, body: spec.body, auth: spec.auth } };
          await runWrk(supervisor, req, { ...wrkOptions, duration: WARMUP }); // warm-up, not recorded
          const r = await runWrk(supervisor, req, { ...wrkOptions, pid: s.pid });
          results[s.kind][w].rounds.push(r);
          say(roundLine(`${w.padEnd(18)} ${(s.kind === "authly" ? "Authly" : "peer").padEnd(6)}`, r));
        }
      }
    }

    const session = { database: database.label, authly: results.authly, peer: results.peer, peerName: peer?.name, ratios: undefined };
    for (const kind of Object.keys(results)) for (const w of opts.workloads) results[kind][w].median = summarize(results[kind][w].rounds);
    if (peer) session.ratios = ratios(results.authly, results.peer, opts.workloads);
    session.endpoints = Object.fromEntries(servers.map((s) => [s.kind, Object.fromEntries(opts.workloads.map((w) => [w, `${specs.get(s)[w].method} ${specs.get(s)[w].path}`]))]));
    for (const line of tableLines(session, opts)) say(line);
    const errors = opts.workloads.flatMap((w) => servers.map((s) => [s, w, results[s.kind][w].median])).filter(([, , m]) => m.non2xx + m.socketErrors > 0);
    for (const [s, w, m] of errors) say(`  WARNING: ${s.name} ${w}: ${m.non2xx} non-2xx/3xx responses and ${m.socketErrors} socket errors over ${m.requests} requests: its req/s is not a success rate`);
    return session;
  } finally {
    say(`Stopping Authly (${database.label})`);
    await supervisor.stopChild(authly.child);
  }
}
