-- wrk script of bench/run: REST load against lmdbapi's gateway or etcd's.
--   wrk -t2 -c64 -d5s -s bench/wrk/load.lua http://127.0.0.1:8080 -- <workload> [arg]
-- Workloads:
--   get <uuids file>      GET /api/permits/{uuid} of a random stored uuid
--   insert                POST /api/permits/insert-record, unique permit_number
--   etcd_put <keys>       POST /v3/kv/put, a random key of <keys>, 200-byte value
--   etcd_range <keys>     POST /v3/kv/range, a random key of <keys>
-- done() prints one JSON line like grpc_load's: calls, errors, qps, p50..p999 in µs.

local threads = {}
local counter = 0

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
  return ((s:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local workload, uuids, keys, value64

function init(args)
  workload = args[1]
  math.randomseed(os.time() * 1000 + (id or 0))
  if workload == "get" then
    uuids = {}
    for line in io.lines(args[2]) do uuids[#uuids + 1] = line end
  elseif workload == "etcd_put" or workload == "etcd_range" then
    keys = tonumber(args[2])
    value64 = base64(string.rep("v", 200))
  elseif workload ~= "insert" then
    error("unknown workload " .. tostring(workload))
  end
end

local json_headers = { ["Content-Type"] = "application/json" }

function request()
  counter = counter + 1
  if workload == "get" then
    return wrk.format("GET", "/api/permits/" .. uuids[math.random(#uuids)])
  elseif workload == "insert" then
    local body = string.format(
      '{"permit_number": "W-%d-%d-%d", "client": "c%d", "county": "NY", ' ..
      '"county_status": "Active", "status": "APPROVED", "address": "%d Main Street, Springfield", ' ..
      '"fee_cents": "%d", "issued": "2024-01-02T03:04:05Z"}',
      id, counter, os.time(), counter % 1000, counter, counter % 1000 * 100)
    return wrk.format("POST", "/api/permits/insert-record", json_headers, body)
  end
  local key = base64(string.format("key-%06d", math.random(0, keys - 1)))
  if workload == "etcd_put" then
    return wrk.format("POST", "/v3/kv/put", json_headers,
      string.format('{"key": "%s", "value": "%s"}', key, value64))
  end
  return wrk.format("POST", "/v3/kv/range", json_headers, string.format('{"key": "%s"}', key))
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"calls": %d, "errors": %d, "seconds": %.3f, "qps": %.1f, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "p999_us": %d}\n',
    summary.requests - errors, errors, seconds, (summary.requests - errors) / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
