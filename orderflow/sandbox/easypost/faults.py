"""Faults injected on demand (POST /sandbox/faults).

Counters (`fail_5xx`, `http_429`, `timeout`, `lose_buy_answer`, `drop_webhooks`) are consumed one
per matching request or event; flags (`duplicate_webhooks`, `reorder_webhooks`) and `latency_ms`
stay until changed or DELETE /sandbox/faults. `path_contains` limits the request faults
(5xx, 429, timeout) to request paths containing that text (e.g. "/buy").
"""

from __future__ import annotations

import threading

COUNTERS = ("fail_5xx", "http_429", "timeout", "lose_buy_answer", "drop_webhooks")
FLAGS = ("duplicate_webhooks", "reorder_webhooks")
DEFAULTS = {
    "latency_ms": 0.0,         # added to every /v2 request (plus the constructor's latency_ms)
    "latency_jitter_ms": 0.0,  # uniform extra 0..jitter
    "fail_5xx": 0, "fail_5xx_status": 500,
    "http_429": 0,
    "timeout": 0, "timeout_s": 65.0,      # hang this long (longer than the client's timeout)
    "timeout_mode": "before",             # "before": never processed; "after": processed, then hang
    "lose_buy_answer": 0, "lose_buy_mode": "500",  # "500" / "502" / "504" or "drop" (close socket)
    "buy_latency_ms": 0.0,   # a buy holds the shipment "purchasing" this long (IN_PROGRESS window)
    "drop_webhooks": 0, "duplicate_webhooks": False, "reorder_webhooks": False,
    "path_contains": None,
}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._values = dict(DEFAULTS)

    def update(self, changes: dict) -> dict:
        unknown = sorted(set(changes) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(unknown)}")
        with self._lock:
            for key, value in changes.items():
                kind = type(DEFAULTS[key])
                if key in ("path_contains", "lose_buy_mode", "timeout_mode"):
                    self._values[key] = None if value is None else str(value)
                elif kind is bool:
                    self._values[key] = bool(value)
                else:
                    self._values[key] = kind(value)
            return dict(self._values)

    def clear(self) -> dict:
        with self._lock:
            self._values = dict(DEFAULTS)
            return dict(self._values)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._values)

    def get(self, key: str):
        with self._lock:
            return self._values[key]

    def take(self, key: str, path: str | None = None) -> bool:
        """Consume one unit of counter `key` if set (request faults: only if the path matches)."""
        with self._lock:
            if self._values[key] <= 0:
                return False
            needle = self._values["path_contains"]
            if path is not None and needle and needle not in path:
                return False
            self._values[key] -= 1
            return True
