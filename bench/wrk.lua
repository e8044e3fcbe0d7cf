-- wrk script for bench/http.py.
--   BENCH_TOKEN   bearer token sent with every request (GET runs)
--   BENCH_BODIES  file of "token<TAB>json body" lines: each request POSTs the next line with that
--                 line's token (thread k of n takes lines k, k+n, ...), so every booking is distinct
--   BENCH_METHOD  GET (default) or POST
-- Prints one line "WRKJSON {...}" with requests, duration, latency percentiles and status counts.
local threads = {}
local token = os.getenv("BENCH_TOKEN")
local bodies_file = os.getenv("BENCH_BODIES")
local method = os.getenv("BENCH_METHOD") or "GET"
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  s2xx, s409, sother, wrapped = 0, 0, 0, 0
  lines = {}
  if bodies_file then
    for line in io.lines(bodies_file) do
      table.insert(lines, line)
    end
  end
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  pos = tid + 1
end

function request()
  local headers = {}
  if method == "POST" then
    local line = lines[pos]
    if line == nil then
      wrapped = wrapped + 1
      pos = tid + 1
      line = lines[pos]
    end
    pos = pos + nthreads
    local tab = string.find(line, "\t", 1, true)
    headers["Authorization"] = "Bearer " .. string.sub(line, 1, tab - 1)
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", nil, headers, string.sub(line, tab + 1))
  end
  if token then
    headers["Authorization"] = "Bearer " .. token
  end
  return wrk.format("GET", nil, headers, nil)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status == 409 then
    s409 = s409 + 1
  else
    sother = sother + 1
  end
end

function done(summary, latency, requests)
  local ok, conflict, other, wrap = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("s2xx")
    conflict = conflict + t:get("s409")
    other = other + t:get("sother")
    wrap = wrap + t:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"s2xx": %d, "s409": %d, "sother": %d, "wrapped": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, ok, conflict, other, wrap, e.connect + e.read + e.write + e.timeout))
end
