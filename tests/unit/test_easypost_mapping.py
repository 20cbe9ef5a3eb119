"""The EasyPost adapter on recorded real responses: mapping, statuses, errors, webhooks.

Recordings: ../shared/fixtures/easypost (VCR cassettes of easypost-python's test suite, and
EasyPost's published example objects in official/). No network.
"""

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import easypost
import pytest
import requests
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from orderflow.fulfilment.types import Address
from orderflow.integrations.easypost import client as ep_client
from orderflow.integrations.easypost.client import EasyPostCarrier, validate_webhook
from orderflow.integrations.easypost.errors import (
    AddressUndeliverable,
    CarrierAuthError,
    CarrierError,
    CarrierOutcomeUnknown,
    CarrierRejected,
    CarrierResponseError,
    CarrierUnavailable,
    PostageExists,
    RateUnavailable,
    RefundRefused,
    WebhookSignatureError,
)
from orderflow.integrations.easypost.mapping import (
    address_from_easypost,
    address_to_easypost,
    error_from_easypost,
    label_from_easypost,
    parcel_to_easypost,
    rate_from_easypost,
    rates_from_easypost,
    shipment_from_easypost,
    tracker_from_easypost,
)
from orderflow.fulfilment.carrier_names import shopify_company, tracking_url
from orderflow.fulfilment.tracking_status import (
    TrackingStatus,
    moves_forward,
    rank,
    shopify_event_status,
)
from orderflow.integrations.easypost.statuses import status_from_easypost

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "easypost"
OFFICIAL = FIXTURES / "official"


def recorded(cassette: str, index: int = 0) -> tuple[int, dict]:
    """(HTTP status, parsed body) of one interaction of a cassette."""
    interaction = yaml.safe_load((FIXTURES / cassette).read_text())["interactions"][index]
    response = interaction["response"]
    return response["status"]["code"], json.loads(response["body"]["string"])


def official(name: str):
    return json.loads((OFFICIAL / name).read_text())


SENT_JACK = Address(
    name="Jack Sparrow",
    address1="388 Townsend St",
    address2="Apt 20",
    city="San Francisco",
    province_code="CA",
    zip="94107",
    country_code="US",
)


# Addresses


def test_verified_address_is_deliverable_and_not_corrected_by_case_or_zip4():
    _, body = recorded("test_address_create_verify_strict.yaml")
    verified = address_from_easypost(body, sent=SENT_JACK)
    assert verified.deliverable is True
    assert verified.corrected is False  # upper case, street2 folded into street1, ZIP+4 added
    assert verified.messages == ()
    assert verified.address.address1 == "388 TOWNSEND ST APT 20"
    assert verified.address.address2 is None
    assert verified.address.zip == "94107-1670"
    assert verified.address.province_code == "CA"
    assert verified.address.country_code == "US"


def test_a_changed_street_counts_as_corrected():
    _, body = recorded("test_address_create_verify_strict.yaml")
    sent = Address(address1="388 Townsend Street", address2="Apt 20", city="San Francisco",
                   zip="94107")
    assert address_from_easypost(body, sent=sent).corrected is True


def test_undeliverable_address_carries_the_carriers_words():
    _, body = recorded("test_address_create_verify.yaml", 1)
    verified = address_from_easypost(body)
    assert verified.deliverable is False
    assert verified.messages == ("Address not found",)


def test_address_created_without_verification_is_not_deliverable():
    _, body = recorded("test_address_create_verify.yaml", 0)
    verified = address_from_easypost(body)
    assert verified.deliverable is False
    assert verified.messages == ("EasyPost did not verify this address.",)


def test_address_to_easypost_leaves_out_empty_fields():
    params = address_to_easypost(SENT_JACK, email="ops@example.com")
    assert params == {
        "name": "Jack Sparrow",
        "street1": "388 Townsend St",
        "street2": "Apt 20",
        "city": "San Francisco",
        "state": "CA",
        "zip": "94107",
        "country": "US",
        "email": "ops@example.com",
    }


def test_address_to_easypost_falls_back_to_province_and_country_names():
    params = address_to_easypost(Address(province="Ontario", country="Canada", phone=" "))
    assert params == {"state": "Ontario", "country": "Canada"}


# Rates and shipments


