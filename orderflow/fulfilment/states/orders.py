"""The order state machine: every state an order can be in and every move between them.

The table is the only place that says which moves are legal; `store.orders.move` is the only
place an order's state changes, through it. A later state (a return, ...) is one new enum
member and one new row here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from .machine import IllegalTransition, StateMachine

__all__ = [
    "SHIPPING_WALK", "TRANSITIONS", "VALIDATING", "IllegalTransition", "OrderState",
    "can_transition", "is_terminal", "reached", "transition",
]


class OrderState(StrEnum):
    RECEIVED = "received"
    READY = "ready"
    ON_HOLD = "on_hold"
    NOTHING_TO_SHIP = "nothing_to_ship"
    CANCELLED = "cancelled"
    EXCEPTION = "exception"
    LABEL_BOUGHT = "label_bought"  # every parcel has its label; Shopify not yet told
    FULFILLED = "fulfilled"  # Shopify has the fulfilment with tracking
    IN_TRANSIT = "in_transit"  # the carrier has the parcels
    DELIVERED = "delivered"  # every parcel delivered: the order's walk is over


# States in which an edited order is validated again (shipping states are past validation).
VALIDATING = frozenset({OrderState.RECEIVED, OrderState.READY, OrderState.ON_HOLD,
                        OrderState.NOTHING_TO_SHIP, OrderState.EXCEPTION})

# An edited order is validated again, and may land in any of these from any of them.
_VALIDATION_OUTCOMES = frozenset(
    {
        OrderState.RECEIVED,
        OrderState.READY,
        OrderState.ON_HOLD,
        OrderState.NOTHING_TO_SHIP,
        OrderState.EXCEPTION,
    }
)

# `exception` (a job failed for good: a person must look) is reachable until Shopify has the
# fulfilment. Once it has (fulfilled, in transit, delivered) the parcels are the carrier's and a
# later failure must not make the order look unshipped, nor send it back to validation: the
# order keeps its state and its timeline says what failed. A cancelled order stays cancelled.
TRANSITIONS: Mapping[OrderState, frozenset[OrderState]] = MappingProxyType(
    {
        OrderState.RECEIVED: _VALIDATION_OUTCOMES | {OrderState.CANCELLED},
        OrderState.READY: _VALIDATION_OUTCOMES | {OrderState.CANCELLED, OrderState.LABEL_BOUGHT},
        OrderState.ON_HOLD: _VALIDATION_OUTCOMES | {OrderState.CANCELLED},
        OrderState.NOTHING_TO_SHIP: _VALIDATION_OUTCOMES | {OrderState.CANCELLED},
        OrderState.EXCEPTION: _VALIDATION_OUTCOMES
        | {OrderState.CANCELLED, OrderState.LABEL_BOUGHT, OrderState.FULFILLED},
        OrderState.CANCELLED: frozenset(),  # a cancelled order stops all further work
        # A voided label puts the order back to ready; a fulfilled order may have more to ship.
        OrderState.LABEL_BOUGHT: frozenset(
            {OrderState.FULFILLED, OrderState.READY, OrderState.EXCEPTION, OrderState.CANCELLED}),
        OrderState.FULFILLED: frozenset(
            {OrderState.IN_TRANSIT, OrderState.DELIVERED, OrderState.READY, OrderState.CANCELLED}),
        OrderState.IN_TRANSIT: frozenset(
            {OrderState.DELIVERED, OrderState.READY, OrderState.CANCELLED}),
        OrderState.DELIVERED: frozenset({OrderState.READY, OrderState.CANCELLED}),
    }
)

# The walk once labels are bought, in order. An order with several shipments gets each step
# once per shipment: a step it is already at or past is old news, not a refused move.
SHIPPING_WALK = (OrderState.LABEL_BOUGHT, OrderState.FULFILLED, OrderState.IN_TRANSIT,
                 OrderState.DELIVERED)

_MACHINE = StateMachine("an order", OrderState, TRANSITIONS)

is_terminal = _MACHINE.is_terminal
can_transition = _MACHINE.can_transition
transition = _MACHINE.transition


def reached(current: OrderState | str, new: OrderState | str) -> bool:
    """The order is at `new` already, or past it in the shipping walk (a second parcel's label
    when the first is fulfilled): a move there has nothing to do and is no refusal."""
    current, new = OrderState(current), OrderState(new)
    if current == new:
        return True
    walk = SHIPPING_WALK
    return current in walk and new in walk and walk.index(new) < walk.index(current)
