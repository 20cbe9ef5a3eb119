"""A missed webhook costs minutes, never an order."""

from __future__ import annotations

from .helpers import drain, events, fulfilments, orders_by_shopify_id, place


def test_an_order_whose_webhook_never_came_is_recovered(app, svc, sandbox, make_shop, control):
    from orderflow.queue.clock import schedule_reconciles
    shop = make_shop()
    control.post("/sandbox/faults", json={"drop_webhooks": 1})
    missed = place(control, shop)
    drain(app, sandbox)
    assert missed["id"] not in orders_by_shopify_id(svc)
    with app.app_context():
        from sqlalchemy import text
        with svc.db.engine.begin() as conn:
            conn.execute(text("UPDATE shops SET reconciled_through = "
                              "reconciled_through - interval '1 hour'"))
        assert schedule_reconciles(svc) >= 1
    drain(app)
    assert orders_by_shopify_id(svc)[missed["id"]].state == "ready"
    assert events(svc, missed["id"])[-1] == "recovered"


def test_removed_webhook_subscriptions_are_created_again(app, svc, sandbox, make_shop, control):
    from orderflow.jobs.reconcile import reconcile_shop
    shop = make_shop()
    control.delete(f"/sandbox/shops/{shop}/webhook-subscriptions",
                   params={"topic": "ORDERS_CREATE"})
    listed = control.get(f"/sandbox/shops/{shop}/webhook-subscriptions").json()
    assert "ORDERS_CREATE" not in {s["topic"] for s in listed}
    with app.app_context():
        from orderflow.db.models import Shop
        with svc.db.session() as s:
            shop_id = s.query(Shop).filter_by(domain=shop).one().id
        reconcile_shop(shop_id)
    listed = control.get(f"/sandbox/shops/{shop}/webhook-subscriptions").json()
    assert {"ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED"} <= {s["topic"] for s in listed}
    order = place(control, shop)
    drain(app, sandbox)
    assert orders_by_shopify_id(svc)[order["id"]].state == "ready"


def shipped(app, svc, sandbox, make_shop, control):
    """A shop with one order shipped: its Shopify fulfilment carries our tracking."""
    shop = make_shop(automation="buy")
    order = place(control, shop)
    drain(app, sandbox)
    [fulfilment] = fulfilments(control, shop, order)
    return shop, order, fulfilment


def reconcile(app, svc, shop: str) -> None:
    from orderflow.db.models import Shop
    from orderflow.jobs.reconcile import reconcile_shop
    with app.app_context():
        with svc.db.session() as s:
            shop_id = s.query(Shop).filter_by(domain=shop).one().id
        reconcile_shop(shop_id)


def timeline(svc, shopify_id: int) -> list[tuple[str, str]]:
    from sqlalchemy import text
    with svc.db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT e.kind, e.message FROM order_events e JOIN orders o ON o.id = e.order_id "
            "WHERE o.shopify_id = :id ORDER BY e.id"), {"id": shopify_id})]


def test_tracking_stripped_in_shopify_is_put_back(app, svc, sandbox, make_shop, control):
    shop, order, fulfilment = shipped(app, svc, sandbox, make_shop, control)
    control.put(f"/sandbox/shops/{shop}/fulfillments/{fulfilment['id']}/tracking",
                json={}).raise_for_status()
    reconcile(app, svc, shop)
    [repaired] = fulfilments(control, shop, order)
    assert repaired["tracking_numbers"] == fulfilment["tracking_numbers"]
    assert repaired["tracking_company"] == fulfilment["tracking_company"]
    kind, message = timeline(svc, order["id"])[-1]
    assert kind == "tracking_repaired" and "no tracking" in message
    reconcile(app, svc, shop)
    assert [k for k, _ in timeline(svc, order["id"])].count("tracking_repaired") == 1


def test_different_tracking_in_shopify_is_replaced_by_ours(app, svc, sandbox, make_shop, control):
    shop, order, fulfilment = shipped(app, svc, sandbox, make_shop, control)
    control.put(f"/sandbox/shops/{shop}/fulfillments/{fulfilment['id']}/tracking",
                json={"company": "Other", "number": "WRONG-1"}).raise_for_status()
    reconcile(app, svc, shop)
    [repaired] = fulfilments(control, shop, order)
    assert repaired["tracking_numbers"] == fulfilment["tracking_numbers"]
    assert "Other WRONG-1" in timeline(svc, order["id"])[-1][1]


def test_a_fulfilment_cancelled_in_shopify_is_recorded_not_created_again(
        app, svc, sandbox, make_shop, control):
    shop, order, fulfilment = shipped(app, svc, sandbox, make_shop, control)
    control.post(f"/sandbox/shops/{shop}/orders/{order['id']}/cancel",
                 json={"deliver": False}).raise_for_status()
    from orderflow.db.models import Shop
    from orderflow.integrations.shopify import queries
    from orderflow.services import access_token
    with app.app_context(), svc.db.session() as s:
        domain, token = access_token(svc, s.query(Shop).filter_by(domain=shop).one().id)
    svc.admin.graphql(domain, token, queries.FULFILLMENT_CANCEL,
                      {"id": fulfilment["admin_graphql_api_id"]})
    reconcile(app, svc, shop)
    reconcile(app, svc, shop)
    assert [f["status"] for f in fulfilments(control, shop, order)] == ["cancelled"]
    kinds = [k for k, _ in timeline(svc, order["id"])]
    assert kinds.count("fulfilment_cancelled_in_shopify") == 1


def test_a_fulfilment_as_we_left_it_changes_nothing_but_its_check_mark(
        app, svc, sandbox, make_shop, control):
    from orderflow.db.models import Shipment
    shop, order, fulfilment = shipped(app, svc, sandbox, make_shop, control)
    before = timeline(svc, order["id"])
    reconcile(app, svc, shop)
    assert timeline(svc, order["id"]) == before
    with svc.db.session() as s:
        [shipment] = s.query(Shipment).all()
        assert shipment.selection["verified_at"]
