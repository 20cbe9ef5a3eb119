"""The shipment state machine: planned, rated, bought, fulfilled, or voided / exception.

A shipment is what one Shopify fulfilment will carry. Values are the strings stored in
`shipments.state`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from .machine import IllegalTransition, StateMachine

__all__ = [
    "LABELLED", "NOT_BOUGHT", "NOT_LIVE", "TRANSITIONS", "UNFINISHED", "IllegalTransition",
    "ShipmentState", "can_transition", "is_terminal", "transition",
]


class ShipmentState(StrEnum):
    PLANNED = "planned"  # packed; its carrier shipments created in the same transaction
    RATED = "rated"  # a rate chosen for every parcel; labels not all bought yet
    BOUGHT = "bought"  # every parcel has its label; Shopify not yet told
    FULFILLED = "fulfilled"  # Shopify has the fulfilment with tracking
    VOIDED = "voided"  # labels refunded, or quotes dropped: no longer part of the order
    EXCEPTION = "exception"  # no rate to buy, or a step failed for good before the labels


TRANSITIONS: Mapping[ShipmentState, frozenset[ShipmentState]] = MappingProxyType(
    {
        ShipmentState.PLANNED: frozenset(
            {ShipmentState.RATED, ShipmentState.EXCEPTION, ShipmentState.VOIDED}),
        ShipmentState.RATED: frozenset(
            {ShipmentState.BOUGHT, ShipmentState.EXCEPTION, ShipmentState.VOIDED}),
        ShipmentState.BOUGHT: frozenset({ShipmentState.FULFILLED, ShipmentState.VOIDED}),
        ShipmentState.FULFILLED: frozenset({ShipmentState.VOIDED}),
        # Its parcels may hold bought labels (one bought, the next failed): voiding refunds them.
        ShipmentState.EXCEPTION: frozenset({ShipmentState.VOIDED}),
        ShipmentState.VOIDED: frozenset(),
    }
)

# Under way: an order's fulfilment order with one of these is not planned again (a fulfilled
# shipment leaves room for more).
UNFINISHED = (ShipmentState.PLANNED, ShipmentState.RATED, ShipmentState.BOUGHT)
# Only quotes: dropped when the order is rated again or its shipping cancelled.
NOT_BOUGHT = (ShipmentState.PLANNED, ShipmentState.RATED, ShipmentState.EXCEPTION)
# Its labels are live: void them before buying others.
LABELLED = (ShipmentState.BOUGHT, ShipmentState.FULFILLED)
# No longer carrying any of the order (tuples: SQL's IN takes them as they are).
NOT_LIVE = (ShipmentState.VOIDED, ShipmentState.EXCEPTION)

_MACHINE = StateMachine("a shipment", ShipmentState, TRANSITIONS)

is_terminal = _MACHINE.is_terminal
can_transition = _MACHINE.can_transition
transition = _MACHINE.transition
