-- wrk script for bench/payment_notifications.py: posts each notification of a file once, as
-- Alipay posts them (an urlencoded form; the script signed them all, repeats included, before
-- the run). Run with as many threads as connections (-tN -cN): thread k sends bodies k, k + N,
-- k + 2N, ... one after another on its one connection, so each request's latency is timed here.
-- Arguments (after `--`): <file, one body a line> <path> <host> <threads>.
--
-- Each thread prints "finished" after its last answer and stops (the script then stops wrk with
-- SIGINT: wrk itself only knows durations); at the end wrk prints "sent <posts> <failed>
-- <microseconds from the first post to the last answer>" and per thread "latency <us> <us> ...".

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } hearth_timespec;
int clock_gettime(int clock, hearth_timespec *tp);
]]
local clock = ffi.new("hearth_timespec")

local function now_us()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC: one clock for every thread
  return tonumber(clock.tv_sec) * 1000000 + math.floor(tonumber(clock.tv_nsec) / 1000)
end

local threads = {}

-- With HEARTH_BENCH_INTERVAL_US set, each connection posts at that interval (a fixed offered
-- rate, as long as the app keeps up), the connections spread over it; unset, back to back.
local interval = tonumber(os.getenv("HEARTH_BENCH_INTERVAL_US") or "")

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

local requests, failed, latencies, began, ended, started = {}, 0, {}, nil, nil, nil

local offset = 0

function init(args)
  local index, every = wrk.thread:get("index"), tonumber(args[4])
  offset = interval and interval * index / every or 0
  local headers = { ["Host"] = args[3], ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8" }
  local n = 0
  for body in io.lines(args[1]) do
    if n % every == index then
      requests[#requests + 1] = wrk.format("POST", args[2], headers, body)
    end
    n = n + 1
  end
end

-- The next body is the one after the last answered: wrk also calls this once to check the
-- script, on the first thread before it runs, and that call must not use a body up.
function request()
  local next = #latencies + 1
  if next > #requests then
    return "" -- every body is out: the connection sends nothing more
  end
  started = now_us()
  if next == 1 then
    began = started
  end
  return requests[next]
end

if interval then
  -- The next post's planned time: on a fixed grid from the first, so one slow answer is caught up
  -- on, not carried into every later post.
  local start -- the grid's origin: wrk asks delay() before a connection's first post too

  function delay()
    start = start or now_us()
    local wait = start + offset + #latencies * interval - now_us()
    return wait > 0 and wait / 1000 or 0
  end
end

function response(status, headers, body)
  ended = now_us()
  latencies[#latencies + 1] = ended - started
  if status ~= 200 or body ~= "success" then
    failed = failed + 1
  end
  if #latencies == #requests then
    -- wrk copies plain values between threads, not nested tables: the latencies go as one string
    wrk.thread:set("result", string.format("%d %d %d %d\n%s", #latencies, failed, began, ended, table.concat(latencies, " ")))
    io.write("finished\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local sent, failed, began, ended = 0, summary.errors.connect + summary.errors.read + summary.errors.write, nil, nil
  local lines = {}
  for _, thread in ipairs(threads) do
    local result = thread:get("result")
    if result then
      local n, lost, first, last, times = result:match("^(%d+) (%d+) (%d+) (%d+)\n(.*)$")
      sent, failed = sent + tonumber(n), failed + tonumber(lost)
      began = math.min(began or tonumber(first), tonumber(first))
      ended = math.max(ended or tonumber(last), tonumber(last))
      lines[#lines + 1] = "latency " .. times
    end
  end
  io.write(string.format("sent %d %d %d\n", sent, failed, (ended or 0) - (began or 0)))
  io.write(table.concat(lines, "\n"), "\n")
end
