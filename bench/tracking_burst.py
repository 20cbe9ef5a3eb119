#!/usr/bin/env python3
"""Tracking burst benchmark: a burst of signed carrier tracker webhooks against the running app.

    python bench/tracking_burst.py        (PostgreSQL and Redis up; `apt-get install wrk` advised)

The question: when a carrier flushes a backlog of tracker updates at once, with duplicates and out
of order, how fast does the app accept them, how long until Shopify and the customers have been
told, and is everyone told exactly once? The issue asks for 20,000 events over 2,000 shipments
(`--shipments 2000 --events 20000 --budget 1700`). The default is a fifth of that, 4,000 events
over 400 shipments, because the drain, not the intake, sets the run's length: on a 2-core machine
the app gets through 15 to 38 jobs/s (some 14 jobs per shipment), so 2,000 shipments take 12
minutes or more, and the whole run must fit in 10 (see bench/README.md).

What runs (bench/README.md says what every figure means):

1. A throwaway PostgreSQL database (migrated), Redis db 10 (flushed), in this process: the sandbox
   Shopify with a Shopify Plus-like throttle (20,000-point bucket, 1,000 points/s: at the standard
   100 points/s, up to 6,000 fulfilment events for 2,000 shipments, 10 points each, could take
   10 minutes by themselves) and a real SMTP server (aiosmtpd) that keeps every message it accepts.
2. The app as production runs it: gunicorn (sync workers) serving `bench.tracking_app:create()`
   (the real app plus a baseline route), one `flask --app orderflow clock`, and
   `--rq-workers` `flask --app orderflow worker` processes. They run from before the burst to
   the end: the burst is drained while it arrives, as it would be in production.
3. Seeding, the fastest honest way: the shop installs the app for real (session token on
   GET /api/orders, then its first sync). For each shipment, an order and its fulfilment (with the
   tracking number) are made in the sandbox Shopify by the very functions its control API and its
   `fulfillmentCreate` mutation call, in this process, without HTTP and without webhooks (nothing
   in the app would see them: no subscription covers fulfilments). The matching rows are then
   inserted in bulk through the app's own models, in the state `push_fulfilment` and then
   `start_tracking` leave them: order `fulfilled`, shipment `fulfilled` with its
   `shopify_fulfillment_id`, `fulfilled_at` and `tracking_token`, one parcel with its label
   bought (`tracking_code`, `bought_at`) and its tracker created (`tracker_id`, no status yet),
   and the "shipped" email recorded as sent. Running 2,000 real orders through the pipeline
   instead would take minutes of the 10 allowed; this takes seconds and the tracking code under
   test reads exactly these rows. The shop's reconciler interval is set to an hour, so that no
   reconciler pass re-reads the seeded orders during the run.
4. The burst, built like the sandbox carrier builds trackers (its tracking codes, messages and
   Tracker/Event shapes): per shipment a history pre_transit -> in_transit (several scans) ->
   out_for_delivery -> delivered, a few percent ending in failure or return_to_sender. Each event
   is a signed `tracker.updated` Event with a unique `evt_` id, whose Tracker carries the
   cumulative tracking_details and an increasing updated_at. About 10% are then sent twice (the
   same bytes, later), and the order is shuffled: shipments interleaved, and each shipment's own
   events partly out of order.
5. The burst is cut into `--rounds` slices. Each real slice (to POST /webhooks/easypost) is
   followed by a baseline slice: the same signed bodies to POST /bench/tracking-baseline, which
   does the least a lossless intake can do. Both kinds of slice see the same background (the
   drain running), so their paired ratio compares the intakes, not the load. Load comes from wrk
   (a Lua script that sends each prepared request once) or, without wrk, from Python processes.
6. Until every shipment's last status is Shopify's latest fulfilment event for it and every
   notice is finished (or the budget is spent), the bench polls the database and the sandbox.
   Then it checks: the database against each history; Shopify's events; the notices; the emails
   the SMTP server really received, by Message-ID and by To+Subject.

The last line is `RESULT events_per_s=... p99_ms=... synced_s=... emails_per_status=... lost=...`.
Exit status 0 when everything was synced, nothing was lost and every (shipment, email) that was
due arrived exactly once; 2 when not; 1 when the run failed.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import errno
import hashlib
import itertools
import json
import os
import random
import re
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    NCPU,
    ROOT,
    CpuMeter,
    Procs,
    app_version,
    descendants,
    free_port,
    median,
    percentile,
    say,
    session_token,
    wait_http,
)

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
API_KEY, API_SECRET = "bench-client-id", "bench-client-secret-that-is-32-bytes-or-more"
CARRIER_SECRET = "bench-carrier-webhook-secret"
SHOP = "bench-tracking.myshopify.com"
THROTTLE_MAX, THROTTLE_RESTORE = 20000.0, 1000.0  # Shopify Plus-like; standard is 2000 / 100
HEAD = 8  # request files: 8 ASCII digits of count, then (8 digits of length, raw request)...
QUEUE_NAMES = ("webhooks", "shipping", "tracking", "email", "reconcile", "default")
REAL_PATH, BASELINE_PATH = "/webhooks/easypost", "/bench/tracking-baseline"

# Our status words (orderflow.integrations.easypost.statuses) for the carrier's final ones, and
# the Shopify fulfilment event and emails each one calls for.
FINAL_OURS = {"delivered": "delivered", "failure": "failed", "return_to_sender": "returning"}
FINAL_SHOPIFY = {"delivered": "DELIVERED", "failure": "FAILURE", "return_to_sender": "FAILURE"}
FINAL_EMAIL = {"delivered": "delivered", "failure": "problem", "return_to_sender": "problem"}
FINAL_ALERT = {"failure": "failed", "return_to_sender": "returning"}

CARRIERS = (("USPS", "GroundAdvantage", 12), ("UPS", "Ground", 5), ("FedEx", "FEDEX_GROUND", 3))
ORIGIN = {"city": "PORTLAND", "state": "OR", "country": "US", "zip": "97205"}
DESTINATIONS = (
    ("Ada", "Lovelace", "77 Massachusetts Ave", "Cambridge", "MA", "02139"),
    ("Grace", "Hopper", "350 Fifth Ave", "New York", "NY", "10118"),
    ("Alan", "Turing", "1600 Pennsylvania Ave NW", "Washington", "DC", "20500"),
    ("Edsger", "Dijkstra", "225 Baker St NW", "Atlanta", "GA", "30313"),
    ("Barbara", "Liskov", "233 S Wacker Dr", "Chicago", "IL", "60606"),
    ("Donald", "Knuth", "1 Arrowhead Dr", "Kansas City", "MO", "64129"),
    ("Frances", "Allen", "2101 Main St", "Dallas", "TX", "75201"),
    ("Dennis", "Ritchie", "1437 Bannock St", "Denver", "CO", "80202"),
    ("Margaret", "Hamilton", "1 Apple Park Way", "Cupertino", "CA", "95014"),
    ("Ken", "Thompson", "400 Broad St", "Seattle", "WA", "98109"),
)
SKUS = ("TEE-CLASSIC-M", "TOTE-CANVAS", "MUG-CERAMIC", "HOODIE-WOOL-L")


# ------------------------------------------------------------------------------------------------
# Tracker histories


@dataclass
class Event:
    evt_id: str
    body: bytes
    status: str  # the carrier's status in this event's Tracker
    shipment: int  # index of the shipment
    seq: int  # position in the shipment's history


@dataclass
class History:
    k: int
    carrier: str
    service: str
    code: str
    tracker_id: str
    outcome: str  # delivered | failure | return_to_sender
    email: str
    first_name: str
    last_name: str
    destination: tuple
    bought_at: dt.datetime
    est_delivery: dt.datetime
    events: list[Event] = field(default_factory=list)

    @property
    def final(self) -> str:
        return self.events[-1].status


def _scan_plan(rng: random.Random, scans: int, dest: dict, hubs: list[dict]) -> list[tuple]:
    """`scans` in_transit details: accepted at the origin, then in and out of hubs, ending at the
    destination's facility; now and then a delay."""
    steps = [("accepted", "arrived_at_facility", ORIGIN), ("departed", "departed_facility", ORIGIN)]
    for hub in hubs:
        steps += [("arrived", "arrived_at_facility", hub), ("departed", "departed_facility", hub)]
    plan = steps[:max(0, scans - 1)]
    if scans >= 4 and rng.random() < 0.15:
        plan[-1] = ("delayed", "delayed", plan[-1][2])
    return plan + [("arrived", "arrived_at_facility", dest)] if scans else []


