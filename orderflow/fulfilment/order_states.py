"""The order state machine: every state an order can be in and every move between them.

The table is the only place that says which moves are legal. A later state (label bought,
shipped, ...) is one new enum member and one new row here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType


class OrderState(str, Enum):
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


class IllegalTransition(Exception):
    """A move the transition table does not allow."""

    def __init__(self, current: OrderState, new: OrderState):
        self.current = current
        self.new = new
        message = f"an order cannot move from {current.value} to {new.value}"
        if is_terminal(current):
            message += f": {current.value} is final"
        super().__init__(message)


def is_terminal(state: OrderState | str) -> bool:
    return not TRANSITIONS[OrderState(state)]


def can_transition(current: OrderState | str, new: OrderState | str) -> bool:
    return OrderState(new) in TRANSITIONS[OrderState(current)]


def transition(current: OrderState | str, new: OrderState | str) -> OrderState:
    """Return `new` as an OrderState if the table allows the move, else raise IllegalTransition.

    States may be given as enum members or their stored string values; an unknown value
    raises ValueError.
    """
    current, new = OrderState(current), OrderState(new)
    if new not in TRANSITIONS[current]:
        raise IllegalTransition(current, new)
    return new
