"""One transition table per kind of thing with a state, and the rule that enforces it.

Each state module (order_states, shipment_states, ...) declares its enum and its table, and
exposes `is_terminal`, `can_transition` and `transition` from a `StateMachine` over them. States
may be given as enum members or as their stored strings; an unknown value raises ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Generic, TypeVar

S = TypeVar("S", bound=Enum)


class IllegalTransition(Exception):
    """A move the transition table does not allow."""

    def __init__(self, what: str, current: Enum, new: Enum, final: bool):
        self.current = current
        self.new = new
        message = f"{what} cannot move from {current.value} to {new.value}"
        if final:
            message += f": {current.value} is final"
        super().__init__(message)


class StateMachine(Generic[S]):
    """`what` names the thing in messages ("an order"); `table` maps each state to its moves."""

    def __init__(self, what: str, states: type[S], table: Mapping[S, frozenset[S]]):
        missing = set(states) - set(table)
        if missing:
            raise ValueError(f"no row for {sorted(s.value for s in missing)}")
        self.what, self.states, self.table = what, states, table

    def is_terminal(self, state: S | str) -> bool:
        return not self.table[self.states(state)]

    def can_transition(self, current: S | str, new: S | str) -> bool:
        return self.states(new) in self.table[self.states(current)]

    def transition(self, current: S | str, new: S | str) -> S:
        """`new` as a member if the table allows the move, else raise IllegalTransition."""
        current, new = self.states(current), self.states(new)
        if new not in self.table[current]:
            raise IllegalTransition(self.what, current, new, self.is_terminal(current))
        return new
