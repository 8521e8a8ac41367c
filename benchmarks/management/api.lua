-- wrk script for benchmarks/management/run.sh: one management API call, repeated, with the bearer token.
-- Configured by the environment (run.sh sets these):
--   MGMT_METHOD  GET or POST
--   MGMT_PATH    e.g. /api/v1/health, /api/v1/app/APP_ID/msg
--   MGMT_BODY    the JSON body of a POST (sent as is)
--   MGMT_TOKEN   the bearer token
--   MGMT_IDEM    when "1", every request carries its own `idempotency-key` (what the Svix SDKs send on
--                every POST): "<MGMT_NONCE>-<thread>-<n>", never repeated, so none is a replay
-- done() prints one line: "RESULT key=value ..." (requests, non-2xx/3xx answers, socket errors,
-- duration and latency in microseconds).
local method = os.getenv("MGMT_METHOD") or "GET"
local path = os.getenv("MGMT_PATH") or "/api/v1/health"
local body = os.getenv("MGMT_BODY")
local idem = os.getenv("MGMT_IDEM") == "1"
local nonce = os.getenv("MGMT_NONCE") or "k"

wrk.method = method
wrk.path = path
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("MGMT_TOKEN") or "")
if method == "POST" then
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = body or "{}"
end

local threads = {}
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  table.insert(threads, thread)
end

if idem then
  local n = 0
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  function request()
    n = n + 1
    headers["idempotency-key"] = nonce .. "-" .. tostring(tid) .. "-" .. tostring(n)
    return wrk.format(method, path, headers, wrk.body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
