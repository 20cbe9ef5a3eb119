"""What the integration tests share besides fixtures: the test settings, session tokens, running
the queued work to its end, and the builders and readers of orders, parcels and fulfilments.

Fixtures live in conftest.py and build on these. Test modules import from here, never from one
another.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from sqlalchemy import text

from orderflow.queue import outbox
from orderflow.queue.calls import QUEUES
from orderflow.sandbox.easypost.webhooks import signature

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
API_KEY, API_SECRET = "test-client-id", "test-client-secret-of-at-least-32-bytes"
CARRIER_WEBHOOK_SECRET = "carrier-webhook-secret"
TWO_KINDS = [{"sku": "MUG-CERAMIC", "quantity": 2}, {"sku": "TEE-CLASSIC-M", "quantity": 1}]


# --- the app under test ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_for(database_url, sandbox, app_port, carrier=None, **extra) -> dict:
    return {
        "APP_ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
        "APP_URL": f"http://127.0.0.1:{app_port}", "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET, "SHOPIFY_SANDBOX_URL": sandbox.url,
        "JOB_RETRY_SECONDS": "0", "JOB_MAX_ATTEMPTS": 3, "OUTBOX_LEASE_SECONDS": 0.0,
        "EASYPOST_API_KEY": "EZTK-test-key", "EASYPOST_TIMEOUT": 5.0,
        "PURCHASE_LEASE_SECONDS": 1.0, "SHIPPING_SETTLE_SECONDS": 0.0,
        **({"EASYPOST_API_BASE": f"{carrier.url}/v2"} if carrier else {}),
        **extra,
    }


def session_token(shop: str, secret: str = API_SECRET, aud: str = API_KEY, ttl: int = 60) -> str:
    now = int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": aud, "sub": "42",
              "exp": now + ttl, "nbf": now - 5, "iat": now - 5, "jti": uuid.uuid4().hex,
              "sid": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm="HS256")


def get(base_url, path, token=None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{base_url}{path}", headers=headers, params=params, timeout=30)


# --- running the work --------------------------------------------------------------------------


def run_worker(app) -> None:
    from rq import Queue, SimpleWorker
    svc = app.extensions["orderflow"]
    queues = [Queue(n, connection=svc.queue.redis) for n in QUEUES]
    with app.app_context():
        SimpleWorker(queues, connection=svc.queue.redis).work(burst=True, with_scheduler=True)


def drain(app, sandbox=None, rounds: int = 50) -> None:
    """Let every webhook arrive and every recorded delivery and job finish."""
    svc = app.extensions["orderflow"]
    for _ in range(rounds):
        if sandbox is not None:
            assert sandbox.wait_webhooks_idle(30)
        moved = outbox.dispatch(svc)
        run_worker(app)
        if not moved and not waiting(svc):
            return
    with svc.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, topic, status, attempts, error "
                                 "FROM webhook_deliveries "
                                 "WHERE status IN ('pending', 'queued')")).all()
    raise AssertionError(f"work did not drain: {rows}")


def waiting(svc) -> int:
    with svc.db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM webhook_deliveries "
                                 "WHERE status IN ('pending', 'queued')")).scalar()


def worker_env(svc) -> dict:
    settings = svc.settings
    names = ("DATABASE_URL", "REDIS_URL", "APP_URL", "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET",
             "SHOPIFY_SANDBOX_URL", "EASYPOST_API_KEY", "EASYPOST_API_BASE", "EASYPOST_TIMEOUT",
             "JOB_RETRY_SECONDS", "JOB_MAX_ATTEMPTS", "PURCHASE_LEASE_SECONDS")
    return os.environ | {"APP_ENV": "test"} | {n: str(getattr(settings, n)) for n in names}


def wait_for(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# --- orders in the sandbox store, and what became of them --------------------------------------


def place(control, shop, **spec):
    spec = {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 1}], **spec}
    return control.post(f"/sandbox/shops/{shop}/orders", json=spec).raise_for_status().json()


def fulfilments(control, shop, order) -> list:
    return control.get(f"/sandbox/shops/{shop}/orders/{order['id']}/fulfillments").json()


def orders_by_shopify_id(svc) -> dict:
    with svc.db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, shopify_id, state, hold_reason, name FROM orders")).all()
    return {r.shopify_id: r for r in rows}


def events(svc, shopify_id: int) -> list[str]:
    with svc.db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT e.kind FROM order_events e JOIN orders o ON o.id = e.order_id "
            "WHERE o.shopify_id = :id ORDER BY e.id"), {"id": shopify_id}).scalars().all()


def parcels(svc, shopify_id: int) -> list:
    with svc.db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT p.id, p.carrier_shipment_id, p.tracking_code, p.bought_at, sh.state, "
            "sh.id AS shipment_id "
            "FROM parcels p JOIN shipments sh ON sh.id = p.shipment_id "
            "JOIN orders o ON o.id = sh.order_id "
            "WHERE o.shopify_id = :id ORDER BY p.id"), {"id": shopify_id}).all()


def buys(carrier, rows) -> list[int]:
    counted = carrier.stats()["buys"]
    return [counted.get(row.carrier_shipment_id, 0) for row in rows]


# --- the carrier's tracker webhooks ------------------------------------------------------------


def post_event(base_url: str, event: dict, secret: str = CARRIER_WEBHOOK_SECRET, **headers):
    body = json.dumps(event).encode()
    return httpx.post(f"{base_url}/webhooks/easypost", content=body, headers={
        "Content-Type": "application/json", "X-Hmac-Signature": signature(body, secret), **headers})


def from_now(hours: float) -> str:
    """A carrier timestamp `hours` from now, as EasyPost writes them."""
    moment = datetime.now(UTC) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def tracker_event(code: str, status: str, at: str, updated_at: str, event_id: str | None = None,
                  details: list | None = None) -> dict:
    detail = {"object": "TrackingDetail", "status": status, "message": f"{status} scan",
              "datetime": at, "tracking_location": {"city": "DALLAS", "state": "TX",
                                                    "country": "US", "zip": "75261"}}
    return {"object": "Event", "id": event_id or f"evt_{uuid.uuid4().hex}",
            "description": "tracker.updated",
            "result": {"object": "Tracker", "id": f"trk_{code}", "tracking_code": code,
                       "carrier": "USPS", "status": status, "updated_at": updated_at,
                       "tracking_details": details if details is not None else [detail]}}
