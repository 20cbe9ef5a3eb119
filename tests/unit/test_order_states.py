import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.fulfilment.states.orders import (
    TRANSITIONS,
    IllegalTransition,
    OrderState,
    can_transition,
    is_terminal,
    transition,
)

states = st.sampled_from(list(OrderState))
REVALIDATION = [
    OrderState.RECEIVED,
    OrderState.READY,
    OrderState.ON_HOLD,
    OrderState.NOTHING_TO_SHIP,
    OrderState.EXCEPTION,
]


def test_every_state_has_a_row():
    assert set(TRANSITIONS) == set(OrderState)


def test_values_are_the_stored_strings():
    assert [state.value for state in OrderState] == [
        "received",
        "ready",
        "on_hold",
        "nothing_to_ship",
        "cancelled",
        "exception",
        "label_bought",
        "fulfilled",
        "in_transit",
        "delivered",
    ]


@pytest.mark.parametrize("current", REVALIDATION)
@pytest.mark.parametrize("new", REVALIDATION)
def test_revalidation_moves_freely_among_the_non_terminal_states(current, new):
    assert transition(current, new) is new


@pytest.mark.parametrize("current", REVALIDATION)
def test_any_non_terminal_state_may_be_cancelled(current):
    assert transition(current, OrderState.CANCELLED) is OrderState.CANCELLED


@pytest.mark.parametrize("new", list(OrderState))
def test_a_cancelled_order_goes_nowhere(new):
    with pytest.raises(IllegalTransition, match="from cancelled to .*cancelled is final"):
        transition(OrderState.CANCELLED, new)


def test_only_cancelled_is_terminal():
    assert [state for state in OrderState if is_terminal(state)] == [OrderState.CANCELLED]


def test_string_values_are_accepted():
    assert transition("on_hold", "ready") is OrderState.READY
    assert can_transition("ready", "cancelled")


def test_an_unknown_state_is_a_value_error():
    with pytest.raises(ValueError):
        transition("shipped", "ready")


def test_the_error_names_both_states():
    with pytest.raises(IllegalTransition) as raised:
        transition(OrderState.CANCELLED, OrderState.READY)

    assert (raised.value.current, raised.value.new) == (OrderState.CANCELLED, OrderState.READY)
    assert str(raised.value) == "an order cannot move from cancelled to ready: cancelled is final"


@given(states, states)
def test_transition_agrees_with_the_table(current, new):
    if new in TRANSITIONS[current]:
        assert transition(current, new) is new
    else:
        with pytest.raises(IllegalTransition):
            transition(current, new)


@given(st.lists(states, max_size=30))
def test_random_walks_never_leave_cancelled(steps):
    state = OrderState.RECEIVED
    for step in steps:
        if can_transition(state, step):
            state = transition(state, step)
        else:
            with pytest.raises(IllegalTransition):
                transition(state, step)
        if step is OrderState.CANCELLED:
            assert state is OrderState.CANCELLED
    if OrderState.CANCELLED in steps:
        assert state is OrderState.CANCELLED


def test_shipping_states_are_not_revalidated_away():
    """An edit in Shopify must not pull a bought label's order back to ready or on hold."""
    for shipped in (OrderState.LABEL_BOUGHT, OrderState.FULFILLED):
        assert not can_transition(shipped, OrderState.ON_HOLD)
        assert can_transition(shipped, OrderState.CANCELLED)
