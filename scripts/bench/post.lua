-- wrk script used by scripts/bench.mjs (`npm run bench`). The request comes from the environment:
--   METHOD  HTTP method (default GET)
--   BODY    request body (POST), sent as is
--   AUTH    Authorization header value (e.g. "Basic ...")
--   CTYPE   Content-Type (default application/x-www-form-urlencoded when BODY is set)
-- When wrk finishes, done() prints one line "BENCH_RESULT {json}" with exact counts and latency
-- percentiles in microseconds; bench.mjs reads that line (and falls back to wrk's text output).
wrk.method = os.getenv("METHOD") or "GET"
local body = os.getenv("BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = os.getenv("CTYPE") or "application/x-www-form-urlencoded"
end
local auth = os.getenv("AUTH")
if auth ~= nil and auth ~= "" then
  wrk.headers["Authorization"] = auth
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
