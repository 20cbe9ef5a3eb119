"""The tracking page's view model, from plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from orderflow.fulfilment.tracking_view import (
    ParcelFacts,
    ShipmentFacts,
    day_text,
    moment_text,
    parse_moment,
    place_text,
    tracking_page,
)

PROMISE = date(2026, 3, 6)


def event(status: str, at: str, message: str = "", city: str = "", state: str = "") -> dict:
    return {"status": status, "message": message, "at": at, "city": city, "state": state,
            "country": "US", "zip": "11201"}


def parcel(status: str | None = "in_transit", code: str = "94001", **extra) -> ParcelFacts:
    fields = {"carrier": "USPS", "tracking_code": code, "tracking_url": f"https://track/{code}",
              "status": status, **extra}
    return ParcelFacts(**fields)


def shipment(*parcels: ParcelFacts, status: str | None = None, **extra) -> ShipmentFacts:
    fields = {"status": status, "promised": PROMISE, "delivered_at": None, "proof": None,
              "parcels": parcels, **extra}
    return ShipmentFacts(**fields)


@pytest.mark.parametrize("status, headline", [
    ("label_created", "Label created: waiting for the carrier"),
    ("in_transit", "On its way"),
    ("out_for_delivery", "Out for delivery"),
    ("ready_for_pickup", "Ready for pickup"),
    ("delivered", "Delivered"),
    ("failed", "There is a problem with the delivery"),
    ("returning", "There is a problem with the delivery"),
    ("cancelled", "This shipment was cancelled"),
    ("unknown", "Waiting for tracking updates"),
    ("error", "Waiting for tracking updates"),
])
def test_each_status_has_a_headline_a_customer_understands(status, headline):
    page = tracking_page(shipment(parcel(status), status=status))
    assert page.headline == headline
    assert page.detail
    assert page.problem == (status in ("failed", "returning", "cancelled"))


def test_without_a_shipment_status_the_least_advanced_parcel_speaks():
    page = tracking_page(shipment(parcel("delivered", "A"), parcel("in_transit", "B")))
    assert page.headline == "On its way"
    assert "1 of 2 parcels have been delivered" in page.detail


def test_a_problem_with_any_parcel_is_the_shipments_problem():
    page = tracking_page(shipment(parcel("delivered", "A"), parcel("returning", "B")))
    assert page.status == "returning" and page.problem


def test_a_fulfilled_shipment_without_any_scan_has_its_label_created():
    assert tracking_page(shipment(parcel(None))).status == "label_created"


def test_a_voided_shipment_or_one_without_live_parcels_is_cancelled():
    assert tracking_page(shipment(parcel(), voided=True)).status == "cancelled"
    assert tracking_page(shipment(parcel(voided=True))).status == "cancelled"


def states(page) -> list[tuple[str, str]]:
    return [(step.name, step.state) for step in page.progress]


def test_progress_marks_the_steps_done_and_the_current_one():
    assert states(tracking_page(shipment(parcel(), status="in_transit"))) == [
        ("Label created", "done"), ("On its way", "current"),
        ("Out for delivery", "todo"), ("Delivered", "todo")]


def test_delivered_completes_every_step():
    page = tracking_page(shipment(parcel("delivered"), status="delivered"))
    assert [state for _, state in states(page)] == ["done"] * 4


def test_ready_for_pickup_takes_the_place_of_out_for_delivery():
    page = tracking_page(shipment(parcel("ready_for_pickup"), status="ready_for_pickup"))
    assert states(page)[2] == ("Ready for pickup", "current")


def test_after_a_problem_progress_stops_where_the_parcel_got_to_with_nothing_current():
    events = (event("label_created", "2026-03-01T10:00:00Z"),
              event("in_transit", "2026-03-02T10:00:00Z"), event("failed", "2026-03-03T10:00:00Z"))
    page = tracking_page(shipment(parcel("failed", events=events), status="failed"))
    assert [state for _, state in states(page)] == ["done", "done", "todo", "todo"]


def test_timeline_merges_every_parcel_newest_first_with_the_place():
    a = parcel("in_transit", "A", events=(
        event("label_created", "2026-03-01T09:00:00Z", "Label created"),
        event("in_transit", "2026-03-02T18:30:00Z", "Departed facility", "NEWARK", "NJ")))
    b = parcel("in_transit", "B", events=(
        event("in_transit", "2026-03-02T08:00:00-05:00", "Arrived at facility", "New York", "NY"),))
    page = tracking_page(shipment(a, b))
    assert [(e.message, e.place, e.parcel) for e in page.timeline] == [
        ("Departed facility", "Newark, NJ, US", "Parcel 1 (A)"),
        ("Arrived at facility", "New York, NY, US", "Parcel 2 (B)"),
        ("Label created", "US", "Parcel 1 (A)"),
    ]
    assert page.timeline[0].when == "Mon 2 Mar, 18:30"


def test_one_parcel_needs_no_parcel_name_and_events_without_a_time_go_last():
    events = (event("in_transit", "", "Accepted"),
              event("in_transit", "2026-03-02T08:00:00Z", "Moving"))
    page = tracking_page(shipment(parcel(events=events)))
    assert [(e.message, e.parcel, e.when) for e in page.timeline] == [
        ("Moving", None, "Mon 2 Mar, 08:00"), ("Accepted", None, "")]


def test_events_at_the_same_moment_stay_in_the_carriers_order_newest_first():
    events = (event("in_transit", "2026-03-02T08:00:00Z", "first"),
              event("in_transit", "2026-03-02T08:00:00Z", "second"))
    page = tracking_page(shipment(parcel(events=events)))
    assert [e.message for e in page.timeline] == ["second", "first"]


def test_estimated_delivery_is_the_latest_carrier_estimate_of_parcels_still_moving():
    page = tracking_page(shipment(
        parcel(estimate=datetime(2026, 3, 4, tzinfo=UTC)),
        parcel(code="B", estimate=datetime(2026, 3, 5, tzinfo=UTC)),
        parcel("delivered", "C", estimate=datetime(2026, 3, 9, tzinfo=UTC))))
    assert page.estimated_delivery == date(2026, 3, 5)
    assert page.estimated_text == "Thursday 5 March"


def test_estimated_delivery_falls_back_to_the_promise_made_at_purchase():
    assert tracking_page(shipment(parcel())).estimated_delivery == PROMISE


@pytest.mark.parametrize("status", ["delivered", "failed", "returning", "cancelled"])
def test_no_estimate_once_delivered_or_in_trouble(status):
    assert tracking_page(shipment(parcel(status), status=status)).estimated_delivery is None


def test_delivered_shows_when_where_and_who_signed():
    proof = {"at": "2026-03-05T14:05:00-05:00", "where": "BROOKLYN, NY", "signed_by": "J SMITH",
             "message": "Delivered, Left with Individual", "parcels": []}
    page = tracking_page(shipment(parcel("delivered"), status="delivered", proof=proof))
    delivery = page.delivery
    assert (delivery.when, delivery.where, delivery.signed_by, delivery.message) == (
        "Thu 5 Mar, 14:05", "BROOKLYN, NY", "J SMITH", "Delivered, Left with Individual")


def test_delivered_without_proof_says_when_it_was_delivered():
    at = datetime(2026, 3, 5, 12, tzinfo=UTC)
    page = tracking_page(shipment(parcel("delivered"), status="delivered", delivered_at=at))
    delivery = page.delivery
    assert (delivery.when, delivery.where, delivery.signed_by) == ("Thu 5 Mar, 12:00", "", "")


def test_not_delivered_shows_no_delivery():
    assert tracking_page(shipment(parcel(), proof={"where": "X"})).delivery is None


def test_items_of_all_parcels_together_by_the_title_the_customer_knows():
    page = tracking_page(shipment(parcel(items=(("TEE-M", 2), ("Mug", 1))),
                                  parcel(code="B", items=(("TEE-M", 1),))),
                         titles={"TEE-M": "Classic tee, medium"})
    assert page.items == (("Classic tee, medium", 3), ("Mug", 1))


def test_voided_parcels_are_not_shown():
    voided = parcel(code="VOID", items=(("Mug", 5),), voided=True,
                    events=(event("in_transit", "2026-03-02T08:00:00Z", "x"),))
    page = tracking_page(shipment(parcel(code="LIVE", items=(("Mug", 1),)), voided))
    assert [p.tracking_code for p in page.parcels] == ["LIVE"]
    assert page.items == (("Mug", 1),) and page.timeline == ()


def test_parcels_carry_carrier_number_link_and_their_own_headline():
    (line,) = tracking_page(shipment(parcel("out_for_delivery", "Z1"))).parcels
    assert (line.carrier, line.tracking_code, line.tracking_url, line.headline) == (
        "USPS", "Z1", "https://track/Z1", "Out for delivery")


def test_place_and_time_text():
    assert place_text({"city": "BROOKLYN", "state": "NY", "country": None}) == "Brooklyn, NY"
    assert place_text({"city": "McAllen", "state": "TX"}) == "McAllen, TX"
    assert place_text({}) == ""
    assert parse_moment("not a time") is None and parse_moment(None) is None
    assert parse_moment("2026-03-02T08:00:00") == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert moment_text(datetime(2026, 3, 2, 8, 5, tzinfo=UTC)) == "Mon 2 Mar, 08:05"
    assert day_text(date(2026, 3, 2)) == "Monday 2 March"
