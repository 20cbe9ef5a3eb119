"""The label batch state machines: the batch itself, and each of its orders' outcome.

A batch is queued, then running (a run after a killed one takes it over), then done. Each order
in it is marked buying while its label is bought, then ends bought, failed or skipped; an order
without a mark yet may get any of them. Values are the strings stored in `batches.state` and in
the `state` of each entry of `batches.results`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from .machine import IllegalTransition, StateMachine

__all__ = [
    "BATCH_TRANSITIONS", "OUTCOME_TRANSITIONS", "BatchOutcome", "BatchState",
    "IllegalTransition", "can_mark", "can_transition", "is_final_outcome", "is_terminal", "mark",
    "transition",
]


class BatchState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class BatchOutcome(StrEnum):
    BUYING = "buying"  # its label is being bought by this batch: not an outcome yet
    BOUGHT = "bought"
    FAILED = "failed"
    SKIPPED = "skipped"  # not bought, and why (cancelled, on hold, bought already)


BATCH_TRANSITIONS: Mapping[BatchState, frozenset[BatchState]] = MappingProxyType(
    {
        # A batch whose job failed for good before its first step ran ends without running.
        BatchState.QUEUED: frozenset({BatchState.RUNNING, BatchState.DONE}),
        BatchState.RUNNING: frozenset({BatchState.RUNNING, BatchState.DONE}),
        BatchState.DONE: frozenset(),
    }
)

OUTCOME_TRANSITIONS: Mapping[BatchOutcome, frozenset[BatchOutcome]] = MappingProxyType(
    {
        BatchOutcome.BUYING: frozenset(BatchOutcome),  # a later run marks it buying again
        BatchOutcome.BOUGHT: frozenset(),
        BatchOutcome.FAILED: frozenset(),
        BatchOutcome.SKIPPED: frozenset(),
    }
)

_BATCH = StateMachine("a batch", BatchState, BATCH_TRANSITIONS)
_OUTCOME = StateMachine("a batch's order", BatchOutcome, OUTCOME_TRANSITIONS)

is_terminal = _BATCH.is_terminal
can_transition = _BATCH.can_transition
transition = _BATCH.transition


def is_final_outcome(outcome: BatchOutcome | str | None) -> bool:
    """None: the order has no mark yet."""
    return outcome is not None and _OUTCOME.is_terminal(outcome)


def can_mark(current: BatchOutcome | str | None, new: BatchOutcome | str) -> bool:
    return current is None or _OUTCOME.can_transition(current, new)


def mark(current: BatchOutcome | str | None, new: BatchOutcome | str) -> BatchOutcome:
    """`new` if an order marked `current` (None: no mark yet) may get it, else raise."""
    if current is None:
        return BatchOutcome(new)
    return _OUTCOME.transition(current, new)
