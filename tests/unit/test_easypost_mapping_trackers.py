"""The EasyPost adapter on recorded real responses: trackers, the status vocabularies, and
webhook signatures. No network."""

from datetime import UTC, datetime

import pytest

from orderflow.fulfilment.carrier_names import shopify_company, tracking_url
from orderflow.fulfilment.tracking_status import (
    TrackingStatus,
    moves_forward,
    rank,
    shopify_event_status,
)
from orderflow.integrations.easypost.client import validate_webhook
from orderflow.integrations.easypost.errors import CarrierResponseError, WebhookSignatureError
from orderflow.integrations.easypost.mapping import tracker_from_easypost
from orderflow.integrations.easypost.statuses import status_from_easypost

from .easypost_recordings import OFFICIAL, official, recorded

# Trackers and statuses


def test_recorded_tracker_maps_to_label_created():
    _, body = recorded("test_tracker_retrieve.yaml", 1)
    tracker = tracker_from_easypost(body)
    assert tracker.id == "trk_e7e8f143f3eb40d38be9562e3767c36a"
    assert (tracker.tracking_code, tracker.carrier) == ("EZ1000000001", "USPS")
    assert tracker.status == TrackingStatus.LABEL_CREATED == "label_created"
    assert shopify_event_status(tracker.status) == "LABEL_PURCHASED"
    assert tracker.est_delivery_date == datetime(2025, 3, 6, 19, 48, 26, tzinfo=UTC)
    last = tracker.events[-1]
    assert (last.message, last.city, last.state, last.zip) == (
        "Shipping Label Created", "HOUSTON", "TX", "77063",
    )
    assert last.at == datetime(2025, 2, 7, 8, 25, 26, tzinfo=UTC)


def test_webhook_event_tracker_in_transit():
    tracker = tracker_from_easypost(official("tracker.updated__easypost-examples_event-body.json"))
    assert (tracker.carrier, tracker.status) == ("FedEx", "in_transit")
    assert shopify_event_status(tracker.status) == "IN_TRANSIT"
    assert tracker.est_delivery_date == datetime(2024, 8, 5, tzinfo=UTC)
    assert len(tracker.events) == 7 and tracker.events[0].status == "label_created"
    assert tracker.events[-1].city == "EDISON"


def test_delivered_tracker_keeps_signer_and_carrier_order_of_events():
    event = official("tracker.updated__easypost-examples_tracking-guide.json")
    tracker = tracker_from_easypost(event)
    assert (tracker.carrier, tracker.status) == ("UPS", "delivered")
    assert tracker.signed_by == "John Tester"
    assert shopify_event_status(tracker.status) == "DELIVERED"
    assert [e.status for e in tracker.events][-2:] == ["out_for_delivery", "delivered"]


def test_official_tracker_and_created_tracker():
    tracker = tracker_from_easypost(official("tracker__easypost-examples_trackers-create.json"))
    assert tracker.status == "label_created" and tracker.carrier == "USPS"
    _, body = recorded("test_tracker_create.yaml")
    assert tracker_from_easypost(body).tracking_code == "EZ1000000001"


@pytest.mark.parametrize(
    "name",
    [
        "tracker.updated__easypost-examples_webhooks-guide-event-example.json",
        "tracker.created__easypost-examples_events-retrieve.json",
    ],
)
def test_event_without_result_is_unusable(name):
    with pytest.raises(CarrierResponseError):
        tracker_from_easypost(official(name))


@pytest.mark.parametrize(
    ("easypost_status", "ours", "shopify"),
    [
        ("unknown", "unknown", None),
        ("pre_transit", "label_created", "LABEL_PURCHASED"),
        ("in_transit", "in_transit", "IN_TRANSIT"),
        ("out_for_delivery", "out_for_delivery", "OUT_FOR_DELIVERY"),
        ("available_for_pickup", "ready_for_pickup", "READY_FOR_PICKUP"),
        ("delivered", "delivered", "DELIVERED"),
        ("return_to_sender", "returning", "FAILURE"),
        ("failure", "failed", "FAILURE"),
        ("cancelled", "cancelled", None),
        ("error", "error", None),
        ("something_new", "unknown", None),
    ],
)
def test_status_vocabularies(easypost_status, ours, shopify):
    assert status_from_easypost(easypost_status) == ours
    assert shopify_event_status(ours) == shopify


def test_a_shipment_never_moves_backwards():
    assert rank("label_created") < rank("in_transit") < rank("out_for_delivery") < rank("delivered")
    assert moves_forward(None, "label_created")
    assert moves_forward("in_transit", "out_for_delivery")
    assert moves_forward("in_transit", "in_transit")
    assert not moves_forward("delivered", "in_transit")
    assert not moves_forward("in_transit", "unknown")


def test_shopify_companies_and_tracking_urls():
    assert shopify_company("USPS") == "USPS"
    assert shopify_company("FedEx") == "FedEx"
    assert shopify_company("DHLExpress") == "DHL Express"
    assert shopify_company("CanadaPost") == "Canada Post"
    assert shopify_company("NoSuchCarrier") is None
    assert tracking_url("USPS", "9400100208303109505657") == (
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400100208303109505657"
    )
    assert tracking_url("NoSuchCarrier", "X1", fallback="https://track.easypost.com/x") == (
        "https://track.easypost.com/x"
    )


# Webhooks


def _signed_event():
    vector = official("webhook_signature_vector__easypost-examples_client-library-fixtures.json")
    body = (OFFICIAL / "tracker.updated__easypost-examples_event-body.json").read_bytes()
    return vector, body.removesuffix(b"\n")


def test_webhook_signature_official_vector_with_any_header_case():
    vector, body = _signed_event()
    event = validate_webhook(body, {"x-hmac-signature": vector["hmac_signature"]}, vector["secret"])
    assert event["description"] == "tracker.updated"
    assert tracker_from_easypost(event).status == "in_transit"


@pytest.mark.parametrize(
    ("headers", "secret"),
    [
        ({"X-Hmac-Signature": "hmac-sha256-hex=00"}, "sécret"),
        ({}, "sécret"),
        ({"X-Hmac-Signature": "x"}, ""),
    ],
)
def test_webhook_without_valid_signature_is_refused(headers, secret):
    _, body = _signed_event()
    with pytest.raises(WebhookSignatureError):
        validate_webhook(body, headers, secret)


def test_webhook_with_right_signature_but_wrong_secret_is_refused():
    vector, body = _signed_event()
    with pytest.raises(WebhookSignatureError):
        validate_webhook(body, {"X-Hmac-Signature": vector["hmac_signature"]}, "secret")