def test_created_shipment_has_exact_decimal_rates_and_no_label():
    status, body = recorded("test_shipment_create.yaml")
    assert status == 201
    shipment = shipment_from_easypost(body)
    assert shipment.id == "shp_4f5381cd729d48c2adc4d2d801d655e2"
    assert not shipment.bought and shipment.label is None and shipment.tracking_code is None
    by_service = {r.service: r for r in shipment.rates}
    assert set(by_service) == {"Express", "Priority", "GroundAdvantage"}
    ground = by_service["GroundAdvantage"]
    assert ground.carrier == "USPS"
    assert ground.amount.amount == Decimal("6.07") and ground.amount.currency == "USD"
    assert ground.delivery_days == 3 and ground.delivery_date is None
    assert ground.carrier_account_id == "ca_b25657e9896e4d63ac8151ac346ac41e"
    assert shipment.rate(ground.id) == ground
    assert shipment.rate_errors == ()


@pytest.mark.parametrize(
    "cassette",
    [
        "test_shipment_lowest_rate.yaml",
        "test_shipment_retrieve.yaml",
        "test_shipment_regenerate_rates.yaml",
        "test_rate_retrieve.yaml",
        "test_shipment_smart_rate.yaml",
        "test_shipment_buy.yaml",
        "test_shipment_refund.yaml",
    ],
)
def test_every_recorded_shipment_maps(cassette):
    _, body = recorded(cassette, 0)
    shipment = shipment_from_easypost(body)
    assert shipment.rates and all(r.amount.amount > 0 for r in shipment.rates)


def test_single_rate_keeps_trailing_zero():
    _, body = recorded("test_rate_retrieve.yaml", 1)
    rate = rate_from_easypost(body)
    assert (rate.carrier, rate.service, rate.amount.amount) == ("USPS", "Priority", Decimal("7.42"))
    official_rate = rate_from_easypost(official("rate__easypost-examples_rates-retrieve.json"))
    assert str(official_rate.amount.amount) == "51.20"
    assert official_rate.delivery_days == 2


def test_smartrate_numbers_become_exact_decimals():
    result = official("smartrate__easypost-examples_time-in-transit.json")["result"]
    rate = rate_from_easypost(result[0])
    assert rate.amount.amount == Decimal("51.2")  # a JSON number, not the float 51.2000000001...


def test_rerate_answer_is_a_list_of_new_rates():
    _, body = recorded("test_shipment_regenerate_rates.yaml", 1)
    rates = rates_from_easypost(body)
    assert [r.id for r in rates][:2] == [
        "rate_8c859e5dd7c24f8686ec63c1029d2c75",
        "rate_6174a768b0a54242b201e7d09bd5ef1b",
    ]
    assert rates[1].amount.amount == Decimal("6.07")


def test_bought_shipment_has_label_tracking_and_selected_rate():
    _, body = recorded("test_shipment_buy.yaml", 1)
    shipment = shipment_from_easypost(body)
    assert shipment.bought
    assert shipment.tracking_code == "9400100208303109505657"
    assert shipment.tracker_id == "trk_279431562ef84af89555e5c8a2029b2f"
    assert shipment.label.url == (
        "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20250307/"
        "e813a2cf6d079c4ea49714758be7711be0.png"
    )
    assert (shipment.label.format, shipment.label.file_type, shipment.label.size) == (
        "PNG", "image/png", "4x6",
    )
    assert shipment.label.other_formats == ()
    assert shipment.selected_rate.id == "rate_4d1f36fa716c4b1292cacbdf19227c2d"
    assert shipment.selected_rate.amount.amount == Decimal("6.07")
    assert shipment.reference == "123"
    assert shipment.insurance is None and shipment.refund_status is None


def test_official_bought_shipment_has_insurance_as_decimal():
    bought = official("shipment.bought__easypost-examples_shipments-buy.json")
    shipment = shipment_from_easypost(bought)
    assert shipment.tracking_code == "9434600208303109842228"
    assert shipment.insurance == Decimal("249.99")
    assert shipment.selected_rate.amount.amount == Decimal("8.20")
    assert shipment.label.url.endswith("e8bbb027b8222f4578ab4250487ed98fc6.png")


