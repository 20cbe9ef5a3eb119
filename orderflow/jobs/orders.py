"""Turning an order snapshot into our order: read stock from Shopify, then one transaction."""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..fulfilment.order_states import VALIDATING, OrderState
from ..fulfilment.types import FulfilmentPlan, OrderSnapshot
from ..fulfilment.validation import needs_shipping
from ..integrations.shopify import queries
from ..integrations.shopify.errors import ShopifyAuthError, ShopifyUnavailable
from ..integrations.shopify.mapping import (
    PayloadError, fulfilment_plan, id_to_gid, inventory_levels, open_fulfilment_orders,
)
from ..db.models import Order
from ..store.orders import SHIPPED_STATES, apply_snapshot, stored_version
from ..queue.calls import QueueUnavailable
from ..services import access_token
from ..store.deliveries import claim, finish

log = logging.getLogger(__name__)

MAX_LINES = 100  # lines per fulfilment order asked at most (keeps a query under 1,000 points)


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


def read_fulfilment_orders(svc, domain: str, token: str, query: str, order_id: int,
                           lines: int) -> dict:
    """`query` (one of the two fulfilment-order queries) with a page of `lines` lines, the order's
    line count; asked again with the longest page if an edit has made the order longer since."""
    variables = {"id": id_to_gid("Order", order_id), "lines": min(max(lines, 1), MAX_LINES)}
    data = svc.admin.graphql(domain, token, query, variables)
    if variables["lines"] < MAX_LINES and _lines_cut(data):
        data = svc.admin.graphql(domain, token, query, variables | {"lines": MAX_LINES})
    return data


def _lines_cut(data: dict) -> bool:
    nodes = (((data or {}).get("order") or {}).get("fulfillmentOrders") or {}).get("nodes") or []
    pages = [(fo.get("lineItems") or {}).get("pageInfo") or {} for fo in nodes]
    return any(page.get("hasNextPage") for page in pages)


def read_plan(svc, shop_id: int, order_id: int,
              lines: int) -> tuple[FulfilmentPlan | None, str | None]:
    """The order's open fulfilment orders and the stock at their locations (two small queries)."""
    domain, token = access_token(svc, shop_id)
    data = read_fulfilment_orders(svc, domain, token, queries.ORDER_FULFILLMENT_ORDERS, order_id,
                                  lines)
    try:
        fulfilment_orders = open_fulfilment_orders(data)
        inventory: dict = {}
        for fo in fulfilment_orders:
            items = [line.inventory_item_id for line in fo.lines if line.inventory_item_id]
            if fo.location_id and items and fo.location_id not in inventory:
                levels = svc.admin.graphql(domain, token, queries.INVENTORY_AT_LOCATION,
                                           {"ids": items, "locationId": fo.location_id})
                inventory[fo.location_id] = inventory_levels(levels)
    except PayloadError as exc:
        return None, f"Could not read this order's fulfilment orders and stock from Shopify ({exc})"
    return fulfilment_plan(fulfilment_orders, inventory), None


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
    from .shipping import plan_shipment
    try:
        svc.queue.enqueue_many([plan_shipment.call(i, job_id=f"plan-{i}") for i in order_ids])
    except QueueUnavailable as exc:
        log.warning("planning of %d orders waits for the clock: %s", len(order_ids), exc)
