"""The shipment, notice, webhook delivery and batch state machines: values, tables, finals."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.fulfilment.states import (
    batches as batch_states,
)
from orderflow.fulfilment.states import (
    deliveries as delivery_states,
)
from orderflow.fulfilment.states import (
    notices as notice_states,
)
from orderflow.fulfilment.states import (
    orders as order_states,
)
from orderflow.fulfilment.states import (
    shipments as shipment_states,
)
from orderflow.fulfilment.states.batches import BatchOutcome, BatchState
from orderflow.fulfilment.states.deliveries import DeliveryStatus
from orderflow.fulfilment.states.machine import IllegalTransition, StateMachine
from orderflow.fulfilment.states.notices import NoticeState
from orderflow.fulfilment.states.shipments import ShipmentState

# (module, enum, table, the stored strings in declaration order, the final states)
MACHINES = {
    "shipment": (shipment_states, ShipmentState, shipment_states.TRANSITIONS,
                 ["planned", "rated", "bought", "fulfilled", "voided", "exception"], {"voided"}),
    "notice": (notice_states, NoticeState, notice_states.TRANSITIONS,
               ["pending", "sending", "sent", "skipped", "failed", "unconfirmed"],
               {"sent", "skipped", "failed", "unconfirmed"}),
    "delivery": (delivery_states, DeliveryStatus, delivery_states.TRANSITIONS,
                 ["pending", "queued", "done", "failed", "skipped"], {"done", "failed", "skipped"}),
    "batch": (batch_states, BatchState, batch_states.BATCH_TRANSITIONS,
              ["queued", "running", "done"], {"done"}),
    "order": (order_states, order_states.OrderState, order_states.TRANSITIONS,
              [s.value for s in order_states.OrderState], {"cancelled"}),
}
NAMES = sorted(MACHINES)


@pytest.mark.parametrize("name", NAMES)
def test_every_state_has_a_row_naming_only_its_own_states(name):
    _, states, table, _, _ = MACHINES[name]
    assert set(table) == set(states)
    assert all(isinstance(new, states) for moves in table.values() for new in moves)


@pytest.mark.parametrize("name", NAMES)
def test_values_are_the_stored_strings(name):
    _, states, _, stored, _ = MACHINES[name]
    assert [state.value for state in states] == stored
    assert all(state == state.value for state in states)


@pytest.mark.parametrize("name", NAMES)
def test_the_final_states_are_the_ones_without_moves(name):
    module, states, _, _, finals = MACHINES[name]
    assert {s.value for s in states if module.is_terminal(s)} == finals


@pytest.mark.parametrize("name", NAMES)
def test_every_state_is_reachable_from_the_first(name):
    _, states, table, _, _ = MACHINES[name]
    first = next(iter(states))
    seen, todo = {first}, [first]
    while todo:
        for new in table[todo.pop()]:
            if new not in seen:
                seen.add(new)
                todo.append(new)
    assert seen == set(states)


@pytest.mark.parametrize("name", NAMES)
def test_every_move_the_table_lists_is_allowed_and_no_other(name):
    module, states, table, _, _ = MACHINES[name]
    for current in states:
        for new in states:
            if new in table[current]:
                assert module.can_transition(current.value, new.value)
                assert module.transition(current, new) is new
            else:
                assert not module.can_transition(current, new)
                with pytest.raises(IllegalTransition):
                    module.transition(current.value, new.value)


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_state_is_a_value_error(name):
    module, states, _, _, _ = MACHINES[name]
    with pytest.raises(ValueError):
        module.transition("shipped_by_owl", next(iter(states)))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_no_path_leaves_a_final_state(name, data):
    module, states, _, _, finals = MACHINES[name]
    state = data.draw(st.sampled_from(list(states)))
    for step in data.draw(st.lists(st.sampled_from(list(states)), max_size=30)):
        was_final = state.value in finals
        if module.can_transition(state, step):
            state = module.transition(state, step)
        else:
            with pytest.raises(IllegalTransition):
                module.transition(state, step)
        if was_final:
            assert state.value in finals and not module.can_transition(state, step)


def test_the_error_names_the_thing_and_both_states():
    with pytest.raises(IllegalTransition) as raised:
        shipment_states.transition("voided", "bought")
    assert (raised.value.current, raised.value.new) == (ShipmentState.VOIDED, ShipmentState.BOUGHT)
    assert str(raised.value) == "a shipment cannot move from voided to bought: voided is final"
    with pytest.raises(IllegalTransition, match="^a notice cannot move from pending to sent$"):
        notice_states.transition("pending", "sent")


def test_a_machine_without_a_row_for_a_state_is_refused():
    with pytest.raises(ValueError, match="no row for"):
        StateMachine("a shipment", ShipmentState, {ShipmentState.PLANNED: frozenset()})


def test_a_shipment_walks_planned_rated_bought_fulfilled_and_may_be_voided_from_each():
    walk = [ShipmentState.PLANNED, ShipmentState.RATED, ShipmentState.BOUGHT,
            ShipmentState.FULFILLED]
    for current, new in pairwise(walk):
        assert shipment_states.can_transition(current, new)
        assert not shipment_states.can_transition(new, current)
    for state in [*walk, ShipmentState.EXCEPTION]:
        assert shipment_states.can_transition(state, ShipmentState.VOIDED)
    assert shipment_states.TRANSITIONS[ShipmentState.EXCEPTION] == {ShipmentState.VOIDED}


def test_the_shipment_groups_agree_with_the_table():
    assert set(shipment_states.NOT_BOUGHT) | set(shipment_states.LABELLED) == (
        set(ShipmentState) - {ShipmentState.VOIDED})
    assert not set(shipment_states.NOT_BOUGHT) & set(shipment_states.LABELLED)
    assert ShipmentState.FULFILLED not in shipment_states.UNFINISHED
    assert set(shipment_states.NOT_LIVE) == {ShipmentState.VOIDED, ShipmentState.EXCEPTION}


def test_a_notice_is_claimed_before_it_is_told_and_told_once():
    assert not notice_states.can_transition("pending", "sent")
    assert notice_states.can_transition("pending", "sending")
    assert notice_states.can_transition("sending", "sending")  # a retry claims it again
    assert notice_states.can_transition("sending", "pending")  # certainly not sent: later
    assert set(notice_states.DONE) == {s for s in NoticeState if notice_states.is_terminal(s)}
    assert NoticeState.UNCONFIRMED not in notice_states.TOLD_OR_TELLING


def test_a_delivery_goes_back_to_pending_only_from_queued_and_finishes_once():
    assert delivery_states.can_transition("queued", "pending")
    for status in delivery_states.UNFINISHED:
        for done in delivery_states.FINISHED:
            assert delivery_states.can_transition(status, done)
    assert set(delivery_states.FINISHED) | set(delivery_states.UNFINISHED) == set(DeliveryStatus)
    assert all(delivery_states.is_terminal(s) for s in delivery_states.FINISHED)


def test_a_batch_runs_again_after_a_killed_run_and_ends_once():
    assert batch_states.transition("queued", "running") is BatchState.RUNNING
    assert batch_states.can_transition("running", "running")
    assert batch_states.can_transition("queued", "done")  # its job failed for good before it ran
    assert not batch_states.can_transition("done", "running")
    assert batch_states.is_terminal("done")


@pytest.mark.parametrize("outcome", list(BatchOutcome))
def test_an_order_of_a_batch_without_a_mark_may_get_any(outcome):
    assert batch_states.can_mark(None, outcome)
    assert batch_states.mark(None, outcome.value) is outcome
    assert batch_states.can_mark(BatchOutcome.BUYING, outcome)


@given(st.lists(st.sampled_from(list(BatchOutcome)), min_size=1, max_size=12))
def test_an_order_outcome_once_final_never_changes(marks):
    current = None
    for new in marks:
        if batch_states.can_mark(current, new):
            current = batch_states.mark(current, new)
        else:
            assert batch_states.is_final_outcome(current)
            with pytest.raises(IllegalTransition):
                batch_states.mark(current, new)
    final = [m for m in marks if m is not BatchOutcome.BUYING]
    if final:
        assert current is final[0]
    assert not batch_states.is_final_outcome(None)
    assert not batch_states.is_final_outcome("buying")
