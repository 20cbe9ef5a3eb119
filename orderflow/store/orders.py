"""Persisting what Shopify told us about an order, its timeline, and the one place its state
moves (`move`, through the table of fulfilment/states/orders.py). Called inside a transaction."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..db.models import Customer, LineItem, Order, OrderEvent, utcnow
from ..fulfilment.states.orders import (
    VALIDATING,
    IllegalTransition,
    OrderState,
    reached,
    transition,
)
from ..fulfilment.types import FulfilmentPlan, OrderSnapshot, Verdict
from ..fulfilment.validation import needs_shipping, validate_order

# A validation verdict's words on the timeline, where they are not the move's own (the state as
# the kind, the reason as the message).
_VERDICT_EVENTS = {
    OrderState.READY: ("ready", "Ready to ship"),
    OrderState.ON_HOLD: ("held", "On hold: {reason}"),
}
# The states whose reason the order keeps as its hold reason, for the merchant to act on.
_HELD = (OrderState.ON_HOLD, OrderState.EXCEPTION)


# The hold a merchant puts on an order from the admin; updates from Shopify keep it.
MERCHANT_HOLD = "Shipping cancelled by the merchant"
SHIPPED_STATES = (OrderState.FULFILLED.value, OrderState.IN_TRANSIT.value,
                  OrderState.DELIVERED.value)


def record(session, order: Order, kind: str, message: str, source: str,
           delivery_id: int | None = None) -> None:
    session.add(OrderEvent(shop_id=order.shop_id, order_id=order.id, kind=kind, message=message,
                           source=source, delivery_id=delivery_id))


def locked_order(session, shop_id: int, shopify_id: int) -> Order | None:
    return session.scalar(
        select(Order).where(Order.shop_id == shop_id, Order.shopify_id == shopify_id)
        .with_for_update()
    )


def move(session, order: Order, state: OrderState | str, reason: str | None, source: str,
         delivery_id: int | None = None, *, event: tuple[str, str] | None = None) -> bool:
    """Move the order to `state` if the transition table allows it: the one place an order's
    state changes. Returns whether the order changed.

    `reason` is why: kept as the hold reason (on hold, exception) and written on the timeline
    with the state as its kind, unless `event` gives the (kind, message) to write. A move the
    table refuses leaves the order as it is and says why on the timeline (`transition_refused`),
    unless the order is already there or past it in the shipping walk: that is old news.
    """
    current = OrderState(order.state)
    try:
        new = transition(current, state)
    except IllegalTransition as exc:
        if not reached(current, exc.new):
            message = f"{exc} ({reason})" if reason else str(exc)
            record(session, order, "transition_refused", message, source, delivery_id)
        return False
    hold_reason = reason if new in _HELD else None
    if (current, order.hold_reason) == (new, hold_reason):
        return False
    order.state, order.hold_reason = new.value, hold_reason
    kind, message = event or (new.value, reason or "")
    record(session, order, kind, message, source, delivery_id)
    return True


def apply_snapshot(session, shop_id: int, snap: OrderSnapshot, plan: FulfilmentPlan | None,
                   source: str, delivery_id: int | None = None,
                   plan_problem: str | None = None) -> str:
    """Upsert the order from `snap` unless we already hold newer state; validate; record why.

    Returns "created", "updated", "stale" or "cancelled_ignored". An order past validation
    (labels bought, fulfilled) keeps its state unless Shopify cancels it.
    """
    created = _insert_placeholder(session, shop_id, snap)
    order = locked_order(session, shop_id, snap.shopify_id)
    if not created and snap.updated_at <= order.shopify_updated_at:
        record(session, order, "stale_update_ignored",
               f"Ignored Shopify's version of {snap.updated_at.isoformat()}: "
               f"we already hold the one of {order.shopify_updated_at.isoformat()}",
               source, delivery_id)
        return "stale"
    _write_fields(session, order, snap)
    session.flush()
    record(session, order, "received" if created else "updated",
           f"{'Received' if created else 'Updated'} from Shopify "
           f"({snap.financial_status or 'no payment status'})",
           source, delivery_id)
    if snap.cancelled and order.state != OrderState.CANCELLED.value:
        _follow(session, order, validate_order(snap, None), source, delivery_id)
        return "updated"
    if order.state in SHIPPED_STATES and _more_to_ship(snap):
        verdict = validate_order(snap, plan)
        if verdict.state == OrderState.READY.value:
            _follow(session, order, verdict, source, delivery_id)
        return "updated"
    if OrderState(order.state) not in VALIDATING:
        return "cancelled_ignored" if order.state == OrderState.CANCELLED.value else "updated"
    if order.state == OrderState.ON_HOLD.value and MERCHANT_HOLD in (order.hold_reason or ""):
        return "updated"  # the merchant stopped its shipping: only the merchant releases it
    verdict = validate_order(snap, plan)
    if plan_problem and verdict.state in (OrderState.READY.value, OrderState.ON_HOLD.value):
        verdict = Verdict(OrderState.ON_HOLD.value, verdict.reasons + (plan_problem,))
    _follow(session, order, verdict, source, delivery_id)
    return "created" if created else "updated"


def _insert_placeholder(session, shop_id: int, snap: OrderSnapshot) -> bool:
    """Insert the order's row unless it exists; True when this transaction created it.

    Two deliveries of a new order (create and update, processed at once) would otherwise both
    insert; with ON CONFLICT the second waits for the first's commit and then updates the row.
    """
    insert = (pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert)(Order)
    result = session.execute(insert.values(
        shop_id=shop_id, shopify_id=snap.shopify_id, state=OrderState.RECEIVED.value,
        name=snap.name, currency=snap.currency, total_price=snap.total_price.amount,
        shopify_created_at=snap.created_at, shopify_updated_at=snap.updated_at,
        created_at=utcnow(), updated_at=utcnow(), test=snap.test,
    ).on_conflict_do_nothing(index_elements=["shop_id", "shopify_id"]).returning(Order.id))
    return result.first() is not None


def _more_to_ship(snap: OrderSnapshot) -> bool:
    """Shopify says lines are left to ship (a fulfilment cancelled, an order edited)."""
    return snap.fulfillment_status != "fulfilled" and any(
        needs_shipping(li) and (li.fulfillable_quantity or 0) > 0 for li in snap.line_items)


def _follow(session, order: Order, verdict: Verdict, source: str,
            delivery_id: int | None) -> None:
    state = OrderState(verdict.state)
    kind, template = _VERDICT_EVENTS.get(state, (state.value, "{reason}"))
    move(session, order, state, verdict.reason, source, delivery_id,
         event=(kind, template.format(reason=verdict.reason or "")))


def _write_fields(session, order: Order, snap: OrderSnapshot) -> None:
    order.name = snap.name
    order.email = snap.email
    order.currency = snap.currency
    order.total_price = snap.total_price.amount
    order.financial_status = snap.financial_status
    order.fulfillment_status = snap.fulfillment_status
    order.shopify_created_at = snap.created_at
    order.shopify_updated_at = snap.updated_at
    order.cancelled_at = snap.cancelled_at
    order.shipping_address = asdict(snap.shipping_address) if snap.shipping_address else None
    order.billing_address = asdict(snap.billing_address) if snap.billing_address else None
    order.test = snap.test
    order.note = snap.note
    order.tags = ", ".join(snap.tags) or None
    order.customer = _customer(session, order.shop_id, snap)
    order.line_items = [
        LineItem(shopify_id=li.shopify_id, title=li.title, sku=li.sku, quantity=li.quantity,
                 price=li.price.amount, requires_shipping=li.requires_shipping,
                 gift_card=li.gift_card, variant_id=li.variant_id, product_id=li.product_id,
                 grams=li.grams, fulfillable_quantity=li.fulfillable_quantity)
        for li in snap.line_items
    ]


def _customer(session, shop_id: int, snap: OrderSnapshot) -> Customer | None:
    data = snap.customer
    if data is None:
        return None
    customer = session.scalar(
        select(Customer).where(Customer.shop_id == shop_id, Customer.shopify_id == data.shopify_id)
    )
    if customer is None:
        customer = Customer(shop_id=shop_id, shopify_id=data.shopify_id)
        session.add(customer)
    customer.email, customer.phone = data.email, data.phone
    customer.first_name, customer.last_name = data.first_name, data.last_name
    customer.redacted_at = None
    return customer


def stored_version(session, shop_id: int, shopify_id: int):
    """(updated_at, state) of the order we hold, or None."""
    row = session.execute(
        select(Order.shopify_updated_at, Order.state)
        .where(Order.shop_id == shop_id, Order.shopify_id == shopify_id)
    ).first()
    return tuple(row) if row else None
