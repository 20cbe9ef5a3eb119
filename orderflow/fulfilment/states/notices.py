"""The notice state machine: a notice is told at most once, and says how that went.

A notice (a Shopify fulfilment event, a customer email, a merchant alert) is claimed
("sending", committed) before it is told, so a retry that finds it claimed never tells twice.
Values are the strings stored in `notices.state`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from .machine import IllegalTransition, StateMachine

__all__ = [
    "DONE", "TOLD_OR_TELLING", "TRANSITIONS", "IllegalTransition", "NoticeState",
    "can_transition", "is_terminal", "transition",
]


class NoticeState(StrEnum):
    PENDING = "pending"  # to be told; its job may be lost (the clock enqueues it again)
    SENDING = "sending"  # claimed by a run; one that never finished stays visible
    SENT = "sent"
    SKIPPED = "skipped"  # not told, and why (turned off, unsubscribed, old news)
    FAILED = "failed"  # could not be told, and why
    UNCONFIRMED = "unconfirmed"  # an email that may have gone out: never sent again


TRANSITIONS: Mapping[NoticeState, frozenset[NoticeState]] = MappingProxyType(
    {
        NoticeState.PENDING: frozenset(
            {NoticeState.SENDING, NoticeState.SKIPPED, NoticeState.FAILED}),
        # A retry claims it again; a mail server that certainly did not take it makes it
        # pending again.
        NoticeState.SENDING: frozenset(
            {NoticeState.SENDING, NoticeState.PENDING, NoticeState.SENT, NoticeState.SKIPPED,
             NoticeState.FAILED, NoticeState.UNCONFIRMED}),
        NoticeState.SENT: frozenset(),
        NoticeState.SKIPPED: frozenset(),
        NoticeState.FAILED: frozenset(),
        NoticeState.UNCONFIRMED: frozenset(),
    }
)

# Nothing more to do for it.
DONE = (NoticeState.SENT, NoticeState.SKIPPED, NoticeState.FAILED, NoticeState.UNCONFIRMED)
# Told, or about to be: a later Shopify event among these supersedes an earlier one.
TOLD_OR_TELLING = (NoticeState.PENDING, NoticeState.SENDING, NoticeState.SENT)

_MACHINE = StateMachine("a notice", NoticeState, TRANSITIONS)

is_terminal = _MACHINE.is_terminal
can_transition = _MACHINE.can_transition
transition = _MACHINE.transition
