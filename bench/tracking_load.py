"""bench/tracking_burst.py's requests: signed carrier webhooks, request files, slice figures.

Request files, one per generator thread, hold 8 ASCII digits of count, then (8 digits of length,
the raw HTTP request) repeated; bench/loadgen.py and bench/wrk.py send each request once.
"""

from __future__ import annotations

from pathlib import Path

from bench.tracking_histories import Event

CARRIER_SECRET = "bench-carrier-webhook-secret"
REAL_PATH, BASELINE_PATH = "/webhooks/easypost", "/bench/tracking-baseline"


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


def write_slice(directory: Path, name: str, requests: list[bytes],
                threads: int) -> list[list[int]]:
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
    for row, indices in zip(result["threads"], assigned, strict=False):
        ids = [events[i].evt_id for i in indices]
        if row["statuses"] is not None:
            known.update(ids[j] for j, s in enumerate(row["statuses"])
                         if s is not None and 200 <= s < 300)
        elif row["answered"] == row["sent"] == len(ids) and row["bad"] == 0:
            known.update(ids)
        else:
            unsure.update(ids)
    return known, unsure - known
