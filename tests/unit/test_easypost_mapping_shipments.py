"""The EasyPost adapter on recorded real responses: addresses, rates, shipments, labels and
parcels. No network."""

import copy
from datetime import date
from decimal import Decimal

import pytest

from orderflow.fulfilment.types import Address
from orderflow.integrations.easypost.mapping import (
    address_from_easypost,
    address_to_easypost,
    label_from_easypost,
    parcel_to_easypost,
    rate_from_easypost,
    rates_from_easypost,
    shipment_from_easypost,
)

from .easypost_recordings import official, recorded

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


def test_delivery_date_as_date_or_datetime():
    _, body = recorded("test_rate_retrieve.yaml", 1)
    assert rate_from_easypost({**body, "delivery_date": "2025-03-10T00:00:00Z"}).delivery_date == (
        date(2025, 3, 10)
    )
    assert rate_from_easypost({**body, "delivery_date": "2025-03-11"}).delivery_date == date(
        2025, 3, 11
    )