def build_histories(shipments: int, events: int, dup_rate: float, seed: int,
                    hook_url: str) -> list[History]:
    """Every shipment's tracker history, each event a signed-ready Event body (not yet signed)."""
    from orderflow.sandbox.easypost.state import USER_ID
    from orderflow.sandbox.easypost.trackers import (
        HUBS,
        MESSAGES,
        Route,
        Step,
        apply_step,
        location,
        new_tracker,
        tracking_code,
    )
    from orderflow.sandbox.easypost.util import iso_millis, iso_z

    rng = random.Random(seed)
    unique = max(shipments * 4, round(events / (1.0 + dup_rate)))
    base, extra = divmod(unique, shipments)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    histories, codes = [], set()
    weights = [w for _c, _s, w in CARRIERS]
    for k in range(shipments):
        carrier, service, _w = rng.choices(CARRIERS, weights)[0]
        code = tracking_code(carrier, f"bench-{seed}-{k}")
        while code in codes:
            code = tracking_code(carrier, f"bench-{seed}-{k}-{rng.random()}")
        codes.add(code)
        first, last, _street, city, state, zip_code = DESTINATIONS[k % len(DESTINATIONS)]
        dest = {"city": city.upper(), "state": state, "country": "US", "zip": zip_code}
        roll = rng.random()
        outcome = "failure" if roll < 0.03 else "return_to_sender" if roll < 0.05 else "delivered"
        n = base + (1 if k < extra else 0)
        fixed = 2 if outcome == "failure" else 3  # label + (ofd) + final
        scans = max(1, n - fixed)
        hubs = [dict(zip(("city", "state", "zip"), h), country="US") for h in rng.sample(HUBS, 3)]
        bought = now - dt.timedelta(days=3, hours=rng.uniform(0, 12))
        est = (bought + dt.timedelta(days=3)).replace(hour=0, minute=0, second=0)
        h = History(k, carrier, service, code, "trk_" + hashlib.sha256(code.encode()).hexdigest()[:32],
                    outcome, f"buyer{k}@example.com", first, last, DESTINATIONS[k % len(DESTINATIONS)],
                    bought, est)
        route = Route(carrier, service, 3, {**ORIGIN}, {**dest}, recipient=f"{first} {last}", weight=16.0)
        details = [("label", "pre_transit", "label_created", {"zip": ORIGIN["zip"], "country": "US"})]
        scan_plan = _scan_plan(rng, scans, dest, hubs)
        details += [(kind, "in_transit", sd, place) for kind, sd, place in scan_plan]
        if outcome == "failure":
            why = "lost" if rng.random() < 0.5 else "damaged"
            details.append((why, "failure", why, hubs[-1]))
        else:
            details.append(("ofd", "out_for_delivery", "out_for_delivery", dest))
            details.append(("refused", "return_to_sender", "return", dest)
                           if outcome == "return_to_sender"
                           else ("delivered", "delivered", "arrived_at_destination", dest))
        # Times: from the label to at most 10 minutes ago, 1 to 9 hours apart.
        gaps = [rng.uniform(1, 9) for _ in details[1:]]
        span = (now - dt.timedelta(minutes=10) - bought).total_seconds() / 3600
        scale = min(1.0, span / max(1e-6, sum(gaps)))
        at = bought
        tracker = new_tracker(h.tracker_id, code, route, "shp_" + code[-12:], bought,
                              "https://track.easypost.com")
        for seq, (kind, status, status_detail, place) in enumerate(details):
            if seq:
                at = at + dt.timedelta(hours=gaps[seq - 1] * scale)
            usps, ups, fedex, fedex_code = MESSAGES[kind]
            message = {"USPS": usps, "UPS": ups, "FedEx": fedex}[carrier]
            detail = {"object": "TrackingDetail", "message": message, "description": message,
                      "status": status, "status_detail": status_detail, "datetime": iso_z(at),
                      "source": carrier, "carrier_code": fedex_code if carrier == "FedEx" else "",
                      "tracking_location": location(place), "est_delivery_date": None}
            step = Step(status, status_detail, [detail], at, est_delivery=est if seq == 0 else None,
                        signed_by=(f"{first} {last}".upper() if status == "delivered" else None))
            updated = at + dt.timedelta(minutes=rng.uniform(1, 20))
            previous = apply_step(tracker, step, updated)
            evt_id = "evt_" + uuid.UUID(int=rng.getrandbits(128)).hex
            body = json.dumps({
                "description": "tracker.updated", "mode": "test",
                "previous_attributes": {"status": previous}, "created_at": iso_millis(updated),
                "pending_urls": [hook_url], "completed_urls": [], "updated_at": iso_millis(updated),
                "id": evt_id, "user_id": USER_ID, "status": "pending", "object": "Event",
                "result": tracker}, separators=(",", ":")).encode()
            h.events.append(Event(evt_id, body, status, k, seq))
        histories.append(h)
    return histories


def burst_order(histories: list[History], events: int, seed: int, jitter: float) -> list[Event]:
    """Duplicates and reordering. Each event gets a send key: a random start per shipment (so
    shipments interleave) plus its position, plus up to ±`jitter` positions of noise (so a
    shipment's events swap now and then). A duplicate is the same Event resent 1 to 30 positions
    later, as a carrier retrying a delivery it thought failed would."""
    rng = random.Random(seed + 1)
    longest = max(len(h.events) for h in histories)
    keyed = []
    for h in histories:
        start = rng.uniform(0, 3 * longest)
        for e in h.events:
            keyed.append((start + e.seq + rng.uniform(-jitter, jitter), e))
    unique = len(keyed)
    for _key, e in rng.sample(keyed, max(0, events - unique)):
        keyed.append((_key + rng.uniform(1, 30), e))
    keyed.sort(key=lambda pair: pair[0])
    return [e for _k, e in keyed]


def disorder(order: list[Event], histories: list[History]) -> dict:
    """How out of order the burst is, per shipment, counting first sends only."""
    seen: set[str] = set()
    last_seq: dict[int, int] = {}
    late = 0
    first_sends: dict[int, list[int]] = defaultdict(list)
    for e in order:
        if e.evt_id in seen:
            continue
        seen.add(e.evt_id)
        if e.seq < last_seq.get(e.shipment, -1):
            late += 1
        last_seq[e.shipment] = max(last_seq.get(e.shipment, -1), e.seq)
        first_sends[e.shipment].append(e.seq)
    final_not_last = sum(1 for h in histories if first_sends[h.k][-1] != len(h.events) - 1)
    status_back = 0  # a status sent after a later status of its shipment had been sent
    for h in histories:
        rank = {"pre_transit": 0, "in_transit": 1, "out_for_delivery": 2}
        best = -1
        for seq in first_sends[h.k]:
            r = rank.get(h.events[seq].status, 3)
            status_back += r < best
            best = max(best, r)
    return {"late": late, "unique": len(seen), "final_not_last": final_not_last,
            "status_back": status_back}


# ------------------------------------------------------------------------------------------------
# Requests and load generators


def raw_request(path: str, port: int, body: bytes) -> bytes:
    from orderflow.sandbox.easypost.webhooks import signature
    head = (f"POST {path} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "User-Agent: EasyPost WebHook Agent 1.0\r\n"
            "Accept: */*\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"X-Hmac-Signature: {signature(body, CARRIER_SECRET)}\r\n"
            "\r\n")
    return head.encode() + body


def write_slice(directory: Path, name: str, requests: list[bytes], threads: int) -> list[list[int]]:
    """One request file per generator thread, round-robin in send order; returns, per thread,
    the index (in `requests`) of each request it sends, in its order."""
    assigned = [list(range(t, len(requests), threads)) for t in range(threads)]
    for t, indices in enumerate(assigned, start=1):
        with open(directory / f"{name}.{t}.req", "wb", buffering=1 << 20) as out:
            out.write(b"%08d" % len(indices))
            for i in indices:
                out.write(b"%08d" % len(requests[i]))
                out.write(requests[i])
    return assigned


