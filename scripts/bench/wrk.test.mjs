import { describe, expect, it } from "vitest";
import { parseWrkOutput, parseWrkText, toUs } from "./wrk.mjs";

// wrk 4.1.0's text output with --latency, as printed for a POST run with non-2xx answers and socket errors.
const wrkText = `Running 5s test @ http://127.0.0.1:3202/oauth/token
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.62ms    4.11ms  61.35ms   78.20%
    Req/Sec     2.19k   201.55     2.52k    70.00%
  Latency Distribution
     50%   14.20ms
     75%   16.40ms
     90%   19.33ms
     99%   29.10ms
  10921 requests in 5.01s, 11.20MB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 17
Requests/sec:   2179.64
Transfer/sec:      2.24MB
`;

describe("wrk output", () => {
  it("converts wrk durations to microseconds", () => {
    expect(toUs("812.00us")).toBe(812);
    expect(toUs("14.20ms")).toBeCloseTo(14_200);
    expect(toUs("1.5s")).toBe(1_500_000);
    expect(toUs("1m")).toBe(60_000_000);
    expect(toUs("5")).toBeNaN();
  });

  it("reads requests, errors and percentiles from the text output", () => {
    expect(parseWrkText(wrkText)).toEqual({
      requests: 10921,
      non2xx: 17,
      connect_errors: 1,
      read_errors: 2,
      write_errors: 3,
      timeouts: 4,
      p50_us: 14_200,
      p99_us: 29_100,
    });
  });

  it("counts no errors when wrk prints none", () => {
    const clean = wrkText.replace(/ {2}Socket errors.*\n/, "").replace(/ {2}Non-2xx.*\n/, "");
    expect(parseWrkText(clean)).toMatchObject({ non2xx: 0, connect_errors: 0, read_errors: 0, write_errors: 0, timeouts: 0 });
  });

  it("prefers post.lua's BENCH_RESULT line: exact counts, req/s over its own duration", () => {
    const line =
      'BENCH_RESULT {"requests":20000,"duration_us":4000000,"bytes":1,"non2xx":5,"connect_errors":0,"read_errors":1,"write_errors":0,"timeouts":2,"p50_us":1380,"p90_us":1900,"p99_us":2190,"mean_us":1400.5,"max_us":9000}';
    const r = parseWrkOutput(`${wrkText}${line}\n`, 1.2);
    expect(r.rps).toBe(5_000);
    expect(r.requests).toBe(20_000);
    expect(r.p50Ms).toBeCloseTo(1.38);
    expect(r.p99Ms).toBeCloseTo(2.19);
    expect(r.non2xx).toBe(5);
    expect(r.socketErrors).toBe(3);
    expect(r.cpuSeconds).toBe(1.2);
    expect(r.cpuUsPerRequest).toBeCloseTo(60); // 1.2 s of CPU over 20,000 requests
  });

  it("falls back to the text output and its Requests/sec without the BENCH_RESULT line", () => {
    const r = parseWrkOutput(wrkText, undefined);
    expect(r.rps).toBeCloseTo(2179.64);
    expect(r.requests).toBe(10921);
    expect(r.socketErrors).toBe(10);
    expect(r.p99Ms).toBeCloseTo(29.1);
    expect(r.cpuUsPerRequest).toBeNaN(); // no server process measured (warm-up runs)
    expect(r.cpuSeconds).toBeNaN();
  });
});
