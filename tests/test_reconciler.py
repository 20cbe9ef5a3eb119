"""A missed webhook costs minutes, never an order."""

from __future__ import annotations

from .conftest import drain
from .test_order_processing import events, orders_by_shopify_id
from .test_api import place


def test_an_order_whose_webhook_never_came_is_recovered(app, svc, sandbox, make_shop, control):
    from orderflow.clock import schedule_reconciles
    shop = make_shop()
    control.post("/sandbox/faults", json={"drop_webhooks": 1})
    missed = place(control, shop)
    drain(app, sandbox)
    assert missed["id"] not in orders_by_shopify_id(svc)
    with app.app_context():
        from sqlalchemy import text
        with svc.db.engine.begin() as conn:
            conn.execute(text("UPDATE shops SET reconciled_through = reconciled_through - interval '1 hour'"))
        assert schedule_reconciles(svc) >= 1
    drain(app)
    assert orders_by_shopify_id(svc)[missed["id"]].state == "ready"
    assert events(svc, missed["id"])[-1] == "recovered"


def test_removed_webhook_subscriptions_are_created_again(app, svc, sandbox, make_shop, control):
    from orderflow.jobs.reconcile import reconcile_shop
    shop = make_shop()
    control.delete(f"/sandbox/shops/{shop}/webhook-subscriptions", params={"topic": "ORDERS_CREATE"})
    listed = control.get(f"/sandbox/shops/{shop}/webhook-subscriptions").json()
    assert "ORDERS_CREATE" not in {s["topic"] for s in listed}
    with app.app_context():
        from orderflow.models import Shop
        with svc.db.session() as s:
            shop_id = s.query(Shop).filter_by(domain=shop).one().id
        reconcile_shop(shop_id)
    listed = control.get(f"/sandbox/shops/{shop}/webhook-subscriptions").json()
    assert {"ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED"} <= {s["topic"] for s in listed}
    order = place(control, shop)
    drain(app, sandbox)
    assert orders_by_shopify_id(svc)[order["id"]].state == "ready"
