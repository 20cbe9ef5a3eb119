"""Shopify's REST order (webhooks and the REST resource) mapped to our OrderSnapshot: the
recorded payloads, and the rules of the REST shape."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orderflow.fulfilment.types import Address
from orderflow.integrations.shopify.orders import order_from_webhook
from orderflow.integrations.shopify.readers import PayloadError

from .shopify_payloads import WEBHOOK, load, rest_orders, webhook, webhook_fixtures, webhook_line

# --- the recorded payloads ---------------------------------------------------------------------


def test_the_fixtures_are_there():
    assert len(webhook_fixtures()) == 3
    assert len(rest_orders()) == 4


@pytest.mark.parametrize("payload", rest_orders(), ids=lambda payload: str(payload["id"]))
def test_every_recorded_order_maps(payload):
    order = order_from_webhook(payload)

    assert order.shopify_id == payload["id"]
    assert len(order.line_items) == len(payload["line_items"])
    assert order.updated_at.tzinfo is not None and order.created_at.tzinfo is not None
    assert isinstance(order.total_price.amount, Decimal)


def test_ids_above_two_to_the_53_survive_exactly():
    order = order_from_webhook(WEBHOOK)

    assert order.shopify_id == 820982911946154508
    assert order.customer.shopify_id == 115310627314723954
    assert [line.shopify_id for line in order.line_items][:2] == [
        487817672276298554,
        789012345678901234,
    ]
    assert order.line_items[0].product_id == 788032119674292922


def test_the_webhook_sample_maps_field_by_field():
    order = order_from_webhook(WEBHOOK)

    assert order.name == "#9999"
    assert order.total_price.amount == Decimal("404.95")
    assert str(order.total_price.amount) == "404.95"
    assert order.currency == "USD"
    assert order.financial_status == "voided"
    assert order.fulfillment_status is None
    assert order.cancelled and order.cancel_reason == "customer"
    assert order.cancelled_at == datetime(2022, 1, 1, tzinfo=UTC)
    assert order.email == "jon@example.com"
    assert order.test is True
    assert order.tags == ("tag1", "tag2")
    assert order.shipping_address == Address(
        name="Steve Shipper",
        company="Shipping Company",
        address1="123 Shipping Street",
        city="Shippington",
        province="Kentucky",
        province_code="KY",
        zip="40003",
        country="United States",
        country_code="US",
        phone="555-555-SHIP",
    )
    first = order.line_items[0]
    assert first.price.amount == Decimal("89.99") and first.price.currency == "USD"
    assert (first.sku, first.quantity, first.grams, first.fulfillable_quantity) == (
        "SKU2006-001",
        1,
        100,
        1,
    )
    assert first.variant_id is None


def test_the_rest_resource_sample_maps():
    order = order_from_webhook(load("order.json")["order"])

    assert order.shopify_id == 450789469
    assert order.financial_status == "authorized"
    assert order.shipping_address.address2 is None  # "" in the payload
    assert order.line_items[0].variant_id == 39072856
    assert order.tags == ()


def test_the_trimmed_listing_sample_maps_once_it_has_line_items():
    """orders.json is a REST listing cut down to order-level fields: it has no line_items key.

    A webhook without line items must not read as "nothing to ship", so it is refused, clearly.
    """
    (listed,) = load("orders.json")["orders"]
    with pytest.raises(PayloadError, match="order 450789469 has no line_items"):
        order_from_webhook(listed)

    order = order_from_webhook({**listed, "line_items": load("order.json")["order"]["line_items"]})

    assert order.shopify_id == 450789469 and len(order.line_items) == 3
    assert order.total_price.amount == Decimal(listed["total_price"])


# --- rules of the REST shape -------------------------------------------------------------------


def test_digit_string_ids_are_accepted():
    order = order_from_webhook(webhook(id="820982911946154508"))

    assert order.shopify_id == 820982911946154508


@pytest.mark.parametrize("bad_id", [8.20982911946154508e17, 450789469.0, True, "12a", -5, 0, 2**64])
def test_ids_that_are_not_exact_positive_integers_are_rejected(bad_id):
    with pytest.raises(PayloadError, match="order payload has .* id"):
        order_from_webhook(webhook(id=bad_id))


def test_a_float_quantity_names_the_line():
    expected = "line item 487817672276298554 has a non-integer quantity"
    with pytest.raises(PayloadError, match=expected):
        order_from_webhook(webhook_line(quantity=1.0))


def test_a_float_line_id_is_rejected():
    with pytest.raises(PayloadError, match="line item #1 of order 820982911946154508"):
        order_from_webhook(webhook_line(id=4.8781767227629855e17))


@pytest.mark.parametrize(
    "price", ["NaN", "Infinity", "-inf", "sNaN", "1e3", 89.99, "1_000", "", "٣"]
)
def test_money_that_is_not_a_plain_decimal_string_is_rejected(price):
    with pytest.raises(PayloadError, match="total_price"):
        order_from_webhook(webhook(total_price=price))


def test_updated_at_is_required():
    payload = webhook()
    del payload["updated_at"]

    with pytest.raises(PayloadError, match="order 820982911946154508 has no updated_at"):
        order_from_webhook(payload)


def test_created_at_falls_back_to_updated_at():
    order = order_from_webhook(webhook(created_at=None, updated_at="2024-05-01T10:00:00+02:00"))

    assert order.created_at == order.updated_at == datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_a_timestamp_without_offset_is_taken_as_utc():
    order = order_from_webhook(webhook(updated_at="2024-05-01T10:00:00"))

    assert order.updated_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_z_suffix_timestamps_are_read():
    order = order_from_webhook(webhook(updated_at="2024-05-01T10:00:00Z"))

    assert order.updated_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_an_unreadable_timestamp_is_rejected():
    with pytest.raises(PayloadError, match="has an unreadable updated_at"):
        order_from_webhook(webhook(updated_at="yesterday"))


def test_line_items_are_required_but_may_be_empty():
    assert order_from_webhook(webhook(line_items=[])).line_items == ()
    with pytest.raises(PayloadError, match="has no line_items"):
        order_from_webhook(webhook(line_items=None))


def test_a_minimal_order_maps_with_defaults():
    order = order_from_webhook(
        {
            "id": 1,
            "updated_at": "2024-01-01T00:00:00Z",
            "order_number": 1001,
            "line_items": [{"id": 2, "quantity": 3}],
        }
    )

    assert order.name == "#1001"
    assert order.financial_status is None
    assert order.customer is None and order.shipping_address is None
    line = order.line_items[0]
    assert (line.requires_shipping, line.gift_card) == (True, False)
    assert (line.sku, line.grams) == (None, None)


def test_name_falls_back_to_the_id():
    assert order_from_webhook(webhook(name=None, order_number=None)).name == "820982911946154508"


def test_tags_are_split_and_stripped():
    assert order_from_webhook(webhook(tags=" vip ,, gift wrap,")).tags == ("vip", "gift wrap")
    assert order_from_webhook(webhook(tags="")).tags == ()


def test_address_name_comes_from_first_and_last_name_when_missing():
    address = {"first_name": " Zoë ", "last_name": "Łukasiewicz", "address1": " ", "city": "Kraków"}

    order = order_from_webhook(webhook(shipping_address=address))

    assert order.shipping_address == Address(name="Zoë Łukasiewicz", city="Kraków")


def test_an_empty_address_is_no_address():
    assert order_from_webhook(webhook(shipping_address={"address2": ""})).shipping_address is None


def test_codes_are_upper_cased():
    payload = webhook()
    payload["shipping_address"].update(country_code="us", province_code="ky")

    address = order_from_webhook(payload).shipping_address

    assert (address.country_code, address.province_code) == ("US", "KY")


def test_a_text_field_of_the_wrong_type_is_rejected():
    expected = "order 820982911946154508 shipping_address has a non-text city"
    with pytest.raises(PayloadError, match=expected):
        order_from_webhook(webhook(shipping_address={"city": 7}))


def test_a_customer_without_an_id_is_left_out():
    assert order_from_webhook(webhook(customer={"email": "a@b.c"})).customer is None


def test_a_payload_that_is_not_an_object_is_rejected():
    with pytest.raises(PayloadError, match="order payload is not a JSON object"):
        order_from_webhook([WEBHOOK])
