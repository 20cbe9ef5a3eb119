"""The sandbox Shopify over real loopback HTTP: OAuth, GraphQL, throttling, webhooks, faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest

from orderflow.sandbox.shopify import SandboxShopify

from . import shopify_queries as queries

CLIENT_ID, SECRET = "sandbox-client-id", "shpss_" + "5e" * 16
OTHER_SECRET = "shpss_" + "0f" * 16
VERSION = "2026-07"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
OFFLINE = "urn:shopify:params:oauth:token-type:offline-access-token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"

FULL_ORDERS_QUERY = f"""
query OrdersUpdatedSince($first: Int!) {{
  orders(first: $first, sortKey: UPDATED_AT) {{ nodes {{ {queries.ORDER_FIELDS} }} }}
}}
"""


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


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def receiver():
    rec = Receiver()
    yield rec
    rec.server.shutdown()


def _start(receiver: Receiver, **kw) -> SandboxShopify:
    return SandboxShopify(CLIENT_ID, SECRET, app_webhooks_uri=receiver.url + "/app",
                          time_scale=kw.pop("time_scale", 1e-5), **kw).start()


@pytest.fixture(scope="module")
def sandbox(receiver):
    sb = _start(receiver)
    yield sb
    sb.stop()


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


@pytest.fixture
def shop(sandbox):
    return Shop(sandbox)


def token_request(sandbox: SandboxShopify, **params) -> httpx.Response:
    body = {"client_id": CLIENT_ID, "client_secret": SECRET, **params}
    return httpx.post(sandbox.url + "/admin/oauth/access_token", json=body)


def session_jwt(domain: str, secret: str = SECRET, aud: str = CLIENT_ID, ttl: int = 60) -> str:
    now = int(time.time())
    return jwt.encode({"iss": f"https://{domain}/admin", "dest": f"https://{domain}",
                       "aud": aud, "sub": "42", "exp": now + ttl, "nbf": now - 1, "iat": now,
                       "jti": str(uuid.uuid4()), "sid": "s"}, secret, algorithm="HS256")


def exchange(sandbox: SandboxShopify, subject_token: str, **extra) -> httpx.Response:
    return token_request(sandbox, grant_type=TOKEN_EXCHANGE, subject_token=subject_token,
                         subject_token_type=ID_TOKEN, requested_token_type=OFFLINE, **extra)


# --- webhooks ----------------------------------------------------------------------------------


def test_delivered_webhook_is_signed_and_keeps_big_ids_exact(sandbox, receiver, shop):
    path = f"/hooks/{shop.domain}"
    created = shop.subscribe("ORDERS_CREATE", receiver.url + path)
    assert created["webhookSubscriptionCreate"]["userErrors"] == []
    order = shop.order(customer={"first_name": "Zoë", "last_name": "Ørsted",
                                 "email": "zoe@example.com"})
    assert order["id"] > 2**53 and order["line_items"][0]["id"] > 2**53

    hook = wait_until(lambda: receiver.received(path))[0]
    headers, body = hook["headers"], hook["body"]
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    forged = base64.b64encode(hmac.new(OTHER_SECRET.encode(), body, hashlib.sha256).digest())
    assert hmac.compare_digest(headers["X-Shopify-Hmac-Sha256"].encode(), expected)
    assert not hmac.compare_digest(headers["X-Shopify-Hmac-Sha256"].encode(), forged)
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == shop.domain
    assert headers["X-Shopify-API-Version"] == VERSION
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Event-Id"]
    assert "Zoë".encode() in body  # raw UTF-8, not \\u escapes
    payload = json.loads(body)
    assert payload["id"] == order["id"]
    assert payload["admin_graphql_api_id"] == f"gid://shopify/Order/{order['id']}"
    assert payload["line_items"][0]["id"] == order["line_items"][0]["id"]
    assert payload["customer"]["first_name"] == "Zoë"
    assert payload["total_price"] == "35.00" and payload["name"].startswith("#")


def test_failing_receiver_is_retried_then_subscription_deleted(sandbox, receiver, shop):
    path = f"/fail/{shop.domain}"
    shop.subscribe("ORDERS_CREATE", receiver.url + path)
    shop.order()
    assert sandbox.wait_webhooks_idle(timeout=15)
    attempts = receiver.received(path)
    assert len(attempts) == 20  # one delivery + 19 retries
    assert len({a["headers"]["X-Shopify-Webhook-Id"] for a in attempts}) == 1
    assert shop.control("get", "webhook-subscriptions") == []
    log = shop.http.get("/sandbox/webhooks/log", params={"shop": shop.domain}).json()
    assert [e["attempt"] for e in log] == list(range(1, 21))
    assert all(e["status"] == 500 for e in log)


def test_cancel_sends_cancelled_then_updated(sandbox, receiver, shop):
    path = f"/hooks/cancel/{shop.domain}"
    for topic in ("ORDERS_CANCELLED", "ORDERS_UPDATED"):
        shop.subscribe(topic, receiver.url + path)
    order = shop.order(financial_status="paid")
    cancelled = shop.control("post", f"orders/{order['id']}/cancel", json={"reason": "fraud"})
    assert cancelled["financial_status"] == "refunded" and cancelled["cancel_reason"] == "fraud"
    assert sandbox.wait_webhooks_idle(timeout=10)
    topics = sorted(r["headers"]["X-Shopify-Topic"] for r in receiver.received(path))
    assert topics == ["orders/cancelled", "orders/updated"]
    fos = shop.data(queries.ORDER_FULFILLMENT_ORDERS, {"id": cancelled["admin_graphql_api_id"]})
    assert fos["order"]["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"


def test_uninstall_revokes_tokens_and_notifies_the_app(sandbox, receiver, shop):
    assert shop.graphql(queries.SHOP_INFO).status_code == 200
    shop.subscribe("ORDERS_CREATE", receiver.url + "/hooks/x")
    shop.control("post", "uninstall")
    response = shop.graphql(queries.SHOP_INFO)
    assert response.status_code == 401
    assert response.json()["errors"].startswith("[API] Invalid API key or access token")
    assert shop.control("get", "webhook-subscriptions") == []
    hook = wait_until(lambda: [r for r in receiver.received("/app", "app/uninstalled")
                               if json.loads(r["body"])["myshopify_domain"] == shop.domain])
    assert hook[0]["headers"]["X-Shopify-Shop-Domain"] == shop.domain


def test_customers_redact_lists_the_customers_orders(sandbox, receiver, shop):
    first = shop.order(email="c@example.com", customer={"email": "c@example.com"})
    second = shop.order(email="c@example.com", customer={"email": "c@example.com"})
    sent = shop.control("post", "compliance/customers-redact",
                        json={"customer_id": first["customer"]["id"]})
    assert sent["topic"] == "customers/redact"

    def delivered():
        return [json.loads(r["body"]) for r in receiver.received("/app", "customers/redact")
                if json.loads(r["body"])["shop_domain"] == shop.domain]
    body = wait_until(delivered)[0]
    assert body["customer"]["id"] == first["customer"]["id"]
    assert sorted(body["orders_to_redact"]) == sorted([first["id"], second["id"]])


def test_webhook_faults_duplicate_drop_hold_reorder(sandbox, receiver, shop):
    path = f"/hooks/faults/{shop.domain}"
    shop.subscribe("ORDERS_CREATE", receiver.url + path)
    faults = lambda **kw: shop.http.post("/sandbox/faults", json=kw).json()  # noqa: E731
    try:
        faults(duplicate_webhooks=True)
        shop.order()
        assert sandbox.wait_webhooks_idle(10)
        dupes = receiver.received(path)
        assert len(dupes) == 2
        assert dupes[0]["headers"]["X-Shopify-Webhook-Id"] == \
            dupes[1]["headers"]["X-Shopify-Webhook-Id"]
        faults(duplicate_webhooks=False, drop_webhooks=1, hold_webhooks=True,
               reorder_webhooks=True)
        orders = [shop.order()["id"] for _ in range(4)]  # the first is dropped
        assert sandbox.wait_webhooks_idle(10) and len(receiver.received(path)) == 2
        assert faults(hold_webhooks=False)["released"] == 3
        assert sandbox.wait_webhooks_idle(10)
        ids = [json.loads(r["body"])["id"] for r in receiver.received(path)[2:]]
        assert ids == list(reversed(orders[1:]))
    finally:
        shop.http.delete("/sandbox/faults")


# --- OAuth -------------------------------------------------------------------------------------


def test_authorize_redirect_is_signed_and_code_is_single_use(sandbox, shop):
    http = httpx.Client(base_url=sandbox.url)
    params = {"client_id": CLIENT_ID, "scope": "read_orders", "state": "nonce-1",
              "redirect_uri": "https://app.example/auth/callback", "grant_options[]": "",
              "shop": shop.domain}
    response = http.get("/admin/oauth/authorize", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc == "app.example" and location.path == "/auth/callback"
    query = dict(parse_qsl(location.query))
    received = query.pop("hmac")
    message = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    assert hmac.compare_digest(
        received, hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest())
    assert query["state"] == "nonce-1" and query["shop"] == shop.domain
    host = base64.urlsafe_b64decode(query["host"] + "==").decode()
    assert host == f"admin.shopify.com/store/{shop.domain.removesuffix('.myshopify.com')}"

    granted = token_request(sandbox, code=query["code"]).json()
    assert set(granted) == {"access_token", "scope"} and granted["scope"] == "read_orders"
    assert token_request(sandbox, code=query["code"]).json()["error"] == "invalid_grant"
    assert http.get("/admin/oauth/authorize", params={**params, "client_id": "x"}) \
        .status_code == 400
    assert http.get("/admin/oauth/authorize",
                    params={**params, "shop": "nope.myshopify.com"}).status_code == 404


def test_token_exchange_accepts_only_valid_session_tokens(sandbox, shop):
    answer = exchange(sandbox, session_jwt(shop.domain), expiring=1)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["access_token"].startswith("shpat_") and body["refresh_token"].startswith("shprt_")
    assert body["expires_in"] == 3600 and body["refresh_token_expires_in"] == 7776000
    assert shop.graphql(queries.SHOP_INFO, token=body["access_token"]).status_code == 200
    other = Shop(sandbox)
    assert other.graphql(queries.SHOP_INFO, token=body["access_token"]).status_code == 401

    non_expiring = exchange(sandbox, session_jwt(shop.domain), expiring=0).json()
    assert set(non_expiring) == {"access_token", "scope"}
    for bad in (session_jwt(shop.domain, aud="someone-else"),
                session_jwt(shop.domain, secret=OTHER_SECRET),
                session_jwt(shop.domain, ttl=-30)):
        rejected = exchange(sandbox, bad)
        assert rejected.status_code == 400
        assert rejected.json()["error"] == "invalid_subject_token"
    wrong_client = token_request(sandbox, grant_type=TOKEN_EXCHANGE,
                                 subject_token=session_jwt(shop.domain), client_secret="nope")
    assert wrong_client.status_code == 401 and wrong_client.json()["error"] == "invalid_client"
    minted = shop.http.post("/sandbox/session-token", json={"shop": shop.domain}).json()["token"]
    assert exchange(sandbox, minted).status_code == 200


def test_refresh_rotates_the_refresh_token(sandbox, shop):
    first = exchange(sandbox, session_jwt(shop.domain), expiring=1).json()
    second = token_request(sandbox, grant_type="refresh_token",
                           refresh_token=first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert shop.graphql(queries.SHOP_INFO, token=rotated["access_token"]).status_code == 200
    reused = token_request(sandbox, grant_type="refresh_token",
                           refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_expired_access_token_is_rejected(receiver):
    sandbox = _start(receiver, token_ttl=1)
    try:
        shop = Shop(sandbox)
        assert shop.graphql(queries.SHOP_INFO).status_code == 200
        wait_until(lambda: shop.graphql(queries.SHOP_INFO).status_code == 401, timeout=5)
    finally:
        sandbox.stop()


# --- GraphQL -----------------------------------------------------------------------------------


def test_shop_info_and_unknown_things(sandbox, shop):
    data = shop.data(queries.SHOP_INFO)["shop"]
    assert data == {"id": shop.info["admin_graphql_api_id"], "name": shop.info["name"],
                    "email": shop.info["email"], "myshopifyDomain": shop.domain,
                    "currencyCode": "USD"}
    assert shop.http.post("/admin/api/2019-01/graphql.json", json={"query": queries.SHOP_INFO},
                          headers={"Host": shop.domain,
                                   "X-Shopify-Access-Token": shop.token}).status_code == 404
    unknown = shop.graphql("query Mystery { shop { id } }").json()
    assert unknown == {"errors": [{"message": "sandbox does not implement operation Mystery"}]}
    by_param = shop.http.post(f"/admin/api/{VERSION}/graphql.json",
                              params={"shop": shop.domain}, json={"query": queries.SHOP_INFO},
                              headers={"X-Shopify-Access-Token": shop.token})
    assert by_param.json()["data"]["shop"]["myshopifyDomain"] == shop.domain


def test_orders_updated_since_pages_in_update_order(sandbox, shop):
    created = [shop.order()["id"] for _ in range(7)]
    edited = shop.control("put", f"orders/{created[2]}", json={"note": "gift wrap"})
    assert edited["updated_at"] > edited["created_at"] and edited["note"] == "gift wrap"

    def pages(search: str, first: int) -> list[dict]:
        found, after = [], None
        while True:
            page = shop.data(queries.ORDERS_UPDATED_SINCE, {"first": first, "after": after,
                                                  "query": search})["orders"]
            found += page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    everything = pages("updated_at:>='2000-01-01T00:00:00Z'", 3)
    assert sorted(int(n["legacyResourceId"]) for n in everything) == sorted(created)
    keys = [(n["updatedAt"], int(n["legacyResourceId"])) for n in everything]
    assert keys == sorted(keys) and everything[-1]["legacyResourceId"] == str(created[2])
    bound = everything[-1]["updatedAt"]
    recent = pages(f"updated_at:>={bound}", 2)
    assert [n["id"] for n in recent] == [n["id"] for n in everything if n["updatedAt"] >= bound]
    assert pages(f"updated_at:>'{bound}'", 2) == []


def test_app_queries_answer_exactly_their_fields_with_sixty_lines(sandbox, shop):
    lines = [{"title": f"Part {i}", "sku": f"PART-{i:02d}", "quantity": i % 3 + 1,
              "price": "1.10", "requires_shipping": i % 10 != 0} for i in range(60)]
    order = shop.order(line_items=lines, tags="vip, rush")
    assert len(order["line_items"]) == 60
    node = shop.data(queries.ORDER_BY_ID, {"id": order["admin_graphql_api_id"]})["order"]
    assert node["legacyResourceId"] == str(order["id"]) and node["tags"] == ["vip", "rush"]
    assert node["displayFinancialStatus"] == "PAID"
    assert node["totalPriceSet"] == {"shopMoney": {"amount": order["total_price"],
                                                   "currencyCode": "USD"}}
    got = node["lineItems"]["nodes"]
    assert [n["id"] for n in got] == [li["admin_graphql_api_id"] for li in order["line_items"]]
    assert [n["sku"] for n in got] == [li["sku"] for li in lines]
    assert set(got[0]) == {"id", "title", "sku", "quantity", "requiresShipping", "isGiftCard",
                           "unfulfilledQuantity", "originalUnitPriceSet", "variant", "product"}
    assert got[0]["variant"] is None and got[0]["originalUnitPriceSet"]["shopMoney"]["amount"] \
        == "1.10"
    fos = shop.data(queries.ORDER_FULFILLMENT_ORDERS, {"id": node["id"]})["order"]
    fo_lines = fos["fulfillmentOrders"]["nodes"][0]["lineItems"]["nodes"]
    assert [fl["lineItem"]["id"] for fl in fo_lines] == [n["id"] for n in got]
    assert [fl["requiresShipping"] for fl in fo_lines] == [li["requires_shipping"] for li in lines]
    assert shop.data(queries.ORDER_FULFILLMENT_ORDERS,
                     {"id": "gid://shopify/Order/1"}) == {"order": None}


def test_fulfillment_orders_and_inventory_shapes(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2},
                                   {"sku": "EBOOK-SHIP101", "quantity": 1}])
    fo = shop.data(queries.ORDER_FULFILLMENT_ORDERS,
                   {"id": order["admin_graphql_api_id"]})["order"]["fulfillmentOrders"]["nodes"][0]
    main = next(loc for loc in shop.info["locations"] if loc["name"] == "Main warehouse")
    assert fo["status"] == "OPEN" and fo["fulfillmentHolds"] == []
    assert fo["assignedLocation"] == {"name": "Main warehouse",
                                      "location": {"id": main["admin_graphql_api_id"]}}
    mug, ebook = fo["lineItems"]["nodes"]
    assert (mug["sku"], mug["remainingQuantity"], mug["requiresShipping"]) == \
        ("MUG-CERAMIC", 2, True)
    assert ebook["requiresShipping"] is False and ebook["inventoryItemId"]

    shop.control("post", "products", json={"title": "Lamp", "sku": "LAMP", "price": "40.00",
                                           "inventory": {"Main warehouse": 3}})
    summary = shop.http.get(f"/sandbox/shops/{shop.domain}").json()
    variants = {v["sku"]: v for v in summary["variants"]}
    overflow = next(loc for loc in shop.info["locations"] if loc["name"] == "Overflow")
    ids = [variants["LAMP"]["inventory_item_gid"], variants["MUG-CERAMIC"]["inventory_item_gid"],
           "gid://shopify/InventoryItem/1"]
    at_overflow = shop.data(queries.INVENTORY_AT_LOCATION,
                            {"ids": ids, "locationId": overflow["admin_graphql_api_id"]})["nodes"]
    assert at_overflow[0] == {"id": ids[0], "tracked": True, "inventoryLevel": None}
    assert at_overflow[1]["inventoryLevel"] == {"quantities": [{"name": "on_hand",
                                                                "quantity": 5}]}
    assert at_overflow[2] is None
    shop.control("post", "inventory", json={"sku": "LAMP", "location": "Overflow", "on_hand": 7})
    again = shop.data(queries.INVENTORY_AT_LOCATION,
                      {"ids": ids[:1], "locationId": overflow["admin_graphql_api_id"]})["nodes"]
    assert again[0]["inventoryLevel"]["quantities"][0]["quantity"] == 7


def test_webhook_subscription_mutations(sandbox, shop):
    uri = "https://app.example/webhooks"
    created = shop.subscribe("ORDERS_UPDATED", uri)["webhookSubscriptionCreate"]
    sub = created["webhookSubscription"]
    assert sub["topic"] == "ORDERS_UPDATED" and sub["uri"] == uri
    duplicate = shop.subscribe("ORDERS_UPDATED", uri)["webhookSubscriptionCreate"]
    assert duplicate == {"webhookSubscription": None, "userErrors": [
        {"field": ["webhookSubscription", "callbackUrl"],
         "message": "Address for this topic has already been taken"}]}
    insecure = shop.subscribe("ORDERS_CREATE", "http://app.example/hooks")
    assert insecure["webhookSubscriptionCreate"]["userErrors"][0]["field"] == \
        ["webhookSubscription", "callbackUrl"]
    listed = shop.data(queries.WEBHOOK_SUBSCRIPTIONS)["webhookSubscriptions"]["nodes"]
    assert listed == [sub]
    deleted = shop.data("""mutation WebhookSubscriptionDelete($id: ID!) {
        webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId
                                             userErrors { field message } } }""",
                        {"id": sub["id"]})["webhookSubscriptionDelete"]
    assert deleted == {"deletedWebhookSubscriptionId": sub["id"], "userErrors": []}
    assert shop.data(queries.WEBHOOK_SUBSCRIPTIONS)["webhookSubscriptions"]["nodes"] == []


# --- cost, throttling and HTTP faults ----------------------------------------------------------


def test_cost_is_reported_and_oversized_queries_are_refused(sandbox, shop):
    body = shop.graphql(FULL_ORDERS_QUERY, {"first": 1}).json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 512 and cost["actualQueryCost"] == 2  # no orders
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    too_big = shop.graphql(FULL_ORDERS_QUERY, {"first": 2}).json()
    assert too_big["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert too_big["errors"][0]["extensions"]["cost"] == 1022


def test_throttled_when_bucket_is_drained_then_restores(receiver):
    sandbox = _start(receiver, throttle_max=1000.0, throttle_restore=400.0)
    try:
        shop = Shop(sandbox)
        item = shop.info["variants"][0]["inventory_item_gid"]
        location = shop.info["locations"][0]["admin_graphql_api_id"]
        big = {"ids": [item] * 330, "locationId": location}  # 3 points an item
        first = shop.graphql(queries.INVENTORY_AT_LOCATION, big).json()
        assert first["extensions"]["cost"]["actualQueryCost"] == 990
        throttled = shop.graphql(queries.INVENTORY_AT_LOCATION, big).json()
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        cost = throttled["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 990 and cost["actualQueryCost"] is None
        low = cost["throttleStatus"]["currentlyAvailable"]
        assert low < 990

        def available() -> float:
            return shop.graphql(queries.SHOP_INFO).json()["extensions"]["cost"][
                "throttleStatus"]["currentlyAvailable"]
        wait_until(lambda: available() >= 990, timeout=5)
        assert "data" in shop.graphql(queries.INVENTORY_AT_LOCATION, big).json()
    finally:
        sandbox.stop()


def test_http_faults(sandbox, shop):
    try:
        shop.http.post("/sandbox/faults", json={"fail_5xx": 1, "http_429": 1, "throttle": 1})
        assert shop.graphql(queries.SHOP_INFO).status_code == 503
        limited = shop.graphql(queries.SHOP_INFO)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
        throttled = shop.graphql(queries.SHOP_INFO).json()
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert shop.graphql(queries.SHOP_INFO).status_code == 200
        shop.http.post("/sandbox/faults", json={"latency_ms": 300})
        started = time.monotonic()
        shop.graphql(queries.SHOP_INFO)
        assert time.monotonic() - started >= 0.3
        assert shop.http.post("/sandbox/faults", json={"bogus": 1}).status_code == 422
    finally:
        shop.http.delete("/sandbox/faults")


def test_embedded_admin_page_carries_a_valid_session_token(sandbox, receiver, shop):
    page = shop.http.get("/admin/apps/embedded", params={"shop": shop.domain})
    assert page.status_code == 200 and "<iframe" in page.text
    src = page.text.split('src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert src.startswith(receiver.url + "/?")
    params = dict(parse_qsl(urlsplit(src).query))
    assert params["embedded"] == "1" and params["shop"] == shop.domain
    claims = jwt.decode(params["id_token"], SECRET, algorithms=["HS256"], audience=CLIENT_ID)
    assert claims["dest"] == f"https://{shop.domain}"


# --- fulfilment --------------------------------------------------------------------------------

EVENT_CREATE = """
mutation FulfillmentEventCreate($fulfillmentEvent: FulfillmentEventInput!) {
  fulfillmentEventCreate(fulfillmentEvent: $fulfillmentEvent) {
    fulfillmentEvent { id status } userErrors { field message } } }
