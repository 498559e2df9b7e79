-- wrk script: POST /v1/votes with voter ids drawn from 1..10M and options A-D, the
-- same script for nginx and votedesk. No response() callback: parsing every answer in
-- Lua would make wrk the bottleneck. Acknowledged = completed requests - non-2xx.
local options = {"A", "B", "C", "D"}
local headers = {["Content-Type"] = "application/json"}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local body = string.format('{"voter":"u%d","option":"%s"}', math.random(1, 10000000), options[math.random(1, 4)])
  return wrk.format("POST", "/v1/votes", headers, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local non2xx = summary.errors.status
  local socketErrors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.0f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d acked=%d\n",
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50), latency:percentile(99),
    non2xx, socketErrors, summary.requests - non2xx))
end
