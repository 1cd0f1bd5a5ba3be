import { describe, expect, it } from "vitest";
import { fmtInt, fmtMs, median, ratios, roundLine, summarize, tableLines } from "./report.mjs";

const run = (rps, p50Ms, p99Ms, cpuUsPerRequest, extra = {}) => ({ rps, p50Ms, p99Ms, cpuUsPerRequest, requests: Math.round(rps * 5), non2xx: 0, socketErrors: 0, ...extra });

describe("bench report", () => {
  it("takes the median of the finite values: middle one, or the mean of the two middle ones", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, NaN, 1, Infinity])).toBe(3);
    expect(median([])).toBeNaN();
    expect(median([NaN])).toBeNaN();
  });

  it("summarizes rounds: medians per column, request and error counts summed", () => {
    const s = summarize([run(1000, 1, 5, 40), run(3000, 3, 9, 20, { non2xx: 2 }), run(2000, 2, 7, 30, { socketErrors: 1 })]);
    expect(s).toEqual({ rps: 2000, p50Ms: 2, p99Ms: 7, cpuUsPerRequest: 30, requests: 30_000, non2xx: 2, socketErrors: 1 });
  });

  it("formats numbers the way the tables show them", () => {
    expect(fmtInt(22548.6)).toBe("22,549");
    expect(fmtMs(1.375)).toBe("1.38");
    expect(fmtMs(14.21)).toBe("14.2");
    expect(fmtMs(123.4)).toBe("123");
    expect(fmtInt(NaN)).toBe("-");
  });

  it("prints a run with its errors flagged", () => {
    expect(roundLine("jwks               Authly", run(22549, 1.38, 2.19, 44))).toBe("  jwks               Authly   22,549 req/s  p50   1.38 ms  p99   2.19 ms  CPU     44 us/req");
    expect(roundLine("jwks peer", run(100, 1, 2, 3, { non2xx: 4, socketErrors: 5 }))).toMatch(/!! non-2xx 4, socket errors 5$/);
  });

  it("computes the Authly/peer ratios and lays out the table of medians with aligned columns", () => {
    const byWorkload = (r) => ({ jwks: { rounds: [r], median: summarize([r]) } });
    const authly = byWorkload(run(22_000, 1.4, 2.2, 44));
    const peer = byWorkload(run(10_000, 2.9, 7.6, 110));
    const session = { database: "embedded", authly, peer, peerName: "oidc-provider 9.13.3", ratios: ratios(authly, peer, ["jwks"]) };
    expect(session.ratios.jwks.rps).toBeCloseTo(2.2);
    expect(session.ratios.jwks.cpu).toBeCloseTo(0.4);
    const lines = tableLines(session, { rounds: 3, connections: 32, duration: "5s", workloads: ["jwks"] });
    expect(lines[0]).toBe("");
    expect(lines[1]).toBe("Medians of 3 round(s), Authly with the embedded database, peer oidc-provider 9.13.3 (wrk -t1 -c32 -d5s):");
    expect(lines[2]).toBe("  workload  Authly req/s  p50 ms  p99 ms  CPU us/req  non-2xx  |  peer req/s  p50 ms  p99 ms  CPU us/req  non-2xx  |  req/s ratio  CPU ratio");
    expect(lines[3]).toBe("  jwks            22,000    1.40    2.20          44        0  |      10,000    2.90    7.60         110        0  |         2.20       0.40");
    expect(lines.at(-1)).toMatch(/^ {2}req\/s ratio: Authly\/peer/);
  });

  it("leaves the peer's columns out when it did not run", () => {
    const jwks = { rounds: [], median: summarize([run(500, 1, 2, 3)]) };
    const lines = tableLines({ database: "PostgreSQL", authly: { jwks } }, { rounds: 1, connections: 8, duration: "2s", workloads: ["jwks"] });
    expect(lines[1]).toBe("Medians of 1 round(s), Authly with PostgreSQL (wrk -t1 -c8 -d2s):");
    expect(lines[2]).toBe("  workload  Authly req/s  p50 ms  p99 ms  CPU us/req  non-2xx");
    expect(lines).toHaveLength(5);
  });
});