def test_converted_label_offers_the_pdf():
    _, body = recorded("test_shipment_buy.yaml", 1)
    body = copy.deepcopy(body)
    body["postage_label"]["label_pdf_url"] = "https://files.example/label.pdf"
    label = label_from_easypost(body["postage_label"])
    assert label.url_for("pdf") == "https://files.example/label.pdf"
    assert label.url_for("PNG") == label.url
    assert label.url_for("ZPL") is None


def test_refund_statuses():
    _, body = recorded("test_shipment_refund.yaml", 1)
    assert shipment_from_easypost(body).refund_status == "submitted"
    refunded = official("shipment.refund_submitted__easypost-examples_shipping-refund.json")
    shipment = shipment_from_easypost(refunded)
    assert shipment.refund_status == "submitted"
    assert shipment.tracking_code == "9405500208303109884199"


def test_return_shipment_not_bought():
    returned = official("shipment.return__easypost-examples_returns-create.json")
    shipment = shipment_from_easypost(returned)
    assert not shipment.bought and shipment.selected_rate is None and len(shipment.rates) == 3


def test_rate_errors_come_from_messages():
    _, body = recorded("test_shipment_create.yaml")
    body = copy.deepcopy(body)  # no recording has a rate_error; this is the documented shape
    body["messages"] = [
        {"carrier": "FedEx", "carrier_account_id": "ca_1", "type": "rate_error",
         "message": "FedEx: Invalid postal code."},
        {"carrier": "UPS", "type": "rate_error", "message": ["Service", "unavailable"]},
        {"carrier": "USPS", "type": "info", "message": "ignored"},
    ]
    assert shipment_from_easypost(body).rate_errors == (
        "FedEx: FedEx: Invalid postal code.",
        "UPS: Service; unavailable",
    )


def test_parcel_rounds_up_to_a_tenth_and_sends_floats():
    parcel = parcel_to_easypost(Decimal("10.01"), Decimal("8"), Decimal("4.25"), Decimal("15.4"))
    assert parcel == {"length": 10.1, "width": 8.0, "height": 4.3, "weight": 15.4}
    assert all(type(v) is float for v in parcel.values())
    with pytest.raises(ValueError):
        parcel_to_easypost(Decimal("1"), Decimal("1"), Decimal("1"), Decimal("0"))


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


# Errors


def test_address_verify_failure_is_undeliverable_with_the_carriers_words():
    status, body = recorded("test_address_verify_invalid_address.yaml", 1)
    error = error_from_easypost(status, body)
    assert type(error) is AddressUndeliverable
    assert error.code == "ADDRESS.VERIFY.FAILURE"
    assert error.details == ("Address not found", "street1: House number is missing")
    assert "Address not found" in str(error)
    guide = official("error.ADDRESS.VERIFY.FAILURE__easypost-examples_errors-guide.json")
    assert type(error_from_easypost(422, guide)) is AddressUndeliverable


def test_recorded_rejections():
    status, body = recorded("test_error.yaml")
    error = error_from_easypost(status, body)
    assert type(error) is CarrierRejected and error.code == "PARAMETER.REQUIRED"
    assert str(error) == "Missing required parameter. (shipment: cannot be blank)"

    status, body = recorded("test_error_alternative_format.yaml")
    error = error_from_easypost(status, body)
    assert (type(error), error.code) == (CarrierRejected, "NOT_FOUND")
    assert error.details == ("No eligible insurance found with provided tracking code.",)

    payload = official("error.PAYLOAD.NOT_FOUND__easypost-python_cassette.json")
    assert error_from_easypost(404, payload).details == ()


def _error(code, message="m"):
    return {"error": {"code": code, "message": message, "errors": []}}


