"""wrk as the load generator: one Lua script per way of sending (see bench/loadgen.py).

* `run_phase` (bench/webhook_ingest.py): each thread cycles through its request file; after the
  phase's deadline, `delay()` parks each connection, and the thread stops itself once every
  request it sent has been answered, so nothing is in flight when a phase ends.
* `run_once` (bench/tracking_burst.py): one thread sends each request of its file once. A
  connection with nothing left to send keeps sending `GET /bench/ping` until the last real answer
  is in (see the script for why).

Each script writes a `<name>.<thread>.done` marker when its thread has finished, and prints its
figures as one `BENCH_JSON {...}` line from `done()`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

PHASE_LUA = r"""
-- bench/wrk.py, for bench/webhook_ingest.py: cycle through pre-built signed requests,
-- one per request() call.
-- args: <dir> <phase> <duration seconds>
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
  table.insert(threads, thread)
end

sent, answered, ok, bad, by_deadline, wraps, finished = 0, 0, 0, 0, 0, 0, 0
t_first, t_last = 0, 0
local f, dir, phase, duration, deadline
local verifying = false
local probe = "GET /bench/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

function init(args)
  dir, phase, duration = args[1], args[2], tonumber(args[3])
  f = assert(io.open(dir .. "/" .. phase .. "." .. tid .. ".req", "rb"))
  verifying = (tid == 1)  -- wrk calls request() once on the first thread to check it; not sent
end

function request()
  if verifying then
    verifying = false
    return probe
  end
  local head = f:read(8)
  if head == nil then
    f:seek("set", 0)
    wraps = wraps + 1
    head = f:read(8)
  end
  local req = f:read(tonumber(head))
  sent = sent + 1
  if sent == 1 then
    t_first = now()
    deadline = t_first + duration
  end
  return req
end

-- Before each request but a connection's first: after the deadline, park the connection.
function delay()
  if deadline ~= nil and now() >= deadline then
    return 3600000
  end
  return 0
end

function response(status, headers, body)
  local t = now()
  answered = answered + 1
  t_last = t
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
  if t < deadline then by_deadline = by_deadline + 1 end
  if t >= deadline and answered == sent and finished == 0 then
    finished = 1
    local marker = io.open(dir .. "/" .. phase .. "." .. tid .. ".done", "w")
    if marker then marker:close() end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local rows = {}
  for _, t in ipairs(threads) do
    rows[#rows + 1] = string.format(
      '{"tid":%d,"sent":%d,"answered":%d,"ok":%d,"bad":%d,"by_deadline":%d,"wraps":%d,' ..
      '"finished":%d,"t_first":%.6f,"t_last":%.6f}',
      t:get("tid"), t:get("sent"), t:get("answered"), t:get("ok"), t:get("bad"),
      t:get("by_deadline"), t:get("wraps"), t:get("finished"), t:get("t_first"), t:get("t_last"))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"threads":[%s],"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"requests":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    table.concat(rows, ","), latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, summary.requests,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


ONCE_LUA = r"""
-- bench/wrk.py (bench/tracking_burst.py): send each prepared request of the file once, then stop.
-- args: <dir> <slice name>. Run with one thread (-t 1), see run_once().
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC, as Python's time.monotonic()
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

sent, answered, ok, bad, probes, finished, total = 0, 0, 0, 0, 0, 0, 0
t_first, t_last = 0, 0
local f, dir, name
local verifying = true  -- wrk calls request() once to check it; that one is not sent
-- Once the file is exhausted, a connection sends this cheap request instead, until the last
-- real answer is in. It must not sit idle: gunicorn's sync workers close every connection after
-- one answer and wrk reconnects at once, so an idle connection would hold a worker on its recv
-- until gunicorn's 30 s timeout kills it, with other requests waiting behind it.
local probe = "GET /bench/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

function init(args)
  dir, name = args[1], args[2]
  f = assert(io.open(dir .. "/" .. name .. ".1.req", "rb"))
  total = tonumber(f:read(8))
end

function request()
  if verifying then
    verifying = false
    return probe
  end
  if sent >= total then
    return probe
  end
  local head = f:read(8)
  local req = f:read(tonumber(head))
  sent = sent + 1
  if sent == 1 then t_first = now() end
  return req
end

local function finish()
  if finished == 0 then
    finished = 1
    local marker = io.open(dir .. "/" .. name .. ".1.done", "w")
    if marker then marker:close() end
    wrk.thread:stop()
  end
end

function response(status, headers, body)
  if body == "pong" then
    probes = probes + 1
  else
    answered = answered + 1
    t_last = now()
    if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
  end
  if answered >= total then finish() end
end

function done(summary, latency, requests)
  local t = threads[1]
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"threads":[{"sent":%d,"answered":%d,"ok":%d,"bad":%d,"probes":%d,"finished":%d,' ..
    '"t_first":%.6f,"t_last":%.6f}],"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    t:get("sent"), t:get("answered"), t:get("ok"), t:get("bad"), t:get("probes"), t:get("finished"),
    t:get("t_first"), t:get("t_last"), latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _run(script: Path, text: str, cmd: list[str], markers: list[Path], wait_s: float) -> dict:
    """Runs wrk until every marker exists (or `wait_s` has passed), then its BENCH_JSON."""
    if not script.exists():
        script.write_text(text)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    give_up = time.monotonic() + wait_s
    while (proc.poll() is None and not all(m.exists() for m in markers)
           and time.monotonic() < give_up):
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # wrk stops its threads, then runs done()
    out, err = proc.communicate(timeout=60)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result (exit {proc.returncode}):\n{out}\n{err}")
    return json.loads(line[len("BENCH_JSON "):])


def run_phase(directory: Path, phase: str, port: int, duration: float, threads: int,
              connections: int) -> dict:
    script = directory / "bench.lua"
    # -d is only a backstop: each thread stops itself once its last request is answered.
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(duration + 30)}s",
           "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}/",
           "--", str(directory), phase, str(duration)]
    markers = [directory / f"{phase}.{t}.done" for t in range(1, threads + 1)]
    data = _run(script, PHASE_LUA, cmd, markers, duration + 15)
    data["threads"].sort(key=lambda row: row["tid"])
    return {
        "threads": [{k: row[k] for k in ("sent", "answered", "ok", "bad", "by_deadline", "wraps")}
                    | {"ok_index": None} for row in data["threads"]],
        "p50_ms": data["p50_us"] / 1000, "p90_ms": data["p90_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000, "max_ms": data["max_us"] / 1000,
        "socket_errors": data["errors"],
    }


def run_once(directory: Path, name: str, port: int, threads: int, connections: int,
             requests: int) -> dict:
    """wrk with one thread (its request file is `<name>.1.req`; `threads` is for the Python
    generator's signature): a thread that had finished would leave connections open and idle,
    holding gunicorn's sync workers (see the Lua script)."""
    script = directory / "burst.lua"
    ceiling = 60 + requests / 100  # far beyond any sane rate; only a backstop
    cmd = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{int(ceiling)}s", "--timeout", "30s",
           "-s", str(script), f"http://127.0.0.1:{port}/", "--", str(directory), name]
    data = _run(script, ONCE_LUA, cmd, [directory / f"{name}.1.done"], ceiling)
    return {"threads": [dict(r, statuses=None) for r in data["threads"]],
            "p50_ms": data["p50_us"] / 1000, "p90_ms": data["p90_us"] / 1000,
            "p99_ms": data["p99_us"] / 1000, "max_ms": data["max_us"] / 1000,
            "socket_errors": data["errors"]}
