-- wrk script for benchmarks/bench_http.py: round-robins POST /v1/boms/{id}/footprints over
-- pre-created BOM ids and, every Nth request, posts a new BOM from the examples.
--
-- Arguments (after `--` on the wrk command line):
--   1: file with one BOM id per line          2: API key
--   3: N, post a BOM every Nth request (0: footprints only)
--   4..: example BOM JSON files posted round-robin
-- wrk runs LuaJIT (Lua 5.1): no integer division operator.
-- done() prints one line `BENCH_JSON {...}` that bench_http.py parses.

local bom_ids = {}
local bom_bodies = {}
local api_key = nil
local bom_every = 0
local threads = {}

local function read_file(path)
  local handle = assert(io.open(path, "rb"))
  local content = handle:read("*a")
  handle:close()
  return content
end

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      table.insert(bom_ids, line)
    end
  end
  api_key = args[2]
  bom_every = tonumber(args[3])
  for i = 4, #args do
    table.insert(bom_bodies, read_file(args[i]))
  end
  -- Threads start at different offsets so they do not hit the same BOM in lockstep.
  counter = id * 7919
  footprints, boms, non_2xx, first_failure = 0, 0, 0, ""
end

function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. api_key,
    ["Content-Type"] = "application/json",
  }
  if bom_every > 0 and counter % bom_every == 0 then
    boms = boms + 1
    local body = bom_bodies[math.floor(counter / bom_every) % #bom_bodies + 1]
    return wrk.format("POST", "/v1/boms", headers, body)
  end
  footprints = footprints + 1
  local bom_id = bom_ids[counter % #bom_ids + 1]
  return wrk.format("POST", "/v1/boms/" .. bom_id .. "/footprints", headers, nil)
end

function response(status, headers, body)
  -- wrk itself only counts status > 399; the benchmark's error count is every non-2xx.
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
    if first_failure == "" then
      first_failure = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

function done(summary, latency, requests)
  local sent_footprints, sent_boms, failed, failure = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    sent_footprints = sent_footprints + thread:get("footprints")
    sent_boms = sent_boms + thread:get("boms")
    failed = failed + thread:get("non_2xx")
    if failure == "" then
      failure = thread:get("first_failure")
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx": %d, '
      .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}, '
      .. '"sent": {"footprints": %d, "boms": %d}, "first_failure": %s}\n',
    summary.requests, summary.duration, summary.bytes, failed,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean,
    sent_footprints, sent_boms, json_string(failure)))
end
