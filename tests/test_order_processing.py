"""Orders from the sandbox store become ready or held, with reasons, whatever order webhooks come
in."""

from __future__ import annotations

from sqlalchemy import text

from .helpers import drain, events, orders_by_shopify_id, place
from .webhook_client import post_webhook


def test_each_kind_of_order_ends_ready_or_held_with_a_reason(app, svc, sandbox, make_shop, control):
    shop = make_shop()
    cases = {
        "paid": place(control, shop),
        "pending": place(control, shop, financial_status="pending"),
        "partly paid": place(control, shop, financial_status="partially_paid"),
        "digital": place(control, shop, shipping_address=None, line_items=[
            {"title": "E-book", "quantity": 1, "price": "5.00", "requires_shipping": False}]),
        "no zip": place(control, shop, shipping_address={
            "first_name": "Zoë", "last_name": "Ångström", "address1": "1 Main St", "city": "Austin",
            "province_code": "TX", "country_code": "US", "zip": ""}),
        "stock": place(control, shop, line_items=[{"sku": "MUG-CERAMIC", "quantity": 100000}]),
        "60 lines": place(control, shop, line_items=[{"sku": "MUG-CERAMIC", "quantity": 1}] * 60),
    }
    drain(app, sandbox)
    got = orders_by_shopify_id(svc)
    state = {k: got[v["id"]].state for k, v in cases.items()}
    reason = {k: got[v["id"]].hold_reason or "" for k, v in cases.items()}
    assert state == {"paid": "ready", "pending": "on_hold", "partly paid": "on_hold",
                     "digital": "nothing_to_ship", "no zip": "on_hold", "stock": "on_hold",
                     "60 lines": "ready"}
    assert "Payment pending" in reason["pending"]
    assert "partly paid" in reason["partly paid"].lower()
    assert "postal code" in reason["no zip"]
    assert "Not enough stock" in reason["stock"] and "MUG-CERAMIC" in reason["stock"]
    with svc.db.engine.connect() as conn:
        lines = conn.execute(text("SELECT count(*) FROM line_items li "
                                  "JOIN orders o ON o.id = li.order_id "
                                  "WHERE o.shopify_id = :id"),
                             {"id": cases["60 lines"]["id"]}).scalar()
    assert lines == 60


def test_an_edit_after_creation_releases_the_hold(app, svc, sandbox, make_shop, control):
    shop = make_shop()
    order = place(control, shop, financial_status="pending")
    drain(app, sandbox)
    control.put(f"/sandbox/shops/{shop}/orders/{order['id']}", json={"financial_status": "paid"})
    drain(app, sandbox)
    assert orders_by_shopify_id(svc)[order["id"]].state == "ready"
    assert events(svc, order["id"]) == ["received", "held", "updated", "ready"]


def test_an_update_before_its_create_and_a_stale_update_never_win(
        app, svc, sandbox, make_shop, control):
    shop = make_shop()
    control.post("/sandbox/faults", json={"hold_webhooks": True, "reorder_webhooks": True})
    order = place(control, shop, financial_status="pending")
    control.put(f"/sandbox/shops/{shop}/orders/{order['id']}", json={"financial_status": "paid"})
    control.post("/sandbox/faults", json={"hold_webhooks": False})
    drain(app, sandbox)
    assert orders_by_shopify_id(svc)[order["id"]].state == "ready"
    assert events(svc, order["id"]) == ["received", "ready", "stale_update_ignored"]


def test_a_cancelled_order_stops_all_further_work(app, svc, sandbox, make_shop, control, base_url):
    shop = make_shop()
    order = place(control, shop)
    drain(app, sandbox)
    control.post(f"/sandbox/shops/{shop}/orders/{order['id']}/cancel", json={"reason": "customer"})
    drain(app, sandbox)
    later = control.put(f"/sandbox/shops/{shop}/orders/{order['id']}",
                        json={"note": "late edit"}).json()
    drain(app, sandbox)
    row = orders_by_shopify_id(svc)[order["id"]]
    assert row.state == "cancelled"
    assert later["note"] == "late edit"
    assert "cancelled" in events(svc, order["id"])


def test_shopify_5xx_and_throttling_are_retried_to_the_right_state(
        app, svc, sandbox, make_shop, control):
    shop = make_shop()
    control.post("/sandbox/faults", json={"fail_5xx": 2, "throttle": 2})
    order = place(control, shop)
    drain(app, sandbox)
    assert orders_by_shopify_id(svc)[order["id"]].state == "ready"


def test_shopify_down_for_good_holds_the_order_visibly(app, svc, sandbox, make_shop, control):
    shop = make_shop()
    control.post("/sandbox/faults", json={"fail_5xx": 1000})
    order = place(control, shop)
    drain(app, sandbox)
    control.delete("/sandbox/faults")
    row = orders_by_shopify_id(svc)[order["id"]]
    assert row.state == "on_hold"
    assert "Could not check stock in Shopify" in row.hold_reason


def test_duplicated_webhooks_process_each_order_once(app, svc, sandbox, make_shop, control):
    shop = make_shop()
    control.post("/sandbox/faults", json={"duplicate_webhooks": True})
    orders = [place(control, shop) for _ in range(3)]
    drain(app, sandbox)
    for order in orders:
        assert events(svc, order["id"]) == ["received", "ready"]


def test_another_shops_ids_touch_nothing_of_ours(app, svc, sandbox, make_shop, control, base_url):
    mine, theirs = make_shop(), make_shop()
    order = place(control, mine)
    drain(app, sandbox)
    forged = dict(order, financial_status="pending", updated_at="2099-01-01T00:00:00Z")
    assert post_webhook(base_url, theirs, "orders/updated", forged).status_code == 200
    drain(app)
    with svc.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT s.domain, o.state FROM orders o "
                                 "JOIN shops s ON s.id = o.shop_id "
                                 "WHERE o.shopify_id = :id ORDER BY s.domain"),
                            {"id": order["id"]}).all()
    assert (mine, "ready") in [tuple(r) for r in rows]
