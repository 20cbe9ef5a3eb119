"""The sandbox Shopify's webhooks: signed, retried, sent on cancel, uninstall and redact, and
duplicated, dropped, held or reordered on demand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from .. import shopify_queries as queries
from .helpers import OTHER_SECRET, SECRET, VERSION, wait_until


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
