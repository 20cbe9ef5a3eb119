"""Signed webhook deliveries with Shopify's retry schedule, plus delivery faults.

A scheduler thread keeps a heap of deliveries by due time and hands due ones to a small
worker pool (Shopify delivers concurrently and does not guarantee order). A delivery that
does not get a 2xx within the timeout is retried on `RETRY_DELAYS` x time_scale; after the
last retry `on_give_up` runs (the core deletes a shop-specific subscription there).
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from .models import Faults
from .util import hmac_b64, utc_now

# Shopify retries a failed delivery 19 times over 48 hours. First retries are short.
RETRY_DELAYS = tuple([2.0**i for i in range(16)] + [36000.0] * 3)
MAX_LOG = 100_000


@dataclass
class Delivery:
    topic: str  # e.g. "orders/create"
    shop: str
    uri: str
    body: bytes
    api_version: str
    event_id: str
    triggered_at: str
    subscription_id: int | None = None  # None: app-level (shopify.app.toml) subscription
    webhook_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempt: int = 0


def encode_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def new_event(topic: str, shop: str, payload: dict, targets: list[tuple[str, int | None, str]]
              ) -> list[Delivery]:
    """One event to many subscriptions: same event id and body, one webhook id each.

    `targets` are (uri, subscription id or None, api version).
    """
    body, event_id = encode_body(payload), str(uuid.uuid4())
    triggered = utc_now().isoformat(timespec="microseconds").replace("+00:00", "Z")
    return [Delivery(topic, shop, uri, body, version, event_id, triggered, sub_id)
            for uri, sub_id, version in targets]


class Dispatcher:
    def __init__(self, secret: str, timeout: float, time_scale: float, faults: Callable[[], Faults],
                 faults_lock: threading.RLock, on_give_up: Callable[[Delivery], None],
                 workers: int = 8):
        self.secret, self.timeout, self.time_scale = secret, timeout, time_scale
        self.faults, self.faults_lock, self.on_give_up = faults, faults_lock, on_give_up
        self.log: deque[dict] = deque(maxlen=MAX_LOG)
        self._heap: list[tuple[float, int, Delivery]] = []
        self._held: list[Delivery] = []
        self._seq = itertools.count()
        self._busy = 0  # deliveries in the heap or in flight
        self._cond = threading.Condition()
        self._stopping = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._thread = threading.Thread(target=self._run, name="webhook-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def clear(self) -> None:
        with self._cond:
            self._busy -= len(self._heap)
            self._heap.clear()
            self._held.clear()
            self.log.clear()

    # --- enqueueing ------------------------------------------------------------------------

    def submit(self, deliveries: list[Delivery]) -> None:
        """Apply drop/duplicate/hold faults, then queue for immediate sending."""
        for delivery in deliveries:
            with self.faults_lock:
                faults = self.faults()
                dropped = faults.drop_webhooks > 0
                faults.drop_webhooks -= 1 if dropped else 0
                duplicate, hold = faults.duplicate_webhooks, faults.hold_webhooks
            if dropped:
                self._record(delivery, status=None, error="dropped (fault)")
                continue
            copies = [delivery]
            if duplicate:
                copies.append(Delivery(**{**delivery.__dict__}))
            for copy in copies:
                if hold:
                    with self._cond:
                        self._held.append(copy)
                else:
                    self._schedule(copy, 0.0)

    def release_held(self, reverse: bool) -> int:
        with self._cond:
            held, self._held = self._held, []
            self._busy += len(held)
        if reverse:
            held.reverse()
        if held:
            self._pool.submit(self._send_each, held)
        return len(held)

    def _send_each(self, deliveries: list[Delivery]) -> None:
        """Released deliveries go one after another, each answered before the next is sent: the
        receiver sees them in the chosen order however busy the machine is (spacing them a few
        milliseconds apart did not survive a loaded machine)."""
        for delivery in deliveries:
            self._send(delivery)

    def held_count(self) -> int:
        with self._cond:
            return len(self._held)

    def _schedule(self, delivery: Delivery, delay: float, new: bool = True) -> None:
        with self._cond:
            if new:
                self._busy += 1
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), delivery))
            self._cond.notify_all()

    # --- idle --------------------------------------------------------------------------------

    def idle(self) -> bool:
        """Nothing queued, in flight or waiting for a retry (held deliveries do not count)."""
        with self._cond:
            return self._busy == 0

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    # --- sending -----------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                if not self._heap:
                    self._cond.wait(0.5)
                    continue
                due = self._heap[0][0] - time.monotonic()
                if due > 0:
                    self._cond.wait(min(due, 0.5))
                    continue
                _, _, delivery = heapq.heappop(self._heap)
            try:
                self._pool.submit(self._send, delivery)
            except RuntimeError:  # pool shut down
                return

    def _send(self, delivery: Delivery) -> None:
        delivery.attempt += 1
        status, error = None, None
        try:
            response = self._client.post(delivery.uri, content=delivery.body,
                                         headers=self._headers(delivery))
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self._record(delivery, status, error)
        if status is not None and 200 <= status < 300:
            self._done()
        elif delivery.attempt <= len(RETRY_DELAYS):
            delay = RETRY_DELAYS[delivery.attempt - 1] * self.time_scale
            self._schedule(delivery, delay, new=False)
        else:
            try:
                self.on_give_up(delivery)
            finally:
                self._done()

    def _done(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()

    def _headers(self, d: Delivery) -> dict:
        return {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": d.topic,
            "X-Shopify-Hmac-Sha256": hmac_b64(self.secret, d.body),
            "X-Shopify-Shop-Domain": d.shop,
            "X-Shopify-Webhook-Id": d.webhook_id,
            "X-Shopify-Event-Id": d.event_id,
            "X-Shopify-Triggered-At": d.triggered_at,
            "X-Shopify-API-Version": d.api_version,
        }

    def entries(self) -> list[dict]:
        return list(self.log)

    def _record(self, d: Delivery, status: int | None, error: str | None) -> None:
        self.log.append({
            "topic": d.topic, "shop": d.shop, "uri": d.uri, "webhook_id": d.webhook_id,
            "event_id": d.event_id, "subscription_id": d.subscription_id,
            "attempt": d.attempt, "status": status, "error": error,
            "time": utc_now().isoformat(timespec="milliseconds"),
        })
