"""bench/tracking_burst.py's seeding: fulfilled shipments, as the pipeline leaves them.

For each shipment, an order and its fulfilment (with the tracking number) are made in the sandbox
Shopify by the very functions its control API and its `fulfillmentCreate` mutation call, in this
process, without HTTP and without webhooks. The matching rows are then inserted in bulk through
the app's own models, in the state `push_fulfilment` and then `start_tracking` leave them.
"""

from __future__ import annotations

import datetime as dt
import secrets

from bench.tracking_histories import SKUS, History

SHOP = "bench-tracking.myshopify.com"


def seed(histories: list[History], shopify, shop_id: int, engine) -> dict:
    """Orders and fulfilments in the sandbox Shopify, then the app's rows, as the pipeline leaves
    them after push_fulfilment and start_tracking (see the module's docstring)."""
    made = _sandbox_fulfilments(histories, shopify)
    shipment_ids = _app_rows(made, shop_id, engine)
    return {"shipment_ids": dict(zip((h.k for h, *_ in made), shipment_ids, strict=False)),
            "fulfillments": {h.k: f.id for h, _o, _fo, _l, f, _i, _a in made},
            "orders": {h.k: order.name for h, order, *_rest in made}}


def _sandbox_fulfilments(histories: list[History], shopify) -> list[tuple]:
    """Per history: (history, order, fulfilment order, its lines, fulfilment, item, address)."""
    from orderflow.sandbox.shopify import orders as sandbox_orders
    from orderflow.sandbox.shopify.fulfillments import create_fulfillment, plan_fulfillment
    from orderflow.sandbox.shopify.util import gid

    store = shopify.store
    made = []
    with store.lock:
        shop = store.shop(SHOP)
        for h in histories:
            first, last, street, city, state, zip_code = h.destination
            sku = SKUS[h.k % len(SKUS)]
            quantity = 1 + h.k % 2
            address = {"first_name": first, "last_name": last, "address1": street, "city": city,
                       "province_code": state, "zip": zip_code, "country": "United States",
                       "country_code": "US"}
            order = sandbox_orders.create_order(store, shop, {
                "line_items": [{"sku": sku, "quantity": quantity}], "email": h.email,
                "financial_status": "paid", "shipping_address": address,
                "customer": {"first_name": first, "last_name": last, "email": h.email}})
            fo = order.fulfillment_orders[0]
            group = {"fulfillmentOrderId": gid("FulfillmentOrder", fo.id)}
            spec = {"lineItemsByFulfillmentOrder": [group],
                    "trackingInfo": {"company": h.carrier, "numbers": [h.code]},
                    "notifyCustomer": False}  # the app sends its own "shipped" email instead
            lines = [{"id": gid("FulfillmentOrderLineItem", ln.id), "quantity": ln.remaining}
                     for ln in fo.lines]
            plan, errors = plan_fulfillment(shop, spec)
            if errors:
                raise RuntimeError(f"the sandbox refused a fulfilment: {errors}")
            order, fulfillment = create_fulfillment(store, shop, plan, spec, None)
            item = order.line_items[0]
            made.append((h, order, fo, lines, fulfillment, item, address))
    return made


def _app_rows(made: list[tuple], shop_id: int, engine) -> list[int]:
    """The orders, their events, shipments, parcels and "shipped" notices; the shipment ids."""
    from sqlalchemy import insert

    from orderflow.db.models import Notice, Order, OrderEvent, ParcelRow, Shipment
    from orderflow.sandbox.shopify.util import gid

    fulfilled = {h.k: h.bought_at + dt.timedelta(minutes=5) for h, *_ in made}
    seeded_at = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        orders = insert(Order).returning(Order.id, sort_by_parameter_order=True)
        order_ids = conn.execute(orders, [{
            "shop_id": shop_id, "shopify_id": order.id, "name": order.name, "email": h.email,
            "currency": "USD", "total_price": item.price * item.quantity,
            "financial_status": "paid", "fulfillment_status": "fulfilled", "state": "fulfilled",
            "shopify_created_at": order.created_at, "shopify_updated_at": order.updated_at,
            "shipping_address": {"name": f"{address['first_name']} {address['last_name']}",
                                 **address},
            "test": False, "created_at": h.bought_at - dt.timedelta(hours=1),
            "updated_at": fulfilled[h.k],
        } for h, order, _fo, _lines, _f, item, address in made]).scalars().all()
        conn.execute(insert(OrderEvent), [{
            "shop_id": shop_id, "order_id": oid, "kind": "fulfilled", "source": "shipping",
            "message": f"Fulfilled in Shopify with tracking {h.code}", "created_at": fulfilled[h.k],
        } for oid, (h, *_rest) in zip(order_ids, made, strict=False)])
        shipments = insert(Shipment).returning(Shipment.id, sort_by_parameter_order=True)
        shipment_ids = conn.execute(shipments, [{
            "shop_id": shop_id, "order_id": oid,
            "fulfillment_order_id": gid("FulfillmentOrder", fo.id),
            "lines": lines, "state": "fulfilled", "carrier": h.carrier, "service": h.service,
            "cost": 7.5, "currency": "USD", "shopify_fulfillment_id": gid("Fulfillment", f.id),
            "fulfilled_at": fulfilled[h.k], "estimated_delivery": h.est_delivery.date(),
            "tracking_token": secrets.token_urlsafe(24),
            "created_at": h.bought_at - dt.timedelta(minutes=30),
        } for oid, (h, _order, fo, lines, f, _item, _a) in zip(order_ids, made, strict=False)]
        ).scalars().all()
        conn.execute(insert(ParcelRow), [{
            "shipment_id": sid, "shop_id": shop_id, "position": 1, "box": "Small box",
            "length_in": 8, "width_in": 6, "height_in": 4, "weight_oz": 16,
            "contents": {"items": {item.title: item.quantity}},
            "carrier_shipment_id": "shp_" + h.tracker_id[4:],
            "rate_id": "rate_" + h.tracker_id[4:24],
            "amount": 7.5, "tracking_code": h.code, "label_format": "PDF",
            "buy_started_at": h.bought_at - dt.timedelta(seconds=3), "bought_at": h.bought_at,
            "tracker_id": h.tracker_id, "tracking_events": [], "tracking_updated_at": h.bought_at,
            "tracking_checked_at": seeded_at,
        } for sid, (h, _o, _fo, _l, _f, item, _a) in zip(shipment_ids, made, strict=False)])
        conn.execute(insert(Notice), [{
            "shop_id": shop_id, "shipment_id": sid, "channel": "email", "kind": "shipped",
            "state": "sent", "recipient": h.email, "attempts": 1, "detail": {"status": None},
            "created_at": fulfilled[h.k], "started_at": fulfilled[h.k], "sent_at": fulfilled[h.k],
        } for sid, (h, *_rest) in zip(shipment_ids, made, strict=False)])
    return shipment_ids