@pytest.mark.parametrize(
    ("status", "body", "buying", "expected"),
    [
        (422, _error("SHIPMENT.POSTAGE.EXISTS"), True, PostageExists),
        (422, _error("SHIPMENT.MISSING_RATE"), True, RateUnavailable),
        (422, _error("SHIPMENT.POSTAGE.FAILURE"), True, RateUnavailable),
        (422, _error("SHIPMENT.POSTAGE.NO_RESPONSE"), True, CarrierOutcomeUnknown),
        (422, _error("SHIPMENT.PURCHASE.IN_PROGRESS"), True, CarrierOutcomeUnknown),
        (422, _error("SHIPMENT.REFUND.UNAVAILABLE"), False, RefundRefused),
        (401, _error("APIKEY.INACTIVE"), False, CarrierAuthError),
        (402, _error("PAYMENT.REQUIRED"), True, CarrierAuthError),
        (403, None, False, CarrierAuthError),
        (429, _error("RATE_LIMITED"), False, CarrierUnavailable),
        (429, _error("RATE_LIMITED"), True, CarrierUnavailable),  # refused: nothing was bought
        (500, _error("INTERNAL_SERVER_ERROR"), False, CarrierUnavailable),
        (500, _error("INTERNAL_SERVER_ERROR"), True, CarrierOutcomeUnknown),
        (502, "<html>Bad Gateway</html>", True, CarrierOutcomeUnknown),
        (None, None, False, CarrierUnavailable),
        (None, None, True, CarrierOutcomeUnknown),
        (422, _error("ADDRESS.VERIFY.UNAVAILABLE"), False, CarrierUnavailable),
    ],
)
def test_error_classes(status, body, buying, expected):
    error = error_from_easypost(status, body, buying=buying)
    assert type(error) is expected


def test_outcome_unknown_is_also_unavailable_but_unavailable_is_not_unknown():
    assert isinstance(error_from_easypost(None, None, buying=True), CarrierUnavailable)
    assert not isinstance(error_from_easypost(503, None), CarrierOutcomeUnknown)


def test_client_exceptions_become_ours_without_network():
    def raising(exc):
        def call():
            raise exc
        return call

    with pytest.raises(CarrierOutcomeUnknown):
        ep_client._call(raising(easypost.errors.TimeoutError("Request timed out.")), buying=True)
    with pytest.raises(CarrierUnavailable) as caught:
        ep_client._call(raising(easypost.errors.HttpError("connection refused")))
    assert type(caught.value) is CarrierUnavailable
    body = json.dumps(_error("SHIPMENT.POSTAGE.EXISTS"))
    exists = easypost.errors.InvalidRequestError("m", http_status=422, http_body=body)
    with pytest.raises(PostageExists):
        ep_client._call(raising(exists), buying=True)
    html = easypost.errors.JsonError("Invalid response from API")  # a proxy's HTML page
    with pytest.raises(CarrierOutcomeUnknown):
        ep_client._call(raising(html), buying=True)
    with pytest.raises(CarrierUnavailable):
        ep_client._call(raising(requests.ConnectionError("reset")))


def test_buy_client_never_resends_a_request():
    carrier = EasyPostCarrier("EZTK_not_a_real_key", api_base="http://127.0.0.1:9/v2", timeout=1)
    adapters = carrier._buy_client._requests_session.adapters
    assert adapters
    for adapter in adapters.values():
        retry = adapter.max_retries
        assert retry.read is False and retry.other == 0 and retry.status == 0
    assert "EZTK" not in repr(carrier)


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


# Whatever EasyPost sends, mapping raises nothing but CarrierResponseError


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(
        st.sampled_from(["id", "rate", "currency", "carrier", "service", "rates", "messages",
                         "postage_label", "label_url", "tracker", "tracking_details", "status",
                         "datetime", "delivery_date", "delivery_days", "insurance", "object",
                         "result", "tracking_code", "verifications", "delivery", "errors"]),
        children,
        max_size=6,
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_mapping_raises_only_carrier_response_error(value):
    for parse in (shipment_from_easypost, rate_from_easypost, tracker_from_easypost,
                  address_from_easypost, label_from_easypost, rates_from_easypost):
        try:
            parse(value)
        except CarrierResponseError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers(100, 599)), _json)
def test_error_mapping_always_returns_a_carrier_error(status, body):
    assert isinstance(error_from_easypost(status, body), CarrierError)


def test_delivery_date_as_date_or_datetime():
    _, body = recorded("test_rate_retrieve.yaml", 1)
    assert rate_from_easypost({**body, "delivery_date": "2025-03-10T00:00:00Z"}).delivery_date == (
        date(2025, 3, 10)
    )
    assert rate_from_easypost({**body, "delivery_date": "2025-03-11"}).delivery_date == date(
        2025, 3, 11
    )
