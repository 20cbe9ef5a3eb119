"""What the order table decides for a failure after shipping, and what counts as old news."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.fulfilment.states.orders import (
    SHIPPING_WALK,
    OrderState,
    can_transition,
    reached,
    transition,
)

BEFORE_SHOPIFY_HAS_IT = [
    OrderState.RECEIVED, OrderState.READY, OrderState.ON_HOLD, OrderState.NOTHING_TO_SHIP,
    OrderState.EXCEPTION, OrderState.LABEL_BOUGHT,
]
SHIPPED = [OrderState.FULFILLED, OrderState.IN_TRANSIT, OrderState.DELIVERED]


@pytest.mark.parametrize("state", BEFORE_SHOPIFY_HAS_IT)
def test_a_job_failing_for_good_before_shopify_has_the_fulfilment_is_an_exception(state):
    assert transition(state, OrderState.EXCEPTION) is OrderState.EXCEPTION


@pytest.mark.parametrize("state", [*SHIPPED, OrderState.CANCELLED])
def test_a_shipped_or_cancelled_order_never_becomes_an_exception(state):
    assert not can_transition(state, OrderState.EXCEPTION)
    assert not reached(state, OrderState.EXCEPTION)  # a refusal worth telling, not old news


def test_a_step_the_order_is_at_or_past_is_old_news():
    for i, current in enumerate(SHIPPING_WALK):
        for new in SHIPPING_WALK[: i + 1]:
            assert reached(current, new)
        for new in SHIPPING_WALK[i + 1:]:
            assert not reached(current, new)
    assert reached(OrderState.CANCELLED, OrderState.CANCELLED)


def test_a_step_the_order_never_took_is_not_old_news():
    assert not reached(OrderState.CANCELLED, OrderState.LABEL_BOUGHT)
    assert not reached(OrderState.READY, OrderState.IN_TRANSIT)
    assert not reached(OrderState.ON_HOLD, OrderState.LABEL_BOUGHT)


def test_every_forward_step_of_the_walk_is_in_the_table_or_skipped_legally():
    assert can_transition(OrderState.READY, OrderState.LABEL_BOUGHT)
    assert can_transition(OrderState.LABEL_BOUGHT, OrderState.FULFILLED)
    assert can_transition(OrderState.FULFILLED, OrderState.IN_TRANSIT)
    assert can_transition(OrderState.FULFILLED, OrderState.DELIVERED)
    assert can_transition(OrderState.IN_TRANSIT, OrderState.DELIVERED)


@given(st.sampled_from(SHIPPED), st.lists(st.sampled_from(list(OrderState)), max_size=20))
def test_a_shipped_order_offered_anything_is_never_an_exception(start, offers):
    state = start
    for offer in offers:
        if can_transition(state, offer):
            state = transition(state, offer)
        if state is OrderState.READY:
            return  # more to ship: a new walk begins, where an exception is possible again
        assert state in SHIPPED or state is OrderState.CANCELLED