WRK_LUA = r"""
-- bench/tracking_burst.py: send each prepared request of the file once, then stop.
-- args: <dir> <slice name>. Run with one thread (-t 1), see run_wrk().
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


def run_wrk(directory: Path, name: str, port: int, threads: int, connections: int,
            requests: int) -> dict:
    """wrk with one thread (its request file is `<name>.1.req`): a thread that had finished would
    leave connections open and idle, holding gunicorn's sync workers (see the Lua script)."""
    script = directory / "burst.lua"
    if not script.exists():
        script.write_text(WRK_LUA)
    ceiling = 60 + requests / 100  # far beyond any sane rate; only a backstop
    cmd = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{int(ceiling)}s", "--timeout", "30s",
           "-s", str(script), f"http://127.0.0.1:{port}/", "--", str(directory), name]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marker = directory / f"{name}.1.done"
    give_up = time.monotonic() + ceiling
    while proc.poll() is None and not marker.exists() and time.monotonic() < give_up:
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # wrk stops its thread, then runs done()
    out, err = proc.communicate(timeout=60)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result (exit {proc.returncode}):\n{out}\n{err}")
    data = json.loads(line[len("BENCH_JSON "):])
    return {"threads": [dict(r, statuses=None) for r in data["threads"]],
            "p50_ms": data["p50_us"] / 1000, "p90_ms": data["p90_us"] / 1000,
            "p99_ms": data["p99_us"] / 1000, "max_ms": data["max_us"] / 1000,
            "socket_errors": data["errors"]}


def _pygen_worker(path: str, port: int, connections: int, out: str) -> None:
    """One generator process: each request of its file once, `connections` at a time."""
    source = open(path, "rb")
    total = int(source.read(HEAD))
    sel = selectors.DefaultSelector()
    statuses: list[int | None] = [None] * total
    latencies: list[float] = []
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    sent = 0
    t_first = t_last = 0.0

    def start() -> None:
        nonlocal sent, t_first
        raw = source.read(int(source.read(HEAD)))
        now = time.monotonic()
        if sent == 0:
            t_first = now
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        sel.register(sock, selectors.EVENT_WRITE, {"sock": sock, "raw": memoryview(raw), "off": 0,
                                                   "buf": bytearray(), "index": sent, "t0": now,
                                                   "need": None})
        sent += 1

    for _ in range(min(connections, total)):
        start()
    open_count = min(connections, total)
    while open_count:
        for key, _mask in sel.select(timeout=1.0):
            state = key.data
            sock = state["sock"]
            status = "pending"
            try:
                if state["off"] < len(state["raw"]):
                    state["off"] += sock.send(state["raw"][state["off"]:])
                    if state["off"] >= len(state["raw"]):
                        sel.modify(sock, selectors.EVENT_READ, state)
                    continue
                chunk = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as exc:
                errors["connect" if exc.errno == errno.ECONNREFUSED else "read"] += 1
                status, chunk = None, b""
            if status == "pending":
                buf = state["buf"]
                buf += chunk
                end = buf.find(b"\r\n\r\n")
                if end >= 0 and state["need"] is None:
                    state["need"] = end + 4
                    for line in bytes(buf[:end]).split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            state["need"] = end + 4 + int(value)
                if chunk and (state["need"] is None or len(buf) < state["need"]):
                    continue
                try:
                    status = int(bytes(buf[9:12])) if buf.startswith(b"HTTP/") else None
                except ValueError:
                    status = None
                if status is None:
                    errors["read"] += 1
            now = time.monotonic()
            sel.unregister(sock)
            sock.close()
            if status is not None:
                statuses[state["index"]] = status
                latencies.append((now - state["t0"]) * 1000)
                t_last = now
                if not 200 <= status < 300:
                    errors["status"] += 1
            if sent < total:
                start()
            else:
                open_count -= 1
    Path(out).write_text(json.dumps({"sent": sent, "statuses": statuses, "latencies_ms": latencies,
                                     "errors": errors, "t_first": t_first, "t_last": t_last}))


