"""bench/tracking_burst.py's instruments in this process: the SMTP server's counter, and the
watcher that follows the drain until everything the burst said has been told."""

from __future__ import annotations

import threading
import time
from email import message_from_bytes, policy

from bench.tracking_seed import SHOP


class MailCounter:
    """An aiosmtpd handler that keeps every message it accepts (just the headers that count)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        row = {"message_id": str(message.get("Message-ID") or ""),
               "to": str(message.get("To") or ""), "subject": str(message.get("Subject") or ""),
               "rcpt": list(envelope.rcpt_tos), "at": time.monotonic()}
        with self.lock:
            self.messages.append(row)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.messages)



class Watcher:
    """Polls the database and the sandbox until everything the burst said has been told."""

    def __init__(self, raw_url: str, shopify, expected: dict[int, str],
                 fulfillments: dict[int, int]):
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
        notices = dict(conn.execute(
            "SELECT state, count(*) FROM notices GROUP BY state").fetchall())
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

