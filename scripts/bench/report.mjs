// Medians over rounds, and the lines the bench prints: one per run, and a table per session.
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median req/s, latencies and CPU per request over the rounds; request and error counts summed. */
export function summarize(rounds) {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    cpuUsPerRequest: median(rounds.map((r) => r.cpuUsPerRequest)),
    requests: rounds.reduce((a, r) => a + r.requests, 0),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    socketErrors: rounds.reduce((a, r) => a + r.socketErrors, 0),
  };
}

export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-");
export const fmtMs = (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : "-");
export const fmtUs = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-");
export const fmtRatio = (n) => (Number.isFinite(n) ? n.toFixed(2) : "-");

export function roundLine(label, r) {
  const errors = [r.non2xx ? `non-2xx ${r.non2xx}` : "", r.socketErrors ? `socket errors ${r.socketErrors}` : ""].filter(Boolean).join(", ");
  return `  ${label}  ${fmtInt(r.rps).padStart(7)} req/s  p50 ${fmtMs(r.p50Ms).padStart(6)} ms  p99 ${fmtMs(r.p99Ms).padStart(6)} ms  CPU ${fmtUs(r.cpuUsPerRequest).padStart(6)} us/req${errors ? `  !! ${errors}` : ""}`;
}

/** Authly/peer ratios of the median req/s and CPU per request, per workload. */
export function ratios(authly, peer, workloads) {
  return Object.fromEntries(workloads.map((w) => [w, { rps: authly[w].median.rps / peer[w].median.rps, cpu: authly[w].median.cpuUsPerRequest / peer[w].median.cpuUsPerRequest }]));
}

/** The lines of a session's table of medians (with the peer's columns and the ratios when it ran). */
export function tableLines(session, { rounds, connections, duration, workloads }) {
  const rows = [];
  const head = ["workload", "Authly req/s", "p50 ms", "p99 ms", "CPU us/req", "non-2xx"];
  if (session.peer) head.push("|", "peer req/s", "p50 ms", "p99 ms", "CPU us/req", "non-2xx", "|", "req/s ratio", "CPU ratio");
  rows.push(head);
  for (const w of workloads) {
    const a = session.authly[w].median;
    const row = [w, fmtInt(a.rps), fmtMs(a.p50Ms), fmtMs(a.p99Ms), fmtUs(a.cpuUsPerRequest), String(a.non2xx + a.socketErrors)];
    if (session.peer) {
      const p = session.peer[w].median;
      row.push("|", fmtInt(p.rps), fmtMs(p.p50Ms), fmtMs(p.p99Ms), fmtUs(p.cpuUsPerRequest), String(p.non2xx + p.socketErrors), "|", fmtRatio(session.ratios[w].rps), fmtRatio(session.ratios[w].cpu));
    }
    rows.push(row);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = [""];
  lines.push(`Medians of ${rounds} round(s), Authly with ${session.database === "embedded" ? "the embedded database" : session.database}${session.peer ? `, peer ${session.peerName}` : ""} (wrk -t1 -c${connections} -d${duration}):`);
  for (const r of rows) lines.push("  " + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
  lines.push("  CPU us/req: server CPU time (user + system) per completed request. non-2xx: non-2xx/3xx answers plus socket errors, all rounds.");
  if (session.peer) lines.push("  req/s ratio: Authly/peer median req/s (above 1: Authly is faster). CPU ratio: Authly/peer CPU per request (below 1: Authly is cheaper).");
  return lines;
}

/** The --json summary. */
export function jsonSummary({ started, revision, machine, opts, warmup, sessions }) {
  const strip = (byWorkload) => byWorkload && Object.fromEntries(Object.entries(byWorkload).map(([w, v]) => [w, { median: v.median, rounds: v.rounds }]));
  return {
    date: started.toISOString(),
    git: revision,
    machine,
    settings: { rounds: opts.rounds, duration: opts.duration, connections: opts.connections, threads: 1, warmup, workloads: opts.workloads, peer: opts.peer },
    units: { rps: "requests per second", p50Ms: "ms", p99Ms: "ms", cpuUsPerRequest: "microseconds of server CPU (user + system) per completed request" },
    sessions: sessions.map((s) => ({ database: s.database, endpoints: s.endpoints, authly: strip(s.authly), peer: s.peer ? { name: s.peerName, ...strip(s.peer) } : undefined, ratios: s.ratios })),
  };
}
