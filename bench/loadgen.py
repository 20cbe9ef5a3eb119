"""The Python load generator, for when wrk is not installed: processes of non-blocking sockets.

Two ways to send, one per benchmark, both reading pre-built raw HTTP requests from files:

* `phase` (bench/webhook_ingest.py): cycle through the file for `duration` seconds, then finish
  the requests in flight. File: (8 ASCII digits of length, the request) repeated.
* `once` (bench/tracking_burst.py): send each request of the file once. File: 8 digits of count,
  then (8 digits of length, the request) repeated.

Each generator process is this file run as a script (`python bench/loadgen.py MODE ...`), so it
imports nothing but the standard library; `run_phase` and `run_once` start them and gather their
figures. Every request opens its own connection, as gunicorn's sync workers close each one.
"""

from __future__ import annotations

import errno
import json
import selectors
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HEAD = 8  # ASCII digits of a length (or of a count) in a request file
PENDING = "pending"


def _errors() -> dict[str, int]:
    return {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}


def _connect(sel, port: int, raw: bytes, index: int, now: float) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    sel.register(sock, selectors.EVENT_WRITE, {"sock": sock, "raw": memoryview(raw), "off": 0,
                                               "buf": bytearray(), "index": index, "t0": now,
                                               "need": None})


def _advance(sel, state: dict, errors: dict):
    """Moves one exchange on: sends what is left of the request, or reads the answer. PENDING
    while it goes on; then the answer's status, or None when the connection failed or the
    answer is not HTTP (counted in `errors`)."""
    sock = state["sock"]
    try:
        if state["off"] < len(state["raw"]):
            state["off"] += sock.send(state["raw"][state["off"]:])
            if state["off"] >= len(state["raw"]):
                sel.modify(sock, selectors.EVENT_READ, state)
            return PENDING
        chunk = sock.recv(65536)
    except BlockingIOError:
        return PENDING
    except OSError as exc:
        errors["connect" if exc.errno == errno.ECONNREFUSED else "read"] += 1
        return None
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
        return PENDING
    try:
        status = int(bytes(buf[9:12])) if buf.startswith(b"HTTP/") else None
    except ValueError:
        status = None
    if status is None:
        errors["read"] += 1
    return status


def _close(sel, state: dict) -> float:
    now = time.monotonic()
    sel.unregister(state["sock"])
    state["sock"].close()
    return now


# ------------------------------------------------------------------------------------------------
# phase: for a duration


def phase_worker(path: str, port: int, duration: float, connections: int, out: str) -> None:
    """One generator process: `connections` concurrent connections, one request each at a time."""
    source = open(path, "rb")
    sel = selectors.DefaultSelector()
    errors = _errors()
    ok_index: list[int] = []
    latencies: list[float] = []
    sent = bad = by_deadline = unanswered = wraps = 0
    deadline = None

    def start() -> None:
        nonlocal sent, deadline, wraps
        head = source.read(HEAD)
        if not head:
            source.seek(0)
            wraps += 1
            head = source.read(HEAD)
        raw = source.read(int(head))
        now = time.monotonic()
        if deadline is None:
            deadline = now + duration
        _connect(sel, port, raw, sent, now)
        sent += 1

    for _ in range(connections):
        start()
    open_count = connections
    while open_count:
        for key, _mask in sel.select(timeout=1.0):
            state = key.data
            status = _advance(sel, state, errors)
            if status == PENDING:
                continue
            now = _close(sel, state)
            if status is None:
                unanswered += 1
            else:
                latencies.append(now - state["t0"])
                if 200 <= status < 300:
                    ok_index.append(state["index"])
                else:
                    bad += 1
                    errors["status"] += 1
                if now < deadline:
                    by_deadline += 1
            if time.monotonic() < deadline:
                start()
            else:
                open_count -= 1
    ms = sorted(x * 1000 for x in latencies)
    Path(out).write_text(json.dumps({
        "sent": sent, "answered": len(latencies), "ok": len(ok_index), "bad": bad,
        "by_deadline": by_deadline, "wraps": wraps, "ok_index": ok_index, "latencies_ms": ms,
        "errors": errors, "unanswered": unanswered,
    }))


def run_phase(directory: Path, phase: str, port: int, duration: float, threads: int,
              connections: int) -> dict:
    """`threads` generator processes on `<phase>.<t>.req`; the figures of each, the latencies."""
    from bench.stats import percentile

    procs = []
    per = max(1, connections // threads)
    for t in range(1, threads + 1):
        out = directory / f"{phase}.{t}.json"
        procs.append((out, subprocess.Popen(
            [sys.executable, __file__, "phase", str(directory / f"{phase}.{t}.req"),
             str(port), str(duration), str(per), str(out)])))
    rows, latencies, errors = [], [], {}
    for out, proc in procs:
        if proc.wait(timeout=duration + 120) != 0:
            raise RuntimeError(f"the Python generator failed (exit {proc.returncode})")
        data = json.loads(out.read_text())
        latencies += data.pop("latencies_ms")
        for k, v in data.pop("errors").items():
            errors[k] = errors.get(k, 0) + v
        rows.append(data)
    latencies.sort()
    return {"threads": rows, "p50_ms": percentile(latencies, 50),
            "p90_ms": percentile(latencies, 90), "p99_ms": percentile(latencies, 99),
            "max_ms": latencies[-1] if latencies else 0.0, "socket_errors": errors}


# ------------------------------------------------------------------------------------------------
# once: each request once


def once_worker(path: str, port: int, connections: int, out: str) -> None:
    """One generator process: each request of its file once, `connections` at a time."""
    source = open(path, "rb")
    total = int(source.read(HEAD))
    sel = selectors.DefaultSelector()
    statuses: list[int | None] = [None] * total
    latencies: list[float] = []
    errors = _errors()
    sent = 0
    t_first = t_last = 0.0

    def start() -> None:
        nonlocal sent, t_first
        raw = source.read(int(source.read(HEAD)))
        now = time.monotonic()
        if sent == 0:
            t_first = now
        _connect(sel, port, raw, sent, now)
        sent += 1

    for _ in range(min(connections, total)):
        start()
    open_count = min(connections, total)
    while open_count:
        for key, _mask in sel.select(timeout=1.0):
            state = key.data
            status = _advance(sel, state, errors)
            if status == PENDING:
                continue
            now = _close(sel, state)
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


def run_once(directory: Path, name: str, port: int, threads: int, connections: int,
             requests: int) -> dict:
    """`threads` generator processes on `<name>.<t>.req`; the figures of each, the latencies."""
    from bench.stats import percentile

    procs = []
    per = max(1, connections // threads)
    for t in range(1, threads + 1):
        out = directory / f"{name}.{t}.json"
        procs.append((out, subprocess.Popen(
            [sys.executable, __file__, "once", str(directory / f"{name}.{t}.req"),
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
                     "probes": 0, "finished": 1, "t_first": data["t_first"],
                     "t_last": data["t_last"], "statuses": st})
    latencies.sort()
    return {"threads": rows, "p50_ms": percentile(latencies, 50),
            "p90_ms": percentile(latencies, 90), "p99_ms": percentile(latencies, 99),
            "max_ms": latencies[-1] if latencies else 0.0, "socket_errors": dict(errors)}


if __name__ == "__main__":
    if sys.argv[1] == "phase":
        _path, _port, _duration, _conns, _out = sys.argv[2:7]
        phase_worker(_path, int(_port), float(_duration), int(_conns), _out)
    else:
        _path, _port, _conns, _out = sys.argv[2:6]
        once_worker(_path, int(_port), int(_conns), _out)
