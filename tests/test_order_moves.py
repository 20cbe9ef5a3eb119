"""One place moves an order (store.orders.move), through the table, on a real database.

A job that fails for good after delivery must not undo a delivered order: the order stays
delivered and its timeline says what failed and why it did not move.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from orderflow.db.models import Order, OrderEvent, Shop
from orderflow.fulfilment.states.orders import OrderState
from orderflow.store.orders import move

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
FAILURE = "Could not create the fulfilment in Shopify: Shopify refused our request"


def stored_order(svc, state: OrderState, hold_reason: str | None = None) -> int:
    with svc.db.session() as s, s.begin():
        shop = Shop(domain=f"moves-{uuid.uuid4().hex[:8]}.myshopify.com", access_token="token")
        s.add(shop)
        s.flush()
        order = Order(shop_id=shop.id, shopify_id=7_000_001, name="#7001", currency="USD",
                      total_price=Decimal("20.00"), state=state.value, hold_reason=hold_reason,
                      shopify_created_at=NOW, shopify_updated_at=NOW)
        s.add(order)
        s.flush()
        return order.id


def moved(svc, order_id: int, mover) -> tuple[Order, list[tuple[str, str]]]:
    """Run `mover(session, order)` in one transaction; the order and its timeline after it."""
    with svc.db.session() as s, s.begin():
        mover(s, s.get(Order, order_id))
    with svc.db.session() as s:
        order = s.get(Order, order_id)
        s.expunge(order)
        events = s.execute(select(OrderEvent.kind, OrderEvent.message)
                           .where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)).all()
    return order, [tuple(e) for e in events]


def test_a_delivered_order_offered_exception_stays_delivered_and_its_timeline_says_why(svc):
    order_id = stored_order(svc, OrderState.DELIVERED)
    order, events = moved(svc, order_id,
                          lambda s, o: move(s, o, OrderState.EXCEPTION, FAILURE, "webhook"))
    assert (order.state, order.hold_reason) == ("delivered", None)
    assert events == [("transition_refused",
                       f"an order cannot move from delivered to exception ({FAILURE})")]


@pytest.mark.parametrize("state", [OrderState.FULFILLED, OrderState.IN_TRANSIT])
def test_a_shipped_order_is_not_made_an_exception_by_a_late_failure(svc, state):
    order_id = stored_order(svc, state)
    order, events = moved(svc, order_id,
                          lambda s, o: move(s, o, OrderState.EXCEPTION, FAILURE, "shipping"))
    assert order.state == state.value
    assert [kind for kind, _ in events] == ["transition_refused"]


def test_a_cancelled_order_stays_cancelled_and_says_so(svc):
    order_id = stored_order(svc, OrderState.CANCELLED)
    order, events = moved(svc, order_id,
                          lambda s, o: move(s, o, OrderState.EXCEPTION, FAILURE, "webhook"))
    assert order.state == "cancelled"
    assert events == [("transition_refused", "an order cannot move from cancelled to exception: "
                                             f"cancelled is final ({FAILURE})")]


def test_a_failure_before_shopify_has_the_fulfilment_shows_as_an_exception(svc):
    order_id = stored_order(svc, OrderState.LABEL_BOUGHT)
    order, events = moved(svc, order_id,
                          lambda s, o: move(s, o, OrderState.EXCEPTION, FAILURE, "shipping"))
    assert (order.state, order.hold_reason) == ("exception", FAILURE)
    assert events == [("exception", FAILURE)]


def test_a_step_the_order_has_passed_is_old_news_not_a_refusal(svc):
    order_id = stored_order(svc, OrderState.IN_TRANSIT)
    order, events = moved(svc, order_id, lambda s, o: move(
        s, o, OrderState.LABEL_BOUGHT, "Label bought: UPS Ground, 1Z2", "shipping"))
    assert order.state == "in_transit" and events == []


def test_a_new_reason_for_the_same_hold_is_written_and_the_same_reason_is_not(svc):
    order_id = stored_order(svc, OrderState.ON_HOLD, "Payment pending")
    order, events = moved(svc, order_id, lambda s, o: move(
        s, o, OrderState.ON_HOLD, "Payment pending", "admin"))
    assert events == []
    order, events = moved(svc, order_id, lambda s, o: move(
        s, o, OrderState.ON_HOLD, "Payment pending; Shipping cancelled", "admin",
        event=("on_hold", "Shipping cancelled")))
    assert order.hold_reason == "Payment pending; Shipping cancelled"
    assert events == [("on_hold", "Shipping cancelled")]