def run_python(directory: Path, name: str, port: int, threads: int, connections: int,
               requests: int) -> dict:
    procs = []
    per = max(1, connections // threads)
    for t in range(1, threads + 1):
        out = directory / f"{name}.{t}.json"
        procs.append((out, subprocess.Popen(
            [sys.executable, __file__, "--_generator", str(directory / f"{name}.{t}.req"),
             str(port), str(per), str(out)])))
    rows, latencies, errors = [], [], Counter()
    for out, proc in procs:
        if proc.wait(timeout=120 + requests / 50) != 0:
            raise RuntimeError(f"the Python generator failed (exit {proc.returncode})")
        data = json.loads(out.read_text())
        latencies += data["latencies_ms"]
        errors.update(data["errors"])
        st = data["statuses"]
        rows.append({"sent": data["sent"], "answered": sum(s is not None for s in st),
                     "ok": sum(1 for s in st if s is not None and 200 <= s < 300),
                     "bad": sum(1 for s in st if s is not None and not 200 <= s < 300),
                     "probes": 0, "finished": 1, "t_first": data["t_first"], "t_last": data["t_last"],
                     "statuses": st})
    latencies.sort()
    return {"threads": rows, "p50_ms": percentile(latencies, 50), "p90_ms": percentile(latencies, 90),
            "p99_ms": percentile(latencies, 99), "max_ms": latencies[-1] if latencies else 0.0,
            "socket_errors": dict(errors)}


def slice_figures(result: dict) -> dict:
    rows = result["threads"]
    started = [r["t_first"] for r in rows if r["sent"]]
    ended = [r["t_last"] for r in rows if r["answered"]]
    wall = (max(ended) - min(started)) if started and ended else 0.0
    ok = sum(r["ok"] for r in rows)
    return {"sent": sum(r["sent"] for r in rows), "answered": sum(r["answered"] for r in rows),
            "probes": sum(r.get("probes", 0) for r in rows),
            "ok": ok, "bad": sum(r["bad"] for r in rows), "wall": wall,
            "rate": ok / wall if wall > 0 else 0.0, "t_first": min(started) if started else None,
            "p50_ms": result["p50_ms"], "p90_ms": result["p90_ms"], "p99_ms": result["p99_ms"],
            "max_ms": result["max_ms"],
            "errors": {k: v for k, v in (result.get("socket_errors") or {}).items() if v}}


def accepted_ids(result: dict, assigned: list[list[int]], events: list[Event]) -> tuple[set, set]:
    """(event ids known answered 2xx, event ids the generator cannot tell about)."""
    known, unsure = set(), set()
    for row, indices in zip(result["threads"], assigned):
        ids = [events[i].evt_id for i in indices]
        if row["statuses"] is not None:
            known.update(ids[j] for j, s in enumerate(row["statuses"])
                         if s is not None and 200 <= s < 300)
        elif row["answered"] == row["sent"] == len(ids) and row["bad"] == 0:
            known.update(ids)
        else:
            unsure.update(ids)
    return known, unsure - known


# ------------------------------------------------------------------------------------------------
# In-process instruments: the SMTP server and the Shopify GraphQL meter


class MailCounter:
    """An aiosmtpd handler that keeps every message it accepts (just the headers that count)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        row = {"message_id": str(message.get("Message-ID") or ""), "to": str(message.get("To") or ""),
               "subject": str(message.get("Subject") or ""), "rcpt": list(envelope.rcpt_tos),
               "at": time.monotonic()}
        with self.lock:
            self.messages.append(row)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.messages)


class GraphqlMeter:
    """Every Admin GraphQL answer of the in-process sandbox: operation, actual cost, THROTTLED."""

    _NAME = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")

    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[tuple] = []  # (monotonic, operation, actual cost, throttled)

    def install(self) -> None:
        import orderflow.sandbox.shopify.admin as sandbox_admin
        original, meter = sandbox_admin.execute, self

        def metered(ctx, body):
            answer = original(ctx, body)
            try:
                match = meter._NAME.match(body.get("query") or "")
                cost = (answer.get("extensions") or {}).get("cost") or {}
                throttled = any((e.get("extensions") or {}).get("code") == "THROTTLED"
                                for e in answer.get("errors") or [] if isinstance(e, dict))
                with meter.lock:
                    meter.calls.append((time.monotonic(), match.group(1) if match else "anonymous",
                                        cost.get("actualQueryCost") or 0, throttled))
            except Exception:  # noqa: BLE001 - a meter must never break the sandbox
                pass
            return answer

        sandbox_admin.execute = metered

    def since(self, t0: float) -> list[tuple]:
        with self.lock:
            return [c for c in self.calls if c[0] >= t0]


# ------------------------------------------------------------------------------------------------
# Seeding


def seed(histories: list[History], shopify, shop_id: int, engine) -> dict:
    """Orders and fulfilments in the sandbox Shopify, then the app's rows, as the pipeline leaves
    them after push_fulfilment and start_tracking (see the module's docstring)."""
    from sqlalchemy import insert

    from orderflow.db.models import Notice, Order, OrderEvent, ParcelRow, Shipment
    from orderflow.sandbox.shopify import orders as sandbox_orders
    from orderflow.sandbox.shopify.fulfillments import create_fulfillment, plan_fulfillment
    from orderflow.sandbox.shopify.util import gid

    store = shopify.store
    made = []
    with store.lock:
        shop = store.shop(SHOP)
        for h in histories:
            first, last, street, city, state, zip_code = h.destination
            sku = SKUS[h.k % len(SKUS)]
            quantity = 1 + h.k % 2
            address = {"first_name": first, "last_name": last, "address1": street, "city": city,
                       "province_code": state, "zip": zip_code, "country": "United States",
                       "country_code": "US"}
            order = sandbox_orders.create_order(store, shop, {
                "line_items": [{"sku": sku, "quantity": quantity}], "email": h.email,
                "financial_status": "paid", "shipping_address": address,
                "customer": {"first_name": first, "last_name": last, "email": h.email}})
            fo = order.fulfillment_orders[0]
            group = {"fulfillmentOrderId": gid("FulfillmentOrder", fo.id)}
            spec = {"lineItemsByFulfillmentOrder": [group],
                    "trackingInfo": {"company": h.carrier, "numbers": [h.code]},
                    "notifyCustomer": False}  # the app sends its own "shipped" email instead
            lines = [{"id": gid("FulfillmentOrderLineItem", ln.id), "quantity": ln.remaining}
                     for ln in fo.lines]
            plan, errors = plan_fulfillment(shop, spec)
            if errors:
                raise RuntimeError(f"the sandbox refused a fulfilment: {errors}")
            order, fulfillment = create_fulfillment(store, shop, plan, spec, None)
            item = order.line_items[0]
            made.append((h, order, fo, lines, fulfillment, item, address))

    fulfilled = {h.k: h.bought_at + dt.timedelta(minutes=5) for h, *_ in made}
    seeded_at = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        order_ids = conn.execute(insert(Order).returning(Order.id, sort_by_parameter_order=True), [{
            "shop_id": shop_id, "shopify_id": order.id, "name": order.name, "email": h.email,
            "currency": "USD", "total_price": item.price * item.quantity,
            "financial_status": "paid", "fulfillment_status": "fulfilled", "state": "fulfilled",
            "shopify_created_at": order.created_at, "shopify_updated_at": order.updated_at,
            "shipping_address": {"name": f"{address['first_name']} {address['last_name']}", **address},
            "test": False, "created_at": h.bought_at - dt.timedelta(hours=1),
            "updated_at": fulfilled[h.k],
        } for h, order, _fo, _lines, _f, item, address in made]).scalars().all()
        conn.execute(insert(OrderEvent), [{
            "shop_id": shop_id, "order_id": oid, "kind": "fulfilled", "source": "shipping",
            "message": f"Fulfilled in Shopify with tracking {h.code}", "created_at": fulfilled[h.k],
        } for oid, (h, *_rest) in zip(order_ids, made)])
        shipments = insert(Shipment).returning(Shipment.id, sort_by_parameter_order=True)
        shipment_ids = conn.execute(shipments, [{
            "shop_id": shop_id, "order_id": oid, "fulfillment_order_id": gid("FulfillmentOrder", fo.id),
            "lines": lines, "state": "fulfilled", "carrier": h.carrier, "service": h.service,
            "cost": 7.5, "currency": "USD", "shopify_fulfillment_id": gid("Fulfillment", f.id),
            "fulfilled_at": fulfilled[h.k], "estimated_delivery": h.est_delivery.date(),
            "tracking_token": secrets.token_urlsafe(24),
            "created_at": h.bought_at - dt.timedelta(minutes=30),
        } for oid, (h, _order, fo, lines, f, _item, _a) in zip(order_ids, made)]).scalars().all()
        conn.execute(insert(ParcelRow), [{
            "shipment_id": sid, "shop_id": shop_id, "position": 1, "box": "Small box",
            "length_in": 8, "width_in": 6, "height_in": 4, "weight_oz": 16,
            "contents": {"items": {item.title: item.quantity}},
            "carrier_shipment_id": "shp_" + h.tracker_id[4:], "rate_id": "rate_" + h.tracker_id[4:24],
            "amount": 7.5, "tracking_code": h.code, "label_format": "PDF",
            "buy_started_at": h.bought_at - dt.timedelta(seconds=3), "bought_at": h.bought_at,
            "tracker_id": h.tracker_id, "tracking_events": [], "tracking_updated_at": h.bought_at,
            "tracking_checked_at": seeded_at,
        } for sid, (h, _o, _fo, _l, _f, item, _a) in zip(shipment_ids, made)])
        conn.execute(insert(Notice), [{
            "shop_id": shop_id, "shipment_id": sid, "channel": "email", "kind": "shipped",
            "state": "sent", "recipient": h.email, "attempts": 1, "detail": {"status": None},
            "created_at": fulfilled[h.k], "started_at": fulfilled[h.k], "sent_at": fulfilled[h.k],
        } for sid, (h, *_rest) in zip(shipment_ids, made)])
    return {"shipment_ids": dict(zip((h.k for h, *_ in made), shipment_ids)),
            "fulfillments": {h.k: f.id for h, _o, _fo, _l, f, _i, _a in made},
            "orders": {h.k: order.name for h, order, *_rest in made}}


# ------------------------------------------------------------------------------------------------
# Watching the drain


class Watcher:
    """Polls the database and the sandbox until everything the burst said has been told."""

    def __init__(self, raw_url: str, shopify, expected: dict[int, str], fulfillments: dict[int, int]):
        self.raw_url, self.shopify = raw_url, shopify
        self.expected, self.fulfillments = expected, fulfillments  # k -> Shopify status; k -> id
        self.sending_done = threading.Event()
        self.synced_at: float | None = None
        self.samples: list[tuple] = []
        self._stop = threading.Event()
        self.error: BaseException | None = None

    def shopify_synced(self) -> int:
        from orderflow.sandbox.shopify.fulfillments import latest_event
        store = self.shopify.store
        synced = 0
        with store.lock:
            shop = store.shop(SHOP)
            for k, fid in self.fulfillments.items():
                event = latest_event(shop.fulfillments[fid])
                synced += event is not None and event.status == self.expected[k]
        return synced

    def sample(self, conn) -> dict:
        deliveries = dict(conn.execute("SELECT status, count(*) FROM webhook_deliveries"
                                       " WHERE topic LIKE 'tracker.%' GROUP BY status").fetchall())
        notices = dict(conn.execute("SELECT state, count(*) FROM notices GROUP BY state").fetchall())
        return {"deliveries": deliveries, "notices": notices, "shopify": self.shopify_synced()}

    @staticmethod
    def settled(s: dict, total_shipments: int) -> bool:
        waiting = s["deliveries"].get("pending", 0) + s["deliveries"].get("queued", 0)
        untold = s["notices"].get("pending", 0) + s["notices"].get("sending", 0)
        return not waiting and not untold and s["shopify"] == total_shipments

    def run(self) -> None:
        import psycopg
        try:
            with psycopg.connect(self.raw_url, autocommit=True) as conn:
                while not self._stop.is_set():
                    s = self.sample(conn)
                    now = time.monotonic()
                    self.samples.append((now, s))
                    if (self.sending_done.is_set() and self.synced_at is None
                            and self.settled(s, len(self.expected))):
                        self.synced_at = now
                    self._stop.wait(0.25)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc

    def start(self) -> Watcher:
        self.thread = threading.Thread(target=self.run, name="watcher", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=10)

    def latest(self) -> dict | None:
        return self.samples[-1][1] if self.samples else None


# ------------------------------------------------------------------------------------------------
# Figures after the run


_JOB_LINE = re.compile(r"Successfully completed ([\w.]+)\((.*?)\) job in (\d+):(\d\d):(\d\d(?:\.\d+)?)s")


def job_stats(procs: Procs) -> dict:
    """From the RQ worker logs: jobs finished by function (count, seconds), and job starts by
    id, to find the notices whose job ran more than once."""
    done: dict[str, list[float]] = defaultdict(list)
    for func, _args, h, m, sec in procs.grep("worker", _JOB_LINE.pattern):
        done[func.rsplit(".", 1)[-1]].append(int(h) * 3600 + int(m) * 60 + float(sec))
    starts = Counter()
    notice_job = r": (orderflow\.jobs\.notices\.\w+)\((\d+)\) \([\w.-]+\)$"
    for _func, notice_id in procs.grep("worker", notice_job):
        starts[notice_id] += 1
    failed = procs.grep("worker", r"^.*(?:Traceback|Error:|Exception:).*$")
    return {"by_func": {k: (len(v), sum(v)) for k, v in done.items()},
            "notice_runs": starts, "errors": Counter(line.strip()[:160] for line in failed)}


def rq_state(redis) -> dict:
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
    out = {}
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=redis)
        row = {"queued": len(queue), "started": StartedJobRegistry(queue=queue).count,
               "scheduled": ScheduledJobRegistry(queue=queue).count,
               "failed": FailedJobRegistry(queue=queue).count}
        if any(row.values()):
            out[name] = row
    return out


def check_run(conn, histories: list[History], seeded: dict, shopify, mails: list[dict],
              accepted: set[str], unsure: set[str]) -> dict:
    """Everything the burst should have changed, compared with what it changed."""
    from orderflow.fulfilment.tracking import shopify_event_rank
    from orderflow.sandbox.shopify.fulfillments import latest_event

    by_k = {h.k: h for h in histories}
    sid_to_k = {sid: k for k, sid in seeded["shipment_ids"].items()}
    recorded = {r[0] for r in conn.execute(
        "SELECT webhook_id FROM webhook_deliveries WHERE topic LIKE 'tracker.%'")}
    unrecorded = accepted - recorded
    deliveries = dict(conn.execute("SELECT status, count(*) FROM webhook_deliveries WHERE topic LIKE"
                                   " 'tracker.%' GROUP BY status").fetchall())
    delivery_errors = conn.execute("SELECT status, left(error, 140), count(*) FROM webhook_deliveries"
                                   " WHERE status NOT IN ('done', 'pending', 'queued') GROUP BY 1, 2"
                                   " ORDER BY 3 DESC LIMIT 5").fetchall()

    # Our database against each history's last status
    rows = conn.execute("SELECT s.id, s.tracking_status, p.tracking_status, o.state, s.delivered_at"
                        " IS NOT NULL FROM shipments s JOIN parcels p ON p.shipment_id = s.id JOIN"
                        " orders o ON o.id = s.order_id").fetchall()
    db_wrong, order_states = [], Counter()
    for sid, ship_status, parcel_status, order_state, delivered in rows:
        k = sid_to_k[sid]
        want = FINAL_OURS[by_k[k].final]
        order_states[order_state] += 1
        if ship_status != want or parcel_status != want or (want == "delivered") != delivered:
            db_wrong.append((k, want, ship_status, parcel_status))

    # Shopify: the latest event of each fulfilment, duplicates, and events pushed out of order
    shopify_wrong, pushed_twice, stale_pushes, events_total = [], 0, 0, 0
    by_status = Counter()
    with shopify.store.lock:
        shop = shopify.store.shop(SHOP)
        for k, fid in seeded["fulfillments"].items():
            f = shop.fulfillments[fid]
            statuses = [e.status for e in f.events]
            events_total += len(statuses)
            by_status.update(statuses)
            pushed_twice += len(statuses) - len(set(statuses))
            stale_pushes += sum(1 for a, b in itertools.pairwise(statuses)
                                if shopify_event_rank(b) < shopify_event_rank(a))
            latest = latest_event(f)
            want = FINAL_SHOPIFY[by_k[k].final]
            if latest is None or latest.status != want:
                shopify_wrong.append((k, want, latest.status if latest else None, statuses))

    # Notices, and emails really received
    notices = conn.execute("SELECT id, shipment_id, channel, kind, state, left(coalesce(error, ''), 120),"
                           " extract(epoch FROM created_at), extract(epoch FROM sent_at), attempts"
                           " FROM notices").fetchall()
    notice_states = Counter((n[2], n[3], n[4]) for n in notices)
    superseded = sum(1 for n in notices if n[2] == "shopify" and n[4] == "skipped"
                     and n[5].startswith("Shopify was told"))
    notice_errors = Counter((n[2], n[4], n[5]) for n in notices if n[4] in ("failed", "unconfirmed")
                            or (n[4] == "skipped" and n[2] != "shopify"))
    by_notice = {n[0]: n for n in notices}
    received = Counter()  # (k, channel, kind) -> messages, by Message-ID
    unknown_mail = 0
    for m in mails:
        match = re.match(r"<notice-(\d+)\.", m["message_id"])
        notice = by_notice.get(int(match.group(1))) if match else None
        if notice is None:
            unknown_mail += 1
            continue
        received[(sid_to_k[notice[1]], notice[2], notice[3])] += 1
    by_subject = Counter((m["to"].lower(), m["subject"]) for m in mails)
    due = {(sid_to_k[n[1]], n[2], n[3]) for n in notices if n[2] in ("email", "merchant")
           and n[3] != "shipped" and not (n[4] == "skipped" and n[2] == "email")}
    for h in histories:  # whatever happened on the way, the last status's email is due
        due.add((h.k, "email", FINAL_EMAIL[h.final]))
        if h.final in FINAL_ALERT:
            due.add((h.k, "merchant", FINAL_ALERT[h.final]))
    counts = [received.get(key, 0) for key in due]
    off = sorted((key, received.get(key, 0)) for key in due if received.get(key, 0) != 1)
    extra = sorted((key, n) for key, n in received.items() if key not in due)
    shipped_resent = sum(n for (k, ch, kind), n in received.items() if kind == "shipped")
    # An "out for delivery" email that left after the shipment was known to be delivered.
    created = {(n[1], n[2], n[3]): n for n in notices}
    late_ofd = sum(1 for (sid, ch, kind), n in created.items()
                   if ch == "email" and kind == "out_for_delivery" and n[7] is not None
                   and (sid, "email", "delivered") in created
                   and float(n[7]) > float(created[(sid, "email", "delivered")][6]))
    ofd_after = sum(1 for (sid, ch, kind), n in created.items()
                    if ch == "email" and kind == "out_for_delivery" and n[7] is not None
                    and created.get((sid, "email", "delivered"), (None,) * 8)[7] is not None
                    and float(n[7]) > float(created[(sid, "email", "delivered")][7]))
    subject_dupes = sum(1 for n in by_subject.values() if n > 1)
    by_kind = Counter()
    for (_k, ch, kind), n in received.items():
        by_kind[(ch, kind)] += n
    return {
        "recorded": len(recorded), "unrecorded": unrecorded, "unsure": unsure - recorded,
        "deliveries": deliveries, "delivery_errors": delivery_errors,
        "db_wrong": db_wrong, "order_states": order_states,
        "shopify_wrong": shopify_wrong, "pushed_twice": pushed_twice, "stale_pushes": stale_pushes,
        "shopify_events": events_total, "shopify_by_status": by_status,
        "notice_states": notice_states, "superseded": superseded, "notice_errors": notice_errors,
        "mails": len(mails), "unknown_mail": unknown_mail, "due": len(due), "received_due": sum(counts),
        "max_per_status": max(counts, default=0), "off": off, "extra": extra,
        "shipped_resent": shipped_resent, "late_ofd": late_ofd, "ofd_after": ofd_after,
        "subject_dupes": subject_dupes,
        "received_by_kind": by_kind,
    }


# ------------------------------------------------------------------------------------------------
# The run


class Bench:
    """One run: infrastructure, the app's processes, seeding, the burst, the wait, the figures."""

    def __init__(self, args, generator: str):
        self.args, self.generator = args, generator
        self.run_slice = run_wrk if generator == "wrk" else run_python
        self.files = 1 if generator == "wrk" else args.threads  # request files per slice
        self.started = time.monotonic()
        self.work = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
        self.procs = Procs(self.work)
        self.db_name = f"orderflow_bench_track_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.db_created = False
        self.shopify = self.smtp = self.watcher = self.engine = None

    # --- infrastructure and the app ----------------------------------------------------------

    def setup(self) -> None:
        import psycopg
        from aiosmtpd.controller import Controller
        from redis import Redis
        from sqlalchemy import create_engine

        from bench.tracking_app import BASELINE_TABLE
        from orderflow.db.migrate import upgrade
        from orderflow.sandbox.shopify import SandboxShopify

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        self.raw_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.db_name}"
        upgrade(self.raw_url)
        with psycopg.connect(self.raw_url, autocommit=True) as conn:
            conn.execute(BASELINE_TABLE)
        self.redis = Redis.from_url(REDIS_URL)
        self.redis.flushdb()
        db_url = self.raw_url.replace("postgresql://", "postgresql+psycopg://")
        self.engine = create_engine(db_url)

        self.meter = GraphqlMeter()
        self.meter.install()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.shopify = SandboxShopify(
            API_KEY, API_SECRET, app_webhooks_uri=f"{self.base}/webhooks/shopify", time_scale=0.001,
            throttle_max=THROTTLE_MAX, throttle_restore=THROTTLE_RESTORE).start()
        self.shopify.store.create_shop(SHOP)
        self.mail = MailCounter()
        self.smtp = Controller(self.mail, hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        env = dict(os.environ)
        env.update({
            "APP_ENV": "test", "DATABASE_URL": db_url, "REDIS_URL": REDIS_URL,
            "SHOPIFY_API_KEY": API_KEY, "SHOPIFY_API_SECRET": API_SECRET,
            "SHOPIFY_SANDBOX_URL": self.shopify.url, "APP_URL": self.base, "EMBEDDED_CLOCK": "false",
            "CARRIER_WEBHOOK_SECRET": CARRIER_SECRET, "MAIL_FROM": "shipping@bench.example",
            "SMTP_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            # No carrier API is needed: the burst brings the news. A call would fail, and show.
            "EASYPOST_API_BASE": f"http://127.0.0.1:{free_port()}/v2",
            "RECONCILE_INTERVAL_SECONDS": "3600",
            "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
        })
        self.start_app(env)

    def start_app(self, env: dict) -> None:
        bin_dir = Path(sys.executable).parent
        self.gunicorn = self.procs.start("gunicorn", [
            str(bin_dir / "gunicorn"), "--workers", str(self.args.workers), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}", "--backlog", "2048", "--log-level", "warning",
            "bench.tracking_app:create()"], env)
        wait_http(f"{self.base}/bench/ping", self.gunicorn)
        flask = str(bin_dir / "flask")
        self.procs.start("clock", [flask, "--app", "orderflow", "clock"], env)
        self.workers = [f"worker-{w}" for w in range(1, self.args.rq_workers + 1)]
        for name in self.workers:
            self.procs.start(name, [flask, "--app", "orderflow", "worker"], env)
        self.groups = {
            "gunicorn": lambda: [self.gunicorn.pid, *descendants(self.gunicorn.pid)],
            "workers": lambda: [p for n in self.workers for p in self.procs.pids(n)],
            "clock": lambda: self.procs.pids("clock"), "bench": lambda: [os.getpid()]}

    def install(self) -> None:
        """The shop installs the app (session token on GET /api/orders); its first sync ends."""
        import httpx
        import psycopg
        t = time.monotonic()
        response = httpx.get(f"{self.base}/api/orders", timeout=30, headers={
            "Authorization": f"Bearer {session_token(SHOP, API_KEY, API_SECRET)}"})
        if response.status_code != 200:
            raise RuntimeError(f"install through GET /api/orders: {response.status_code}"
                               f" {response.text[:300]}")
        with psycopg.connect(self.raw_url, autocommit=True) as conn:
            self.shop_id = conn.execute("SELECT id FROM shops WHERE domain = %s", (SHOP,)).fetchone()[0]
            end = time.monotonic() + 60
            while not conn.execute("SELECT reconciled_through IS NOT NULL FROM shops WHERE id = %s",
                                   (self.shop_id,)).fetchone()[0]:
                self.procs.check()
                if time.monotonic() > end:
                    raise RuntimeError("the install's first sync did not finish in 60 s")
                time.sleep(0.2)
        say(f"install and first sync: {time.monotonic() - t:.1f}s")

    def prepare(self) -> None:
        """The histories, the order they are sent in, and the shipments they are about."""
        args = self.args
        t = time.monotonic()
        self.histories = build_histories(args.shipments, args.events, args.duplicates, args.seed,
                                         f"{self.base}{REAL_PATH}")
        self.order = burst_order(self.histories, args.events, args.seed, args.jitter)
        mess = disorder(self.order, self.histories)
        built_s, t = time.monotonic() - t, time.monotonic()
        self.seeded = seed(self.histories, self.shopify, self.shop_id, self.engine)
        seed_s = time.monotonic() - t
        per = Counter(len(h.events) for h in self.histories)
        sizes = sorted(len(e.body) for e in self.order)
        say(f"seeded {args.shipments} fulfilled shipments (sandbox orders + fulfilments, app rows) in"
            f" {seed_s:.1f}s; histories built in {built_s:.1f}s")
        say(f"burst: {len(self.order)} events, {mess['unique']} unique"
            f" ({len(self.order) - mess['unique']} sent twice); {dict(sorted(per.items()))} events per"
            f" shipment; outcomes {dict(Counter(h.outcome for h in self.histories))}; body"
            f" {sizes[0]}-{sizes[-1]} bytes (median {sizes[len(sizes) // 2]})")
        say(f"disorder: {mess['late']} first sends ({mess['late'] / mess['unique']:.0%}) come after a"
            f" later event of their shipment; {mess['status_back']} after a later status; the final"
            f" event is not the last one sent for {mess['final_not_last']} shipments")

    # --- load ----------------------------------------------------------------------------------

    def send(self, name: str, requests: list[bytes]) -> tuple[dict, dict, list[list[int]]]:
        """One slice: write its request files, send them, measure gunicorn's CPU meanwhile."""
        assigned = write_slice(self.work, name, requests, self.files)
        self.procs.check()
        web_cpu = CpuMeter({"gunicorn": self.groups["gunicorn"]})
        web_cpu.start()
        result = self.run_slice(self.work, name, self.port, self.files, self.args.connections,
                                len(requests))
        web = web_cpu.stop()
        for tid in range(1, self.files + 1):
            (self.work / f"{name}.{tid}.req").unlink(missing_ok=True)
        figures = slice_figures(result)
        figures["cpu_ms"] = web["gunicorn"] / max(1, figures["answered"] + figures["probes"]) * 1000
        return result, figures, assigned

    def warm_up(self) -> None:
        """Events for tracking codes nobody has: answered 200 "ignored", nothing recorded."""
        import psycopg
        stranger = copy.deepcopy(json.loads(self.histories[0].events[0].body))
        warm = []
        for i in range(400):
            stranger["id"] = f"evt_warmup{i:08d}"
            stranger["result"]["tracking_code"] = f"9400WARMUP{i:012d}"
            body = json.dumps(stranger, separators=(",", ":")).encode()
            warm.append(raw_request(REAL_PATH if i % 2 else BASELINE_PATH, self.port, body))
        _result, figures, _assigned = self.send("warmup", warm)
        with psycopg.connect(self.raw_url, autocommit=True) as conn:
            conn.execute("TRUNCATE bench_tracking_baseline")
        say(f"warm-up: {figures['ok']} of {len(warm)} answered 2xx")

    def burst(self) -> None:
        """The slices, real and baseline in turn, while the watcher follows the drain."""
        args = self.args
        expected = {h.k: FINAL_SHOPIFY[h.final] for h in self.histories}
        self.watcher = Watcher(self.raw_url, self.shopify, expected, self.seeded["fulfillments"]).start()
        self.meter_t0 = time.monotonic()
        with self.shopify.store.lock:
            self.bucket_start = self.shopify.store.bucket(SHOP).available()
        cpu_burst, self.cpu_all = CpuMeter(self.groups), CpuMeter(self.groups)
        self.cpu_all.start()
        cpu_burst.start()
        n = len(self.order)
        slices = [self.order[i * n // args.rounds:(i + 1) * n // args.rounds] for i in range(args.rounds)]
        self.accepted, self.unsure = set(), set()
        self.real, self.baseline, self.t_first = [], [], None
        say("load (rate = 2xx answers / time from the slice's first request to its last answer):")
        for r, events in enumerate(slices, start=1):
            share = events[:max(1, int(len(events) * args.baseline_share))]
            for kind, path, chosen in (("burst", REAL_PATH, events), ("baseline", BASELINE_PATH, share)):
                name = f"{kind}-{r}"
                requests = [raw_request(path, self.port, e.body) for e in chosen]
                result, figures, assigned = self.send(name, requests)
                if kind == "burst":
                    self.t_first = self.t_first or figures["t_first"]
                    known, dunno = accepted_ids(result, assigned, chosen)
                    self.accepted |= known
                    self.unsure |= dunno
                    self.real.append(figures)
                else:
                    self.baseline.append(figures)
                say(f"  {name:<11} {figures['ok']:6d}/{len(requests):<6d} 2xx {figures['rate']:7.0f}/s"
                    f"  p50 {figures['p50_ms']:6.1f} ms  p90 {figures['p90_ms']:6.1f} ms"
                    f"  p99 {figures['p99_ms']:6.1f} ms  max {figures['max_ms']:7.1f} ms"
                    f"  gunicorn {figures['cpu_ms']:4.1f} ms CPU/request"
                    + (f"  other answers {figures['bad']}" if figures["bad"] else "")
                    + (f"  pings {figures['probes']}" if figures["probes"] else "")
                    + (f"  errors {figures['errors']}" if figures["errors"] else ""))
        self.burst_end = time.monotonic()
        self.watcher.sending_done.set()
        self.cpu_burst = cpu_burst.stop()
        self.accepted -= self.unsure

    def wait_for_sync(self) -> None:
        """Until Shopify and the customers have been told, or the budget is spent."""
        deadline = self.started + self.args.budget - 40
        next_print = time.monotonic() + 15
        watcher = self.watcher
        while watcher.synced_at is None:
            now = time.monotonic()
            if watcher.error is not None:
                raise RuntimeError(f"the watcher failed: {watcher.error!r}")
            if now > deadline:
                say(f"  gave up waiting at {now - self.t_first:.0f}s after the first event (--budget)")
                break
            self.procs.check()
            if now >= next_print and watcher.latest():
                s = watcher.latest()
                say(f"  {now - self.t_first:5.0f}s deliveries {dict(sorted(s['deliveries'].items()))}"
                    f" notices {dict(sorted(s['notices'].items()))} Shopify in sync"
                    f" {s['shopify']}/{len(self.histories)}")
                next_print = now + 15
            time.sleep(0.25)
        self.synced_s = (watcher.synced_at - self.t_first) if watcher.synced_at is not None else None
        self.cpu_sync = self.cpu_all.stop()
        time.sleep(3.0)  # a little longer, so that a late duplicate (an email twice) is still seen
        watcher.stop()

    def sabotage(self, n: int) -> None:
        """Checks the checker: after the sync, N emails arrive a second time, N shipments lose
        their last Shopify event, N others step back in our database. Expect N pairs with 2
        emails and lost=2N."""
        import smtplib
        from email.message import EmailMessage

        import psycopg
        mails = self.mail.snapshot()[:n]
        with smtplib.SMTP("127.0.0.1", self.smtp.port, timeout=10) as smtp:
            for m in mails:
                again = EmailMessage()
                again["Message-ID"], again["To"] = m["message_id"], m["to"]
                again["Subject"] = m["subject"]
                again["From"] = "shipping@bench.example"
                again.set_content("sent twice")
                smtp.send_message(again)
        ks = sorted(self.seeded["fulfillments"])
        with self.shopify.store.lock:
            shop = self.shopify.store.shop(SHOP)
            for k in ks[:n]:
                shop.fulfillments[self.seeded["fulfillments"][k]].events.pop()
        with psycopg.connect(self.raw_url, autocommit=True) as conn:
            ids = [self.seeded["shipment_ids"][k] for k in ks[n:2 * n]]
            conn.execute("UPDATE shipments SET tracking_status = 'in_transit' WHERE id = ANY(%s)", (ids,))
        say(f"SABOTAGE: {len(mails)} emails sent again, {min(n, len(ks))} last Shopify events removed,"
            f" {len(ids)} shipments set back to in_transit")

    def collect(self) -> None:
        import psycopg
        self.rq = rq_state(self.redis)
        with psycopg.connect(self.raw_url, autocommit=True) as conn:
            self.checks = check_run(conn, self.histories, self.seeded, self.shopify,
                                    self.mail.snapshot(), self.accepted, self.unsure)
            self.base_rows = conn.execute("SELECT count(*) FROM bench_tracking_baseline").fetchone()[0]
            self.phases = conn.execute(
                "SELECT extract(epoch FROM min(received_at)), extract(epoch FROM max(received_at)),"
                " extract(epoch FROM max(finished_at)) FROM webhook_deliveries"
                " WHERE topic LIKE 'tracker.%'").fetchone()
            self.drained = conn.execute(
                "SELECT (SELECT count(*) FROM webhook_deliveries WHERE topic LIKE 'tracker.%%' AND"
                " finished_at IS NOT NULL), (SELECT count(*) FROM notices WHERE kind <> 'shipped' AND"
                " state NOT IN ('pending', 'sending'))").fetchone()
            self.notice_times = conn.execute(
                "SELECT channel, extract(epoch FROM min(sent_at)), extract(epoch FROM max(sent_at))"
                " FROM notices WHERE kind <> 'shipped' GROUP BY channel").fetchall()
        self.calls = self.meter.since(self.meter_t0)
        self.jobs = job_stats(self.procs)

    # --- figures -------------------------------------------------------------------------------

    def report(self) -> tuple[str, int]:
        """Print the figures; returns the RESULT line and the exit status."""
        say("figures:")
        events_per_s, p99 = self.report_intake()
        self.report_sync()
        self.report_shopify()
        emails_text, exact = self.report_emails()
        lost = self.report_state()
        say(f"total time {time.monotonic() - self.started:.0f}s")
        synced = f"{self.synced_s:.1f}" if self.synced_s is not None else "nan"
        line = (f"RESULT events_per_s={events_per_s:.0f} p99_ms={p99:.1f} synced_s={synced}"
                f" emails_per_status={emails_text} lost={lost}")
        return line, 0 if self.synced_s is not None and lost == 0 and exact else 2

    def report_intake(self) -> tuple[float, float]:
        real, baseline = self.real, self.baseline
        pairs = [rf["rate"] / bf["rate"] for rf, bf in zip(real, baseline, strict=False) if bf["rate"]]
        events_per_s, p99 = median([f["rate"] for f in real]), median([f["p99_ms"] for f in real])
        total_ok, total_wall = sum(f["ok"] for f in real), sum(f["wall"] for f in real)
        say(f"  intake: {events_per_s:.0f} events/s accepted (median of {len(real)} slices; {total_ok}"
            f" 2xx in {total_wall:.1f}s of sending = {total_ok / total_wall if total_wall else 0:.0f}/s),"
            f" p50 {median([f['p50_ms'] for f in real]):.1f} ms, p99 {p99:.1f} ms"
            f" (medians of the slices)")
        say(f"  baseline (signature check + one INSERT): {median([f['rate'] for f in baseline]):.0f}"
            f" events/s, p99 {median([f['p99_ms'] for f in baseline]):.1f} ms; ratio intake/baseline"
            f" {median(pairs):.2f} (median of paired slices {', '.join(f'{p:.2f}' for p in pairs)});"
            f" {self.base_rows} baseline rows")
        say(f"  gunicorn CPU per request: intake {median([f['cpu_ms'] for f in real]):.1f} ms, baseline"
            f" {median([f['cpu_ms'] for f in baseline]):.1f} ms (medians; steadier than rates on a busy"
            f" machine)")
        say_cpu("while sending", self.cpu_burst)
        return events_per_s, p99

    def report_sync(self) -> None:
        if self.synced_s is not None:
            say(f"  synced: {self.synced_s:.1f}s from the first event sent until every shipment's last"
                f" status was Shopify's latest event for it and every notice was finished (sending took"
                f" {self.burst_end - self.t_first:.1f}s)")
            events, notices = self.drained
            say(f"  drain: {events} events and {notices} notices handled by {self.args.rq_workers} RQ"
                f" workers in {self.synced_s:.0f}s: {(events + notices) / self.synced_s:.1f} jobs/s,"
                f" {len(self.histories) / self.synced_s:.2f} shipments/s")
        else:
            s = self.watcher.latest() or {"deliveries": {}, "notices": {}, "shopify": 0}
            say(f"  NOT synced within the budget: deliveries {s['deliveries']}, notices {s['notices']},"
                f" Shopify in sync {s['shopify']}/{len(self.histories)}")
        first, last_in, last_done = self.phases
        if first is not None and last_done is not None:
            def rel(moment) -> float:
                return float(moment) - float(first)

            say(f"  phases (s after the first recorded event): last event recorded {rel(last_in):.1f},"
                f" last event processed {rel(last_done):.1f}"
                + "".join(f", {ch} notices sent {rel(a):.1f}-{rel(b):.1f}"
                          for ch, a, b in self.notice_times if a is not None))
        bf = self.jobs["by_func"]
        if bf:
            by_time = sorted(bf.items(), key=lambda kv: -kv[1][1])
            say("  jobs (count, mean): "
                + ", ".join(f"{f} {n}x {s / n * 1000:.0f} ms" for f, (n, s) in by_time))
        runs = self.jobs["notice_runs"]
        more = sum(n - 1 for n in runs.values() if n > 1)
        if more:
            say(f"  notice jobs run more than once: {sum(1 for n in runs.values() if n > 1)} notices,"
                f" {more} extra runs")
        if self.rq:
            say(f"  RQ at the end: {self.rq}")
        if self.jobs["errors"]:
            say("  errors in worker logs: " + "; ".join(
                f"{n}x {e}" for e, n in self.jobs["errors"].most_common(4)))
        say_cpu("from the first event to the sync", self.cpu_sync)

    def report_shopify(self) -> None:
        calls, checks = self.calls, self.checks
        points = sum(c[2] for c in calls)
        floor = max(0.0, points - self.bucket_start) / THROTTLE_RESTORE
        say(f"  Shopify: {len(calls)} GraphQL calls {dict(Counter(c[1] for c in calls))}, {points}"
            f" points, {sum(1 for c in calls if c[3])} THROTTLED; the throttle alone needs >="
            f" {floor:.1f}s for them (bucket {self.bucket_start:.0f} at the start); at the standard"
            f" 100 points/s: >= {max(0.0, points - 2000) / 100:.0f}s")
        say(f"  Shopify events: {checks['shopify_events']} created {dict(checks['shopify_by_status'])};"
            f" {checks['superseded']} skipped as superseded by a later status; the same status twice"
            f" on a fulfilment: {checks['pushed_twice']}; an earlier status created after a later one:"
            f" {checks['stale_pushes']}; fulfilments whose latest event is not the last status:"
            f" {len(checks['shopify_wrong'])}")
        if checks["shopify_wrong"]:
            say(f"    e.g. {[w[:3] for w in checks['shopify_wrong'][:5]]}")
        ns = checks["notice_states"]
        kinds = sorted({(c, k) for c, k, _s in ns})
        say("  notices: " + ", ".join(
            f"{ch}/{kind} " + "/".join(f"{st} {n}" for (c2, k2, st), n in sorted(ns.items())
                                       if (c2, k2) == (ch, kind)) for ch, kind in kinds))
        if checks["notice_errors"]:
            say("    not sent: " + "; ".join(f"{n}x {ch} {st}: {err}" for (ch, st, err), n in
                                            checks["notice_errors"].most_common(5)))

    def report_emails(self) -> tuple[str, bool]:
        c = self.checks
        exact = bool(c["due"]) and not c["off"] and not c["extra"] and not c["unknown_mail"]
        text = "1.0" if exact else f"{c['mails'] / c['due']:.4f}" if c["due"] else "nan"
        say(f"  emails: the SMTP server received {c['mails']} ({dict(c['received_by_kind'])});"
            f" {c['due']} (shipment, email) pairs were due (customer emails and merchant alerts; the"
            f" seeded 'shipped' is not); received for them {c['received_due']}, at most"
            f" {c['max_per_status']} for one; {len(c['off'])} pairs with 0 or 2+, {len(c['extra'])}"
            f" emails not due, {c['unknown_mail']} without a notice's Message-ID, {c['shipped_resent']}"
            f" 'shipped' sent again; (To, Subject) pairs received twice: {c['subject_dupes']}")
        if c["off"] or c["extra"]:
            say(f"    off: {c['off'][:8]}{' ...' if len(c['off']) > 8 else ''} not due: {c['extra'][:8]}")
        say(f"  'out for delivery' emails sent after the delivery was known: {c['late_ofd']}"
            f" (after the 'delivered' email itself: {c['ofd_after']})")
        return text, exact

    def report_state(self) -> int:
        c = self.checks
        say(f"  our database: {len(c['db_wrong'])} shipments whose status is not their history's last"
            f" (shipment, parcel, delivered_at); orders {dict(c['order_states'])}")
        if c["db_wrong"]:
            say(f"    e.g. {c['db_wrong'][:5]}")
        say(f"  deliveries: {c['recorded']} tracker events recorded for {len(self.accepted)} distinct"
            f" ids answered 2xx; {len(c['unrecorded'])} answered 2xx but not recorded; states"
            f" {dict(c['deliveries'])}"
            + (f"; {len(c['unsure'])} unrecorded among requests the generator could not match to an"
               f" answer" if c["unsure"] else ""))
        for status, error, n in c["delivery_errors"]:
            say(f"    {n}x {status}: {error}")
        wrong = {k for k, *_ in c["db_wrong"]} | {k for k, *_ in c["shopify_wrong"]}
        if self.synced_s is None and wrong:
            say(f"  lost counts {len(wrong)} shipments not in sync when the budget ran out")
        return len(c["unrecorded"]) + len(wrong)

    def teardown(self) -> None:
        import psycopg
        if self.watcher is not None:
            self.watcher.stop()
        self.procs.stop()
        for thing in (self.smtp, self.shopify):
            if thing is not None:
                thing.stop()
        if self.engine is not None:
            self.engine.dispose()
        if self.db_created and not self.args.keep:
            try:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001
                say(f"could not drop database {self.db_name}: {exc}")
        if self.args.keep:
            say(f"kept database {self.db_name} and logs in {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def say_cpu(when: str, cpu: dict) -> None:
    wall = cpu["wall"] or 1.0
    other = cpu["other"] / wall
    say(f"  CPU {when} ({wall:.0f}s, cores busy): gunicorn {cpu['gunicorn'] / wall:.2f}, RQ workers"
        f" {cpu['workers'] / wall:.2f}, clock {cpu['clock'] / wall:.2f}, postgres"
        f" {cpu['postgres'] / wall:.2f}, generator {cpu['generator'] / wall:.2f}, this process"
        f" (sandbox, SMTP, watcher) {cpu['bench'] / wall:.2f}, anything else {other:.2f}; machine"
        f" {cpu['machine'] / wall:.2f} of {NCPU}"
        + (f"  NOISY: {other:.2f} cores used outside this benchmark" if other > 0.2 else ""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shipments", type=int, default=400,
                        help="fulfilled shipments to track (the issue's size: 2000; see bench/README.md)")
    parser.add_argument("--events", type=int, default=4000,
                        help="events in the burst, duplicates included (the issue's size: 20000)")
    parser.add_argument("--duplicates", type=float, default=0.10,
                        help="share of the unique events sent a second time")
    parser.add_argument("--jitter", type=float, default=1.5,
                        help="reordering within a shipment, in positions of its history (+/-)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="real slices of the burst, each followed by a baseline slice")
    parser.add_argument("--baseline-share", type=float, default=0.5,
                        help="a baseline slice sends this share of the real slice before it")
    parser.add_argument("--connections", type=int, default=16, help="generator connections")
    parser.add_argument("--threads", type=int, default=2,
                        help="processes of the Python generator (wrk always runs one thread)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rq-workers", type=int, default=3,
                        help="`flask --app orderflow worker` processes")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--seed", type=int, default=7, help="seed of the histories and the shuffle")
    parser.add_argument("--budget", type=float, default=560.0,
                        help="seconds the whole run may take; the wait for the sync gives up in time")
    parser.add_argument("--sabotage", type=int, default=0, metavar="N",
                        help="check the checker: after the sync, send N emails again, remove N last"
                             " Shopify events, set N shipments back (expect N pairs with 2 emails,"
                             " lost=2N)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args(argv)
    if args.shipments < 1 or args.events < 4 * args.shipments:
        parser.error("need --events >= 4 x --shipments (a history has at least 4 events)")
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    if generator == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), or use --generator python")

    from orderflow.queue.calls import QUEUES

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    bench = Bench(args, generator)
    say(f"tracking burst: {args.events} events over {args.shipments} shipments"
        f" (~{args.duplicates:.0%} sent twice, reordered), {args.rounds} slices; generator {generator}"
        f" ({'1 thread' if generator == 'wrk' else f'{bench.files} processes'}, {args.connections}"
        f" connections); gunicorn {args.workers} sync workers, {args.rq_workers} RQ workers;"
        f" {NCPU} CPUs; app at {app_version()}")
    say(f"RQ workers take jobs from the queues in this order: {', '.join(QUEUES)}")
    say(f"Shopify throttle: a Shopify Plus-like bucket of {THROTTLE_MAX:.0f} points restored at"
        f" {THROTTLE_RESTORE:.0f}/s (standard shops: 2000 / 100), as every fulfilment event costs 10")
    result_line, exit_code = None, 1
    try:
        bench.setup()
        bench.install()
        bench.prepare()
        bench.warm_up()
        bench.burst()
        bench.wait_for_sync()
        if args.sabotage:
            bench.sabotage(args.sabotage)
        bench.collect()
        result_line, exit_code = bench.report()
    except BaseException as exc:  # noqa: BLE001
        say(f"bench failed: {type(exc).__name__}: {exc}")
        if not isinstance(exc, (KeyboardInterrupt, SystemExit)):
            say(traceback.format_exc(limit=-4).rstrip())
        for name, _proc in bench.procs.running:
            tail = bench.procs.tail(name, 15)
            if tail:
                say(f"--- {name} log (last lines) ---\n{tail}")
        if isinstance(exc, KeyboardInterrupt):
            exit_code = 130
    finally:
        bench.teardown()
    if result_line is None:
        result_line = "RESULT events_per_s=0 p99_ms=0 synced_s=nan emails_per_status=nan lost=-1"
    say(result_line)
    return exit_code


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_generator":
        _path, _port, _conns, _out = sys.argv[2:6]
        _pygen_worker(_path, int(_port), int(_conns), _out)
        sys.exit(0)
    sys.exit(main())
