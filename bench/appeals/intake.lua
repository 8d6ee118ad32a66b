-- wrk script of bench/appeals/api_intake.py: POST /api/v1/appeals/ with an API key and a fresh
-- Idempotency-Key per appeal; a share of them is sent a second time with the same key and body
-- (a client retrying), a few requests later, possibly on another connection while the first is
-- still in flight (then it is a concurrent twin). wrk runs for its duration (-d): a thread's
-- `limit` of first sends is only a cap (wrk.thread:stop() ends a thread's loop, not the run).
--
--   wrk -t 2 -c 8 -d 20s -s intake.lua URL -- LIMIT_PER_THREAD RUN_ID API_KEY RETRY_SHARE SEED

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  limit = tonumber(args[1])
  run_id = args[2]
  api_key = args[3]
  share = tonumber(args[4])
  math.randomseed(tonumber(args[5]) + index)
  issued, retried, answered, replayed, failed, expected = 0, 0, 0, 0, 0, 0
  queue, head, tail = {}, 1, 0
  first_failure = ""
end

local function json_string(s)
  return '"' .. s .. '"'
end

function request()
  local pending = queue[head]
  if pending ~= nil and (pending.after <= issued or issued >= limit) then
    queue[head] = nil
    head = head + 1
    retried = retried + 1
    return pending.req
  end
  issued = issued + 1
  local token = run_id .. "-" .. index .. "-" .. issued
  local language = (math.random() < 0.5) and "kk" or "ru"
  local body = "{" ..
    '"content": ' .. json_string("Здравствуйте! Как получить адресную справку? (" .. token .. ")") ..
    ', "name": ' .. json_string("Айгүл Серікқызы") ..
    ', "email": ' .. json_string("c" .. index .. "x" .. issued .. "@example.kz") ..
    ', "language": ' .. json_string(language) ..
    ', "subject": ' .. json_string("Справка") .. "}"
  local req = wrk.format("POST", "/api/v1/appeals/", {
    ["X-API-Key"] = api_key,
    ["Idempotency-Key"] = "bench-" .. token,
    ["Content-Type"] = "application/json",
    ["Accept-Language"] = "ru",
  }, body)
  if issued <= limit then
    expected = expected + 1
    if math.random() < share then
      expected = expected + 1
      tail = tail + 1
      queue[tail] = { req = req, after = issued + 8 }
    end
  end
  return req
end

-- Header names are case-insensitive (RFC 9110); servers differ (granian sends lower case).
function replayed_header(headers)
  for name, value in pairs(headers) do
    if string.lower(name) == "idempotent-replayed" then
      return value
    end
  end
  return nil
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 and status ~= 201 then
    failed = failed + 1
    if first_failure == "" then
      first_failure = (status .. " " .. string.sub(body, 1, 200)):gsub('[^%w%s%-_:,.]', "?")
    end
  elseif replayed_header(headers) == "true" then
    replayed = replayed + 1
  end
end

function done(summary, latency, requests)
  local totals = { issued = 0, retried = 0, answered = 0, replayed = 0, failed = 0 }
  local failure = ""
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
    if failure == "" then failure = thread:get("first_failure") end
  end
  io.write(string.format(
    'WRK-RESULT {"issued": %d, "retried": %d, "answered": %d, "replayed": %d, "failed": %d, ' ..
    '"requests": %d, "seconds": %.6f, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "socket_errors": %d, "first_failure": "%s"}\n',
    totals.issued, totals.retried, totals.answered, totals.replayed, totals.failed,
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    failure))
end
