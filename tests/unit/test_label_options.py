"""A label's options follow the order's value: signature and insurance above the shop's
thresholds, never at or below them."""

from decimal import Decimal

from orderflow.fulfilment.label_options import label_options, parcel_insurance


def test_every_label_has_the_shops_format_on_4x6():
    assert label_options("ZPL", Decimal("10"), None) == {"label_format": "ZPL",
                                                         "label_size": "4x6"}


def test_a_signature_is_asked_only_above_the_threshold():
    above = label_options("PDF", Decimal("100.01"), Decimal("100"))
    at = label_options("PDF", Decimal("100"), Decimal("100"))
    assert above["delivery_confirmation"] == "SIGNATURE"
    assert "delivery_confirmation" not in at


def test_without_an_insurance_threshold_nothing_is_insured():
    assert parcel_insurance(Decimal("5000"), None, 2) is None


def test_insurance_starts_above_the_threshold():
    assert parcel_insurance(Decimal("200"), Decimal("200"), 1) is None
    assert parcel_insurance(Decimal("200.01"), Decimal("200"), 1) == Decimal("200.01")


def test_each_parcel_is_insured_for_its_share_to_the_cent():
    assert parcel_insurance(Decimal("100"), Decimal("50"), 3) == Decimal("33.33")


def test_an_order_without_parcels_insures_nothing():
    assert parcel_insurance(Decimal("100"), Decimal("50"), 0) is None
