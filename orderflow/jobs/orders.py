"""Step 2 of the walk: an order snapshot becomes our order (stock read from Shopify, then one
transaction), and a ready order goes on to planning.

The steps here run inside other jobs: `apply_order_webhook` for a recorded `orders/*` delivery
(queue/topics.py), `apply_order` for an order the reconciler found (queue/registry.STEPS).
"""

from __future__ import annotations

from sqlalchemy import select

from ..db.models import Order
from ..fulfilment.states.orders import VALIDATING, OrderState
from ..fulfilment.types import FulfilmentPlan, OrderSnapshot
from ..fulfilment.validation import needs_shipping
from ..integrations.shopify import operations
from ..integrations.shopify.errors import ShopifyAuthError, ShopifyUnavailable
from ..integrations.shopify.inventory import fulfilment_plan
from ..integrations.shopify.orders import order_from_webhook
from ..integrations.shopify.readers import PayloadError
from ..queue.calls import call
from ..queue.enqueue import enqueue
from ..services import access_token
from ..store.deliveries import claim, finish
from ..store.orders import SHIPPED_STATES, apply_snapshot, stored_version


def _needs_plan(stored, snap: OrderSnapshot) -> bool:
    """Stock is read only for an order about to be validated: not for a stale or cancelled one,
    nor for one past validation (its labels bought), unless Shopify reopened lines of it."""
    if snap.cancelled or not any(needs_shipping(li) for li in snap.line_items):
        return False
    if stored is None:
        return True
    updated_at, state = stored
    if snap.updated_at <= updated_at:
        return False
    if OrderState(state) in VALIDATING:
        return True
    return state in SHIPPED_STATES and snap.fulfillment_status != "fulfilled"


def read_plan(svc, shop_id: int, order_id: int,
              lines: int) -> tuple[FulfilmentPlan | None, str | None]:
    """The order's open fulfilment orders and the stock at their locations (two small queries)."""
    domain, token = access_token(svc, shop_id)
    try:
        fulfilment_orders = operations.fulfilment_orders(svc.admin, domain, token, order_id,
                                                         lines)
        inventory: dict = {}
        for fo in fulfilment_orders:
            items = [line.inventory_item_id for line in fo.lines if line.inventory_item_id]
            if fo.location_id and items and fo.location_id not in inventory:
                inventory[fo.location_id] = operations.stock_at(svc.admin, domain, token, items,
                                                                fo.location_id)
    except PayloadError as exc:
        return None, f"Could not read this order's fulfilment orders and stock from Shopify ({exc})"
    return fulfilment_plan(fulfilment_orders, inventory), None


def apply_order_webhook(svc, delivery, payload: dict) -> None:
    """The step of a recorded `orders/create`, `orders/updated` or `orders/cancelled`."""
    snap = order_from_webhook(payload)
    source = f"webhook {delivery.topic} {delivery.webhook_id}"
    last_try = delivery.attempts >= svc.settings.JOB_MAX_ATTEMPTS
    apply_order(svc, delivery.shop_id, snap, source, delivery.id, hold_if_unreadable=last_try)


def apply_order(svc, shop_id: int, snap: OrderSnapshot, source: str,
                delivery_id: int | None = None, hold_if_unreadable: bool = False) -> str | None:
    """Returns the outcome of `apply_snapshot`, or None when the delivery was already done.

    Shopify unreachable: raise so the job retries; on its last try (`hold_if_unreadable`) the order
    is recorded anyway, on hold with the reason, rather than lost.
    """
    with svc.db.session() as s:
        stored = stored_version(s, shop_id, snap.shopify_id)
    plan, problem = None, None
    if _needs_plan(stored, snap):
        try:
            plan, problem = read_plan(svc, shop_id, snap.shopify_id, len(snap.line_items))
        except (ShopifyUnavailable, ShopifyAuthError) as exc:
            if not hold_if_unreadable:
                raise
            problem = f"Could not check stock in Shopify ({exc}): check it, then release the hold"
    with svc.db.session() as s, s.begin():
        delivery = claim(s, delivery_id) if delivery_id else None
        if delivery_id and delivery is None:
            return None
        outcome = apply_snapshot(s, shop_id, snap, plan, source, delivery_id, problem)
        if delivery is not None:
            finish(delivery)
        order_id, state = s.execute(select(Order.id, Order.state).where(
            Order.shop_id == shop_id, Order.shopify_id == snap.shopify_id)).one()
    if state == OrderState.READY.value:
        enqueue_planning(svc, [order_id])
    return outcome


def enqueue_planning(svc, order_ids: list[int]) -> None:
    """After the commit; if the queue is down, the clock finds ready orders without a shipment."""
    enqueue(svc, [call("plan_shipment", i, job_id=f"plan-{i}") for i in order_ids],
            f"planning of {len(order_ids)} orders waits for the clock")
