"""Signed webhook delivery with retries, and the drop / duplicate / reorder faults.

EasyPost signs the raw body: header `X-Hmac-Signature: hmac-sha256-hex=<hex>` where the key is
the webhook secret normalised to NFKD and encoded as UTF-8 (easypost.util.validate_webhook).
A delivery that fails (connection error or non-2xx) is retried after RETRY_DELAYS x time_scale.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import threading
import time
import unicodedata
from dataclasses import dataclass, field

import httpx

RETRY_DELAYS = (5.0, 30.0, 120.0, 600.0, 3600.0)  # seconds before attempts 2..6, x time_scale
MIN_RETRY_DELAY = 0.05
REORDER_HOLD = 0.5  # a held-back event is released after this many real seconds at most


def signature(body: bytes, secret: str) -> str:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


@dataclass
class Hook:
    url: str
    secret: str = ""
    custom_headers: list = field(default_factory=list)


@dataclass
class Delivery:
    hook: Hook
    body: bytes
    attempt: int = 1


class Dispatcher:
    """Background workers that POST event bodies to every registered hook."""

    def __init__(self, time_scale: float, faults, workers: int = 1, timeout: float = 5.0):
        self.time_scale, self.faults, self.timeout = time_scale, faults, timeout
        self.hooks: list[Hook] = []
        self._heap: list = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._held: tuple[float, bytes, int] | None = None
        self._stopping = False
        self._threads = [threading.Thread(target=self._work, name=f"sandbox-easypost-webhooks-{i}",
                                          daemon=True) for i in range(max(1, workers))]
        self.counts = {"events": 0, "attempts": 0, "delivered": 0, "failed": 0, "dropped": 0,
                       "duplicated": 0, "reordered": 0, "retried": 0}

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()
            self._held = None
            for key in self.counts:
                self.counts[key] = 0

    def submit(self, body: bytes) -> None:
        """Queue one event body for every hook, applying the webhook faults."""
        with self._cond:
            self.counts["events"] += 1
            if not self.hooks:
                return
            if self.faults.take("drop_webhooks"):
                self.counts["dropped"] += 1
                return
            copies = 2 if self.faults.get("duplicate_webhooks") else 1
            self.counts["duplicated"] += copies - 1
            if self.faults.get("reorder_webhooks"):
                if self._held is None:
                    self._held = (time.monotonic() + REORDER_HOLD, body, copies)
                    self._cond.notify_all()
                    return
                _, held_body, held_copies = self._held
                self._held = None
                self.counts["reordered"] += 1
                self._enqueue(body, copies)
                self._enqueue(held_body, held_copies)
                return
            self._enqueue(body, copies)

    def _enqueue(self, body: bytes, copies: int) -> None:
        for _ in range(copies):
            for hook in self.hooks:
                self._push(time.monotonic(), Delivery(hook, body))
        self._cond.notify_all()

    def _push(self, due: float, delivery: Delivery) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), delivery))

    def idle(self) -> bool:
        with self._cond:
            return not self._heap and not self._in_flight and self._held is None

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight or self._held is not None:
                if self._held is not None:  # nothing else will come to swap with: release it
                    _, body, copies = self._held
                    self._held = None
                    self._enqueue(body, copies)
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def _next(self) -> Delivery | None:
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._held is not None and self._held[0] <= now:
                    _, body, copies = self._held
                    self._held = None
                    self._enqueue(body, copies)
                if self._heap and self._heap[0][0] <= now:
                    self._in_flight += 1
                    return heapq.heappop(self._heap)[2]
                waits = [t for t in (self._heap[0][0] if self._heap else None,
                                     self._held[0] if self._held else None) if t is not None]
                self._cond.wait(min([0.5] + [max(0.0, t - now) for t in waits]))
            return None

    def _work(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while (delivery := self._next()) is not None:
                ok = self._post(client, delivery)
                with self._cond:
                    self._in_flight -= 1
                    self.counts["attempts"] += 1
                    if ok:
                        self.counts["delivered"] += 1
                    elif delivery.attempt <= len(RETRY_DELAYS):
                        self.counts["retried"] += 1
                        delay = RETRY_DELAYS[delivery.attempt - 1] * self.time_scale
                        delay = max(MIN_RETRY_DELAY, delay)
                        delivery.attempt += 1
                        self._push(time.monotonic() + delay, delivery)
                    else:
                        self.counts["failed"] += 1
                    self._cond.notify_all()

    def _post(self, client: httpx.Client, delivery: Delivery) -> bool:
        headers = {"Content-Type": "application/json", "User-Agent": "EasyPost WebHook Agent 1.0"}
        for header in delivery.hook.custom_headers or []:
            if isinstance(header, dict) and header.get("name"):
                headers[str(header["name"])] = str(header.get("value", ""))
        if delivery.hook.secret:
            headers["X-Hmac-Signature"] = signature(delivery.body, delivery.hook.secret)
        try:
            response = client.post(delivery.hook.url, content=delivery.body, headers=headers)
            return 200 <= response.status_code < 300
        except httpx.HTTPError:
            return False
