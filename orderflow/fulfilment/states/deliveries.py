"""The webhook delivery state machine: the outbox row behind every recorded webhook.

pending (recorded) -> queued (its job enqueued) -> done | failed | skipped. A queued row whose
job is gone goes back to pending; a row is finished once, whichever state it was in. Values are
the strings stored in `webhook_deliveries.status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from .machine import IllegalTransition, StateMachine

__all__ = [
    "FINISHED", "TRANSITIONS", "UNFINISHED", "DeliveryStatus", "IllegalTransition",
    "can_transition", "is_terminal", "transition",
]


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # not processed, and why (the shop uninstalled, data redacted)


_FINISHES = frozenset({DeliveryStatus.DONE, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED})

TRANSITIONS: Mapping[DeliveryStatus, frozenset[DeliveryStatus]] = MappingProxyType(
    {
        DeliveryStatus.PENDING: _FINISHES | {DeliveryStatus.QUEUED},
        DeliveryStatus.QUEUED: _FINISHES | {DeliveryStatus.PENDING},
        DeliveryStatus.DONE: frozenset(),
        DeliveryStatus.FAILED: frozenset(),
        DeliveryStatus.SKIPPED: frozenset(),
    }
)

FINISHED = (DeliveryStatus.DONE, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)
# The rows the partial index ix_delivery_unfinished holds (db/models.py).
UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.QUEUED)

_MACHINE = StateMachine("a webhook delivery", DeliveryStatus, TRANSITIONS)

is_terminal = _MACHINE.is_terminal
can_transition = _MACHINE.can_transition
transition = _MACHINE.transition
