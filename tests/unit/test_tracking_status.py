"""A shipment's tracking status from its parcels', and the history kept from every update."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from orderflow.fulfilment import tracking as tk
from orderflow.fulfilment.tracking_status import TrackingStatus, rank
from orderflow.fulfilment.types import TrackingEvent

STATUSES = [s.value for s in TrackingStatus]


def event(status: str, day: int, message: str = "scan") -> TrackingEvent:
    return TrackingEvent(status=status, message=message,
                         at=datetime(2026, 11, day, 9, tzinfo=UTC), city="DALLAS", state="TX")


def test_the_least_advanced_parcel_speaks_for_the_shipment():
    assert tk.shipment_status(["delivered", "in_transit"]) == "in_transit"
    assert tk.shipment_status(["delivered", "delivered"]) == "delivered"
    assert tk.shipment_status(["delivered", None]) == "label_created"


def test_a_problem_of_any_parcel_speaks_for_the_shipment():
    assert tk.shipment_status(["delivered", "failed"]) == "failed"
    assert tk.shipment_status(["returning", "out_for_delivery"]) == "returning"


def test_unknown_news_never_moves_a_parcel_and_nothing_moves_back():
    assert not tk.advances("in_transit", "unknown")
    assert not tk.advances("delivered", "in_transit")
    assert not tk.advances("in_transit", "in_transit")
    assert tk.advances(None, "label_created") and tk.advances("failed", "delivered")


@given(st.lists(st.sampled_from(STATUSES), max_size=12))
def test_applying_news_in_any_order_never_lowers_the_rank(updates):
    current = None
    for status in updates:
        before = rank(current) if current else 0
        if tk.advances(current, status):
            current = status
        assert (rank(current) if current else 0) >= before


def test_merging_keeps_every_event_once_oldest_first_whatever_the_order():
    a, b, c = event("in_transit", 2), event("out_for_delivery", 3), event("delivered", 4)
    held = tk.merge_events([], [c, a])
    merged = tk.merge_events(held, [b, a])
    assert [e["status"] for e in merged] == ["in_transit", "out_for_delivery", "delivered"]
    assert tk.merge_events(merged, [a, b, c]) == merged


def test_what_each_status_tells_whom():
    assert tk.customer_email_kind("out_for_delivery") == "out_for_delivery"
    assert tk.customer_email_kind("in_transit") is None
    assert tk.customer_email_kind("returning") == "problem"
    assert tk.alert_kind("failed") == "failed" and tk.alert_kind("delivered") is None
    assert tk.shopify_event("label_created") is None
    assert tk.shopify_event("returning") == "FAILURE"
    assert tk.shopify_event_rank("DELIVERED") > tk.shopify_event_rank("IN_TRANSIT")


def test_the_timeline_line_says_what_and_where():
    e = tk.event_json(event("out_for_delivery", 3, "Out for Delivery"))
    assert tk.news("out_for_delivery", e) == "Out for delivery: Out for Delivery (DALLAS, TX)"
    assert tk.news("in_transit", None) == "In transit"


def test_an_email_the_parcel_has_outrun_is_old_news():
    assert tk.email_superseded("out_for_delivery", "delivered")
    assert tk.email_superseded("out_for_delivery", "failed")
    assert not tk.email_superseded("out_for_delivery", "out_for_delivery")
    assert tk.email_superseded("problem", "delivered")
    assert not tk.email_superseded("problem", "returning")
    assert not tk.email_superseded("shipped", "delivered")
    assert not tk.email_superseded("delivered", "delivered")
