-- serve.lua — the wrk script of bench/serve.mjs: POST /api/authorize with
-- the JSON bodies of a file (one per line, allowed and denied in turn),
-- each connection cycling through them from its own starting point;
-- done() prints one JSON line with the counts and latency percentiles.
--
--   wrk -t1 -c16 -d10s -s serve.lua http://127.0.0.1:PORT -- BODIES_FILE

local bodies = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = wrk.format("POST", "/api/authorize",
      { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer bench" }, line)
  end
  i = math.random(#bodies)
end

function request()
  i = i % #bodies + 1
  return bodies[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"non2xx":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.timeout, e.status, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