"""


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


def test_fulfillment_order_lines_carry_weight_and_location_address(sandbox, shop):
    shop.control("post", "products", json={"title": "Lamp", "sku": "LAMP", "price": "40.00"})
    shop.control("post", "products", json={"title": "Anvil", "sku": "ANVIL", "price": "90",
                                           "weight": 2.5, "weight_unit": "POUNDS"})
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2}, {"sku": "LAMP"},
                                   {"sku": "ANVIL"}])
    body = shop.graphql(queries.FULFILLMENT_ORDERS_TO_SHIP,
                        {"id": order["admin_graphql_api_id"]}).json()
    assert body["extensions"]["cost"]["requestedQueryCost"] < 1000
    fo = body["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    place = fo["assignedLocation"]
    assert (place["name"], place["city"], place["province"], place["countryCode"],
            place["zip"]) == ("Main warehouse", "Portland", "Oregon", "US", "97205")
    assert place["address1"] and place["phone"] and place["location"]["id"]
    mug, lamp, anvil = fo["lineItems"]["nodes"]
    assert mug["weight"] == {"unit": "GRAMS", "value": 450.0}
    assert mug["productTitle"] == "Ceramic Mug" and mug["remainingQuantity"] == 2
    assert lamp["weight"] is None  # created without grams
    assert anvil["weight"] == {"unit": "POUNDS", "value": 2.5}
    overflow = next(loc for loc in shop.info["locations"] if loc["name"] == "Overflow")
    assert (overflow["city"], overflow["province_code"], overflow["zip"]) == \
        ("Reno", "NV", "89501")


def test_full_fulfillment_closes_the_order_and_cannot_be_repeated(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}])
    fo = to_ship(shop, order)
    created = fulfil(shop, fo, tracking={"company": "Acme Freight", "number": "AF-1"},
                     notifyCustomer=True)
    assert created["userErrors"] == []
    fulfillment = created["fulfillment"]
    assert fulfillment["id"].startswith("gid://shopify/Fulfillment/")
    assert fulfillment["status"] == "SUCCESS"
    assert fulfillment["trackingInfo"] == [{"company": "Acme Freight", "number": "AF-1",
                                            "url": None}]
    after = to_ship(shop, order)
    assert after["status"] == "CLOSED"
    assert [n["remainingQuantity"] for n in after["lineItems"]["nodes"]] == [0, 0]

    again = fulfil(shop, fo, [(fo["lineItems"]["nodes"][0], 1)])
    assert again["fulfillment"] is None
    assert again["userErrors"] == [{
        "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0", "fulfillmentOrderId"],
        "message": f"Fulfillment order {fo['id'].rsplit('/', 1)[1]} has an unfulfillable "
                   "status= closed."}]

    rest = shop.control("get", f"orders/{order['id']}")
    assert rest["fulfillment_status"] == "fulfilled" and rest["updated_at"] > rest["created_at"]
    assert [f["admin_graphql_api_id"] for f in rest["fulfillments"]] == [fulfillment["id"]]
    listed = shop.control("get", f"orders/{order['id']}/fulfillments")
    assert len(listed) == 1 and listed[0]["notify_customer"] is True
    assert listed[0]["tracking_numbers"] == ["AF-1"] and listed[0]["status"] == "success"
    assert [(li["sku"], li["quantity"]) for li in listed[0]["line_items"]] == \
        [("MUG-CERAMIC", 2), ("TOTE-CANVAS", 1)]
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    assert found["order"]["fulfillments"] == [fulfillment]


def test_partial_fulfillment_leaves_the_rest(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 3},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}])
    fo = to_ship(shop, order)
    mug, tote = fo["lineItems"]["nodes"]
    assert fulfil(shop, fo, [(mug, 2)])["userErrors"] == []
    after = to_ship(shop, order)
    assert after["status"] == "IN_PROGRESS"
    assert [n["remainingQuantity"] for n in after["lineItems"]["nodes"]] == [1, 1]
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] == "partial"
    node = shop.data(queries.ORDER_BY_ID, {"id": order["admin_graphql_api_id"]})["order"]
    assert node["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    too_many = fulfil(shop, after, [(after["lineItems"]["nodes"][0], 2)])
    assert too_many == {"fulfillment": None, "userErrors": [{
        "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0",
                  "fulfillmentOrderLineItems", "0", "quantity"],
        "message": "Invalid fulfillment order line item quantity requested."}]}
    assert fulfil(shop, after)["userErrors"] == []  # no line items given: all that remains
    assert to_ship(shop, order)["status"] == "CLOSED"
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] == "fulfilled"


def test_tracking_urls_and_input_rules(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 5}])
    fo = to_ship(shop, order)
    line = fo["lineItems"]["nodes"][0]
    ups = fulfil(shop, fo, [(line, 1)], {"company": "UPS", "number": "1Z999AA10123456784"})
    assert ups["fulfillment"]["trackingInfo"] == [{
        "company": "UPS", "number": "1Z999AA10123456784",
        "url": "https://www.ups.com/WebTracking?loc=en_US&requester=ST"
               "&trackNums=1Z999AA10123456784"}]
    fedex = fulfil(shop, fo, [(line, 1)], {"company": "FedEx", "numbers": ["111", "222"]})
    assert [t["url"] for t in fedex["fulfillment"]["trackingInfo"]] == [
        "https://www.fedex.com/fedextrack/?trknbr=111",
        "https://www.fedex.com/fedextrack/?trknbr=222"]
    own = fulfil(shop, fo, [(line, 1)], {"company": "usps", "number": "9400",
                                         "url": "https://track.example/9400"})
    assert own["fulfillment"]["trackingInfo"] == [
        {"company": "usps", "number": "9400", "url": "https://track.example/9400"}]

    bad = fulfil(shop, fo, [(line, 1)], {"company": "UPS", "url": "https://x.example/1"})
    assert bad["fulfillment"] is None
    assert bad["userErrors"][0]["field"] == ["fulfillment", "trackingInfo", "url"]
    both = fulfil(shop, fo, [(line, 1)], {"number": "1", "numbers": ["2"]})
    assert both["userErrors"][0]["field"] == ["fulfillment", "trackingInfo", "numbers"]
    stranger = to_ship(shop, shop.order())["lineItems"]["nodes"][0]
    foreign = fulfil(shop, fo, [(stranger, 1)])
    assert foreign["userErrors"][0] == {
        "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0",
                  "fulfillmentOrderLineItems", "0", "id"],
        "message": "Fulfillment order line item does not exist."}
    unknown = fulfil(shop, {"id": "gid://shopify/FulfillmentOrder/1"})
    assert unknown["userErrors"][0]["message"] == "Fulfillment order does not exist."
    shop.control("post", f"orders/{order['id']}/hold", json={"reason": "OTHER"})
    held = fulfil(shop, fo, [(line, 1)])
    assert held["userErrors"][0]["message"].endswith("unfulfillable status= on_hold.")
    assert len(shop.control("get", f"orders/{order['id']}/fulfillments")) == 3


def test_lost_fulfillment_answer_still_creates_it(sandbox, shop):
    order = shop.order()
    fo = to_ship(shop, order)
    try:
        shop.http.post("/sandbox/faults", json={"lose_fulfillment_answer": 1})
        lost = shop.graphql(queries.FULFILLMENT_CREATE, {"fulfillment": {
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
            "trackingInfo": {"company": "USPS", "number": "9400111"}}})
        assert lost.status_code == 502
        assert shop.http.get("/sandbox/faults").json()["lose_fulfillment_answer"] == 0
    finally:
        shop.http.delete("/sandbox/faults")
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    assert found["order"]["fulfillments"][0]["trackingInfo"] == [{
        "company": "USPS", "number": "9400111",
        "url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111"}]
    assert to_ship(shop, order)["status"] == "CLOSED"


def test_fulfillments_create_webhook_is_signed_and_delivered(sandbox, receiver, shop):
    path = f"/hooks/fulfil/{shop.domain}"
    for topic in ("FULFILLMENTS_CREATE", "ORDERS_UPDATED"):
        shop.subscribe(topic, receiver.url + path)
    order = shop.order(deliver=False)
    created = fulfil(shop, to_ship(shop, order), tracking={"company": "DHL Express",
                                                           "number": "JD0140"})
    assert sandbox.wait_webhooks_idle(10)
    hooks = {r["headers"]["X-Shopify-Topic"]: r for r in receiver.received(path)}
    assert sorted(hooks) == ["fulfillments/create", "orders/updated"]
    hook = hooks["fulfillments/create"]
    expected = base64.b64encode(hmac.new(SECRET.encode(), hook["body"], hashlib.sha256).digest())
    assert hmac.compare_digest(hook["headers"]["X-Shopify-Hmac-Sha256"].encode(), expected)
    body = json.loads(hook["body"])
    assert body["admin_graphql_api_id"] == created["fulfillment"]["id"]
    assert body["order_id"] == order["id"] and body["status"] == "success"
    assert body["tracking_company"] == "DHL Express" and body["tracking_number"] == "JD0140"
    assert body["tracking_urls"] == [
        "https://www.dhl.com/en/express/tracking.html?AWB=JD0140&brand=DHL"]
    assert body["line_items"][0]["id"] == order["line_items"][0]["id"]
    assert body["name"] == order["name"] + ".1"
    shared = Path(__file__).resolve().parents[2] / "shared"
    with open(shared / "fixtures/shopify/webhooks/fulfillments_create.json") as fixture:
        assert list(body) == list(json.load(fixture))
    updated = json.loads(hooks["orders/updated"]["body"])
    assert updated["fulfillment_status"] == "fulfilled" and len(updated["fulfillments"]) == 1


def test_fulfillment_events(sandbox, shop):
    order = shop.order()
    fulfillment = fulfil(shop, to_ship(shop, order))["fulfillment"]
    made = shop.data(EVENT_CREATE, {"fulfillmentEvent": {
        "fulfillmentId": fulfillment["id"], "status": "IN_TRANSIT", "city": "Reno",
        "happenedAt": "2026-03-01T10:00:00Z", "estimatedDeliveryAt": "2026-03-03T18:00:00Z",
        "message": "Departed facility"}})["fulfillmentEventCreate"]
    assert made["userErrors"] == [] and made["fulfillmentEvent"]["status"] == "IN_TRANSIT"
    assert made["fulfillmentEvent"]["id"].startswith("gid://shopify/FulfillmentEvent/")
    bogus = shop.graphql(EVENT_CREATE, {"fulfillmentEvent": {
        "fulfillmentId": fulfillment["id"], "status": "LOST_IN_SPACE"}}).json()
    assert bogus["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    missing = shop.data(EVENT_CREATE, {"fulfillmentEvent": {
        "fulfillmentId": "gid://shopify/Fulfillment/1", "status": "DELIVERED"}})
    assert missing["fulfillmentEventCreate"] == {"fulfillmentEvent": None, "userErrors": [
        {"field": ["fulfillmentEvent", "fulfillmentId"],
         "message": "Fulfillment does not exist."}]}
    events = shop.control("get", f"fulfillments/{fulfillment['id'].rsplit('/', 1)[1]}/events")
    assert [(e["status"], e["city"], e["message"]) for e in events] == \
        [("in_transit", "Reno", "Departed facility")]
    assert events[0]["admin_graphql_api_id"] == made["fulfillmentEvent"]["id"]
    listed = shop.control("get", f"orders/{order['id']}/fulfillments")
    assert listed[0]["shipment_status"] == "in_transit"


# --- fulfillmentCancel -------------------------------------------------------------------------


def all_to_ship(shop: Shop, order: dict) -> list[dict]:
    answer = shop.data(queries.FULFILLMENT_ORDERS_TO_SHIP, {"id": order["admin_graphql_api_id"]})
    return answer["order"]["fulfillmentOrders"]["nodes"]


def cancel(shop: Shop, fulfillment_id: str) -> dict:
    body = shop.graphql(queries.FULFILLMENT_CANCEL, {"id": fulfillment_id}).json()
    assert "errors" not in body, body
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10
    assert body["extensions"]["cost"]["actualQueryCost"] == 10
    return body["data"]["fulfillmentCancel"]


def test_cancelled_fulfillment_reopens_its_lines_and_can_be_fulfilled_again(sandbox, receiver,
                                                                           shop):
    path = f"/hooks/cancel/{shop.domain}"
    for topic in ("FULFILLMENTS_UPDATE", "ORDERS_UPDATED"):
        shop.subscribe(topic, receiver.url + path)
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}], deliver=False)
    fo = to_ship(shop, order)
    first = fulfil(shop, fo, tracking={"company": "UPS", "number": "1Z1"})["fulfillment"]
    assert sandbox.wait_webhooks_idle(10)
    before = shop.control("get", f"orders/{order['id']}")
    assert before["fulfillment_status"] == "fulfilled"

    assert cancel(shop, first["id"]) == {
        "fulfillment": {"id": first["id"], "status": "CANCELLED"}, "userErrors": []}

    # As on Shopify: the entirely fulfilled fulfillment order stays closed and a new open one
    # at the same location carries the cancelled items.
    closed, reopened = all_to_ship(shop, order)
    assert closed["id"] == fo["id"] and closed["status"] == "CLOSED"
    assert reopened["status"] == "OPEN" and reopened["fulfillmentHolds"] == []
    assert reopened["assignedLocation"] == closed["assignedLocation"]
    assert [(n["sku"], n["remainingQuantity"], n["lineItem"]) for n in
            reopened["lineItems"]["nodes"]] == \
        [(n["sku"], q, n["lineItem"]) for n, q in zip(fo["lineItems"]["nodes"], (2, 1))]
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    assert [(f["id"], f["status"]) for f in found["order"]["fulfillments"]] == \
        [(first["id"], "CANCELLED")]
    rest = shop.control("get", f"orders/{order['id']}")
    assert rest["fulfillment_status"] is None and rest["updated_at"] > before["updated_at"]
    assert [li["fulfillable_quantity"] for li in rest["line_items"]] == [2, 1]
    listed = shop.control("get", f"orders/{order['id']}/fulfillments")
    assert [(f["admin_graphql_api_id"], f["status"]) for f in listed] == \
        [(first["id"], "cancelled")]
    node = shop.data(queries.ORDER_BY_ID, {"id": order["admin_graphql_api_id"]})["order"]
    assert node["displayFulfillmentStatus"] == "UNFULFILLED"

    assert sandbox.wait_webhooks_idle(10)
    hooks = receiver.received(path)
    updates = [json.loads(h["body"]) for h in hooks
               if h["headers"]["X-Shopify-Topic"] == "fulfillments/update"]
    assert [(u["admin_graphql_api_id"], u["status"]) for u in updates] == \
        [(first["id"], "cancelled")]
    orders_updated = [json.loads(h["body"]) for h in hooks
                      if h["headers"]["X-Shopify-Topic"] == "orders/updated"]
    assert orders_updated[-1]["fulfillment_status"] is None
    assert [f["status"] for f in orders_updated[-1]["fulfillments"]] == ["cancelled"]

    assert fulfil(shop, closed)["userErrors"][0]["message"].endswith("status= closed.")
    again = fulfil(shop, reopened, tracking={"company": "UPS", "number": "1Z2"})
    assert again["userErrors"] == [] and again["fulfillment"]["status"] == "SUCCESS"
    assert [fo["status"] for fo in all_to_ship(shop, order)] == ["CLOSED", "CLOSED"]
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    assert [f["status"] for f in found["order"]["fulfillments"]] == ["CANCELLED", "SUCCESS"]
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] == "fulfilled"


def test_cancelling_a_partial_fulfillment_reopens_the_same_fulfillment_order(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 3},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}])
    fo = to_ship(shop, order)
    mug, tote = fo["lineItems"]["nodes"]
    one = fulfil(shop, fo, [(mug, 1)])["fulfillment"]
    two = fulfil(shop, fo, [(mug, 1), (tote, 1)])["fulfillment"]
    assert cancel(shop, two["id"])["userErrors"] == []
    (after,) = all_to_ship(shop, order)
    assert after["status"] == "IN_PROGRESS"  # the first fulfilment remains
    assert [n["remainingQuantity"] for n in after["lineItems"]["nodes"]] == [2, 1]
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] == "partial"
    assert cancel(shop, one["id"])["userErrors"] == []
    (after,) = all_to_ship(shop, order)
    assert after["status"] == "OPEN"
    assert [n["remainingQuantity"] for n in after["lineItems"]["nodes"]] == [3, 1]
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] is None
    assert fulfil(shop, after)["userErrors"] == []
    assert to_ship(shop, order)["status"] == "CLOSED"


def test_cancelling_twice_or_an_unknown_fulfillment_is_a_user_error(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2}])
    fulfillment = fulfil(shop, to_ship(shop, order))["fulfillment"]
    assert cancel(shop, fulfillment["id"])["userErrors"] == []
    state = (shop.control("get", f"orders/{order['id']}"), all_to_ship(shop, order))

    twice = cancel(shop, fulfillment["id"])
    assert twice["fulfillment"] is None
    assert [e["field"] for e in twice["userErrors"]] == [["id"]]
    assert "cancelled" in twice["userErrors"][0]["message"]
    unknown = cancel(shop, "gid://shopify/Fulfillment/1")
    assert unknown == {"fulfillment": None, "userErrors": [
        {"field": ["id"], "message": "Fulfillment does not exist."}]}
    assert (shop.control("get", f"orders/{order['id']}"), all_to_ship(shop, order)) == state


def test_fulfillment_cancel_obeys_faults(sandbox, shop):
    order = shop.order()
    fulfillment = fulfil(shop, to_ship(shop, order))["fulfillment"]
    variables = {"id": fulfillment["id"]}
    try:
        shop.http.post("/sandbox/faults", json={"fail_5xx": 1, "http_429": 1, "throttle": 1})
        assert shop.graphql(queries.FULFILLMENT_CANCEL, variables).status_code == 503
        assert shop.graphql(queries.FULFILLMENT_CANCEL, variables).status_code == 429
        throttled = shop.graphql(queries.FULFILLMENT_CANCEL, variables).json()
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        listed = shop.control("get", f"orders/{order['id']}/fulfillments")
        assert listed[0]["status"] == "success"  # none of those ran
    finally:
        shop.http.delete("/sandbox/faults")
    assert cancel(shop, fulfillment["id"])["fulfillment"]["status"] == "CANCELLED"


def update_tracking(shop: Shop, fulfillment_id: str, tracking, notify=None) -> dict:
    return shop.data(queries.FULFILLMENT_TRACKING_INFO_UPDATE, {
        "fulfillmentId": fulfillment_id, "trackingInfoInput": tracking,
        "notifyCustomer": notify})["fulfillmentTrackingInfoUpdate"]


def test_tracking_info_update_replaces_the_tracking_of_a_fulfillment(sandbox, receiver, shop):
    order = shop.order()
    created = fulfil(shop, to_ship(shop, order), tracking={"company": "USPS", "number": "9400"})
    fulfillment_id = created["fulfillment"]["id"]
    stripped = shop.control("put", f"fulfillments/{fulfillment_id.rsplit('/', 1)[1]}/tracking",
                            json={})
    assert stripped["tracking_numbers"] == [] and stripped["tracking_company"] is None
    shop.subscribe("FULFILLMENTS_UPDATE", receiver.url + "/app")

    updated = update_tracking(shop, fulfillment_id, {"company": "UPS", "numbers": ["1Z1", "1Z2"]})
    assert updated["userErrors"] == []
    assert [(t["company"], t["number"]) for t in updated["fulfillment"]["trackingInfo"]] == \
        [("UPS", "1Z1"), ("UPS", "1Z2")]
    assert updated["fulfillment"]["trackingInfo"][0]["url"].endswith("trackNums=1Z1")
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    [listed] = found["order"]["fulfillments"]
    assert listed["trackingInfo"] == updated["fulfillment"]["trackingInfo"]
    wait_until(lambda: any(r["headers"].get("X-Shopify-Topic") == "fulfillments/update"
                           for r in receiver.requests))


def test_tracking_info_update_input_rules(sandbox, shop):
    order = shop.order()
    fulfillment_id = fulfil(shop, to_ship(shop, order))["fulfillment"]["id"]
    both = update_tracking(shop, fulfillment_id, {"number": "1", "numbers": ["2"]})
    assert both["fulfillment"] is None
    assert both["userErrors"][0]["field"] == ["trackingInfoInput", "numbers"]
    unknown = update_tracking(shop, "gid://shopify/Fulfillment/1", {"number": "1"})
    assert unknown["userErrors"] == [{"field": ["fulfillmentId"],
                                      "message": "Fulfillment does not exist."}]
    cancel(shop, fulfillment_id)
    cancelled = update_tracking(shop, fulfillment_id, {"number": "1"})
    assert cancelled["fulfillment"] is None
    assert cancelled["userErrors"][0]["field"] == ["fulfillmentId"]
    missing = shop.graphql(queries.FULFILLMENT_TRACKING_INFO_UPDATE,
                           {"fulfillmentId": fulfillment_id}).json()
    assert missing["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"


def test_variables_left_out_take_their_defaults(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 1},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}])
    full = shop.graphql(queries.ORDER_FULFILLMENT_ORDERS, {"id": order["admin_graphql_api_id"]})
    one = shop.graphql(queries.ORDER_FULFILLMENT_ORDERS,
                       {"id": order["admin_graphql_api_id"], "lines": 1})
    assert full.json()["extensions"]["cost"]["requestedQueryCost"] == 621
    assert one.json()["extensions"]["cost"]["requestedQueryCost"] == 27
    lines = one.json()["data"]["order"]["fulfillmentOrders"]["nodes"][0]["lineItems"]
    assert len(lines["nodes"]) == 1 and lines["pageInfo"]["hasNextPage"] is True


def test_api_usage_counts_operations_and_throttled_answers(sandbox, shop):
    shop.data(queries.SHOP_INFO)
    shop.data(queries.SHOP_INFO)
    shop.http.post("/sandbox/faults", json={"throttle": 1})
    assert shop.graphql(queries.SHOP_INFO).json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    usage = shop.control("get", "api-usage")
    assert usage["operations"] == {"ShopInfo": 2} and usage["throttled"] == 1
    assert usage["bucket"]["maximumAvailable"] == 2000.0
