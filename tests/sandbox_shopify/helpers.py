"""What the sandbox Shopify's tests share: a webhook receiver, a shop with an offline token, and
the fulfilment calls several files make.

These tests drive a sandbox of their own (see conftest.py), not the app's.
"""

from __future__ import annotations

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from orderflow.sandbox.shopify import SandboxShopify

from .. import shopify_queries as queries

CLIENT_ID, SECRET = "sandbox-client-id", "shpss_" + "5e" * 16
OTHER_SECRET = "shpss_" + "0f" * 16
VERSION = "2026-07"


# --- a tiny webhook receiver ---------------------------------------------------------------


class Receiver:
    """Records every POST; paths starting with /fail answer 500, others 200."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(500 if self.path.startswith("/fail") else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, path: str, topic: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path
                    and (topic is None or r["headers"]["X-Shopify-Topic"] == topic)]


def wait_until(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


# --- a sandbox and a shop on it --------------------------------------------------------------


def start_sandbox(receiver: Receiver, **kw) -> SandboxShopify:
    return SandboxShopify(CLIENT_ID, SECRET, app_webhooks_uri=receiver.url + "/app",
                          time_scale=kw.pop("time_scale", 1e-5), **kw).start()


class Shop:
    """Test helper: one fresh shop on a sandbox, with an offline token."""

    def __init__(self, sandbox: SandboxShopify, domain: str | None = None):
        self.sandbox = sandbox
        self.domain = domain or f"shop-{uuid.uuid4().hex[:8]}.myshopify.com"
        self.http = httpx.Client(base_url=sandbox.url, timeout=10)
        self.info = self.http.post("/sandbox/shops", json={"domain": self.domain}).json()
        self.token = self.control("post", "access-token", json={})["access_token"]

    def control(self, method: str, path: str, **kw):
        response = self.http.request(method, f"/sandbox/shops/{self.domain}/{path}", **kw)
        assert response.status_code < 300, response.text
        return response.json()

    def graphql(self, query: str, variables: dict | None = None, token: str | None = None,
                host: str | None = None) -> httpx.Response:
        return self.http.post(f"/admin/api/{VERSION}/graphql.json",
                              json={"query": query, "variables": variables or {}},
                              headers={"Host": host or self.domain,
                                       "X-Shopify-Access-Token": token or self.token})

    def data(self, query: str, variables: dict | None = None) -> dict:
        body = self.graphql(query, variables).json()
        assert "errors" not in body, body
        return body["data"]

    def order(self, **spec) -> dict:
        spec.setdefault("line_items", [{"sku": "TEE-CLASSIC-M", "quantity": 1}])
        return self.control("post", "orders", json=spec)

    def subscribe(self, topic: str, uri: str) -> dict:
        return self.data(queries.WEBHOOK_SUBSCRIPTION_CREATE, {
            "topic": topic, "webhookSubscription": {"uri": uri, "format": "JSON"}})


# --- fulfilment --------------------------------------------------------------------------------


def to_ship(shop: Shop, order: dict) -> dict:
    """The order's (only) fulfillment order, as FulfillmentOrdersToShip answers it."""
    answer = shop.data(queries.FULFILLMENT_ORDERS_TO_SHIP, {"id": order["admin_graphql_api_id"]})
    return answer["order"]["fulfillmentOrders"]["nodes"][0]


def fulfil(shop: Shop, fo: dict, lines: list[tuple[dict, int]] | None = None,
           tracking: dict | None = None, **extra) -> dict:
    group = {"fulfillmentOrderId": fo["id"]}
    if lines is not None:
        group["fulfillmentOrderLineItems"] = [{"id": ln["id"], "quantity": q} for ln, q in lines]
    spec = {"lineItemsByFulfillmentOrder": [group], **extra}
    if tracking is not None:
        spec["trackingInfo"] = tracking
    return shop.data(queries.FULFILLMENT_CREATE, {"fulfillment": spec})["fulfillmentCreate"]
