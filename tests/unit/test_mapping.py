import copy
import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderflow.fulfilment.types import Address, FulfilmentPlan, OrderSnapshot, StockLine
from orderflow.integrations.shopify.fulfilment_orders import (
    FulfilmentOrderLine,
    OpenFulfilmentOrder,
    open_fulfilment_orders,
)
from orderflow.integrations.shopify.ids import gid_to_id, id_to_gid
from orderflow.integrations.shopify.inventory import fulfilment_plan, inventory_levels
from orderflow.integrations.shopify.orders import order_from_graphql, order_from_webhook
from orderflow.integrations.shopify.readers import PayloadError

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "shopify"


def load(name):
    return json.loads((FIXTURES / name).read_text())


def webhook_fixtures():
    return sorted(FIXTURES.glob("webhooks/orders_*.json"))


def rest_orders():
    orders = [load(path.relative_to(FIXTURES)) for path in webhook_fixtures()]
    return [*orders, load("order.json")["order"]]


WEBHOOK = load("webhooks/orders_create.json")


def webhook(**changes):
    payload = copy.deepcopy(WEBHOOK)
    payload.update(changes)
    return payload


def webhook_line(**changes):
    payload = copy.deepcopy(WEBHOOK)
    payload["line_items"][0].update(changes)
    return payload


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


# --- the GraphQL node --------------------------------------------------------------------------


def money(amount, currency="USD"):
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


GRAPHQL_ADDRESS = {
    "name": "Steve Shipper",
    "firstName": "Steve",
    "lastName": "Shipper",
    "company": "Shipping Company",
    "address1": "123 Shipping Street",
    "address2": None,
    "city": "Shippington",
    "province": "Kentucky",
    "provinceCode": "KY",
    "zip": "40003",
    "country": "United States",
    "countryCodeV2": "US",
    "phone": "555-555-SHIP",
}

GRAPHQL_NODE = {
    "id": "gid://shopify/Order/820982911946154508",
    "legacyResourceId": "820982911946154508",
    "name": "#9999",
    "email": "jon@example.com",
    "createdAt": "2022-01-01T00:00:00Z",
    "updatedAt": "2022-01-01T00:00:00Z",
    "cancelledAt": "2022-01-01T00:00:00Z",
    "cancelReason": "CUSTOMER",
    "test": True,
    "note": None,
    "tags": ["tag1", "tag2"],
    "displayFinancialStatus": "VOIDED",
    "displayFulfillmentStatus": "UNFULFILLED",
    "totalPriceSet": money("404.95"),
    "customer": {
        "id": "gid://shopify/Customer/115310627314723954",
        "legacyResourceId": "115310627314723954",
        "firstName": "John",
        "lastName": "Smith",
        "defaultEmailAddress": {"emailAddress": "john@example.com"},
        "defaultPhoneNumber": None,
    },
    "shippingAddress": GRAPHQL_ADDRESS,
    "billingAddress": GRAPHQL_ADDRESS,
    "lineItems": {
        "nodes": [
            {
                "id": "gid://shopify/LineItem/487817672276298554",
                "title": "Aviator sunglasses",
                "sku": "SKU2006-001",
                "quantity": 1,
                "requiresShipping": True,
                "isGiftCard": False,
                "unfulfilledQuantity": 1,
                "originalUnitPriceSet": money("89.99"),
                "variant": None,
                "product": {"legacyResourceId": "788032119674292922"},
            },
            {
                "id": "gid://shopify/LineItem/789012345678901234",
                "title": "Lens Protection Plan (2 Year)",
                "sku": "LENS-PROTECT-2YR",
                "quantity": 1,
                "requiresShipping": True,
                "isGiftCard": False,
                "unfulfilledQuantity": 1,
                "originalUnitPriceSet": money("19.99"),
                "variant": None,
                "product": None,
            },
        ]
    },
}


def without_grams(order: OrderSnapshot) -> OrderSnapshot:
    """GraphQL's selection has no weight; every other field must agree."""
    lines = tuple(dataclasses.replace(line, grams=None) for line in order.line_items)
    return dataclasses.replace(order, line_items=lines)


def test_graphql_node_maps_to_the_same_snapshot_as_the_rest_payload():
    rest = webhook()
    rest["line_items"] = rest["line_items"][:2]

    assert order_from_graphql(GRAPHQL_NODE) == without_grams(order_from_webhook(rest))


@pytest.mark.parametrize(
    ("display", "rest"),
    [
        ("PAID", "paid"),
        ("PARTIALLY_PAID", "partially_paid"),
        ("AUTHORIZED", "authorized"),
        (None, None),
    ],
)
def test_graphql_financial_status_uses_the_rest_vocabulary(display, rest):
    node = {**GRAPHQL_NODE, "displayFinancialStatus": display}

    assert order_from_graphql(node).financial_status == rest


def test_graphql_id_falls_back_to_the_gid():
    node = {**GRAPHQL_NODE, "legacyResourceId": None}

    assert order_from_graphql(node).shopify_id == 820982911946154508


def test_graphql_line_ids_must_be_line_item_gids():
    node = copy.deepcopy(GRAPHQL_NODE)
    node["lineItems"]["nodes"][0]["id"] = "gid://shopify/Product/487817672276298554"

    expected = "line item #1 of order 820982911946154508 has a malformed id"
    with pytest.raises(PayloadError, match=expected):
        order_from_graphql(node)


def test_graphql_partial_fulfilment_is_rest_partial():
    node = {**GRAPHQL_NODE, "displayFulfillmentStatus": "PARTIALLY_FULFILLED"}

    assert order_from_graphql(node).fulfillment_status == "partial"


# --- gids --------------------------------------------------------------------------------------


def test_gid_round_trip():
    gid = id_to_gid("LineItem", 487817672276298554)

    assert gid == "gid://shopify/LineItem/487817672276298554"
    assert gid_to_id(gid) == 487817672276298554
    assert gid_to_id(gid, "LineItem") == 487817672276298554


@pytest.mark.parametrize(
    "gid",
    [
        "gid://shopify/LineItem/",
        "gid://shopify/LineItem/1.5",
        "123",
        None,
        123,
        "gid://x/LineItem/1",
    ],
)
def test_malformed_gids_are_rejected(gid):
    with pytest.raises(PayloadError):
        gid_to_id(gid)


def test_a_gid_of_another_kind_is_rejected_when_a_kind_is_asked():
    with pytest.raises(PayloadError, match="not a Shopify LineItem id"):
        gid_to_id("gid://shopify/Order/1", "LineItem")


def test_gid_query_strings_are_ignored():
    assert gid_to_id("gid://shopify/FulfillmentOrder/5?x=1") == 5


# --- fulfilment orders and stock ---------------------------------------------------------------


def fo_line(number, line_item, remaining, *, inventory_item=None, requires_shipping=True, sku=None):
    return {
        "id": f"gid://shopify/FulfillmentOrderLineItem/{number}",
        "remainingQuantity": remaining,
        "requiresShipping": requires_shipping,
        "sku": sku,
        "inventoryItemId": inventory_item and f"gid://shopify/InventoryItem/{inventory_item}",
        "lineItem": {"id": f"gid://shopify/LineItem/{line_item}"},
    }


def fulfilment_order(number, status, location, lines, holds=()):
    return {
        "id": f"gid://shopify/FulfillmentOrder/{number}",
        "status": status,
        "assignedLocation": {
            "name": location,
            "location": {"id": f"gid://shopify/Location/{number * 100}"},
        },
        "fulfillmentHolds": list(holds),
        "lineItems": {"nodes": lines},
    }


FULFILMENT_ORDERS = {
    "order": {
        "id": "gid://shopify/Order/1",
        "fulfillmentOrders": {
            "nodes": [
                fulfilment_order(1, "CLOSED", "Old shop", [fo_line(1, 10, 0)]),
                fulfilment_order(
                    2, "OPEN", "Digital", [fo_line(2, 11, 1, requires_shipping=False)]
                ),
                fulfilment_order(
                    3,
                    "OPEN",
                    "Main warehouse",
                    [
                        fo_line(3, 12, 2, inventory_item=7, sku="SKU-1"),
                        fo_line(4, 13, 1, inventory_item=8, sku="SKU-2"),
                    ],
                ),
                fulfilment_order(
                    4,
                    "ON_HOLD",
                    "Main warehouse",
                    [fo_line(5, 12, 1, inventory_item=7, sku="SKU-1")],
                    holds=[{"reason": "AWAITING_PAYMENT", "reasonNotes": "bank transfer"}],
                ),
            ]
        },
    }
}


def test_open_fulfilment_orders_keeps_the_open_ones_with_their_holds():
    orders = open_fulfilment_orders(FULFILMENT_ORDERS)

    assert [fo.id for fo in orders] == [
        "gid://shopify/FulfillmentOrder/2",
        "gid://shopify/FulfillmentOrder/3",
        "gid://shopify/FulfillmentOrder/4",
    ]
    held = orders[2]
    assert held.status == "ON_HOLD"
    assert held.location_id == "gid://shopify/Location/400"
    assert held.holds == ("Held in Shopify: awaiting payment (bank transfer)",)
    assert held.lines == (
        FulfilmentOrderLine(
            id="gid://shopify/FulfillmentOrderLineItem/5",
            line_item_id=12,
            remaining=1,
            sku="SKU-1",
            inventory_item_id="gid://shopify/InventoryItem/7",
        ),
    )


def test_a_missing_order_is_reported():
    with pytest.raises(PayloadError, match="order not found"):
        open_fulfilment_orders({"order": None})


def test_hold_reasons_read_as_sentences():
    holds = [
        {"reason": "OTHER", "reasonNotes": "customer asked to wait"},
        {"reason": "HIGH_RISK_OF_FRAUD", "reasonNotes": None},
        {"reason": "SOMETHING_NEW", "reasonNotes": ""},
    ]
    held = fulfilment_order(1, "ON_HOLD", "A", [], holds)
    data = {"order": {"fulfillmentOrders": {"nodes": [held]}}}

    assert open_fulfilment_orders(data)[0].holds == (
        "Held in Shopify: customer asked to wait",
        "Held in Shopify: high risk of fraud",
        "Held in Shopify: something new",
    )


def test_an_on_hold_order_without_listed_holds_still_says_held():
    data = {"order": {"fulfillmentOrders": {"nodes": [fulfilment_order(1, "ON_HOLD", "A", [])]}}}

    assert open_fulfilment_orders(data)[0].holds == ("Held in Shopify",)


def test_inventory_levels():
    data = {
        "nodes": [
            {
                "id": "gid://shopify/InventoryItem/7",
                "tracked": True,
                "inventoryLevel": {"quantities": [{"name": "on_hand", "quantity": 1}]},
            },
            {"id": "gid://shopify/InventoryItem/8", "tracked": True, "inventoryLevel": None},
            {"id": "gid://shopify/InventoryItem/9", "tracked": False, "inventoryLevel": None},
            None,
            {},
        ]
    }

    assert inventory_levels(data) == {
        "gid://shopify/InventoryItem/7": 1,
        "gid://shopify/InventoryItem/8": 0,
        "gid://shopify/InventoryItem/9": None,
    }


def test_fulfilment_plan_sums_split_lines_and_reads_stock_at_their_location():
    orders = open_fulfilment_orders(FULFILMENT_ORDERS)
    inventory = {
        "gid://shopify/Location/300": {"gid://shopify/InventoryItem/7": 1},
        "gid://shopify/Location/400": {"gid://shopify/InventoryItem/7": 1},
    }

    plan = fulfilment_plan(orders, inventory)

    assert plan == FulfilmentPlan(
        location_name="Main warehouse",
        lines=(
            StockLine(12, needed=2, on_hand=1, sku="SKU-1", location_name="Main warehouse"),
            StockLine(13, needed=1, on_hand=None, sku="SKU-2", location_name="Main warehouse"),
            StockLine(12, needed=1, on_hand=1, sku="SKU-1", location_name="Main warehouse"),
        ),
        on_hold=("Held in Shopify: awaiting payment (bank transfer)",),
    )


def test_fulfilment_plan_sums_one_order_line_split_at_the_same_location():
    line = FulfilmentOrderLine("gid://shopify/FulfillmentOrderLineItem/1", 12, 2, sku="S")
    orders = [
        OpenFulfilmentOrder("gid://shopify/FulfillmentOrder/1", "OPEN", "L", "Main", lines=(line,)),
        OpenFulfilmentOrder("gid://shopify/FulfillmentOrder/2", "OPEN", "L", "Main", lines=(line,)),
    ]

    assert fulfilment_plan(orders, {}).lines == (
        StockLine(12, needed=4, on_hand=None, sku="S", location_name="Main"),
    )


def test_fulfilment_plan_of_nothing_to_ship():
    assert fulfilment_plan([], {}) == FulfilmentPlan(location_name=None)


# --- nothing but a snapshot or a PayloadError, whatever arrives --------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**53, max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "NaN",
            "Infinity",
            "1e999999",
            "820982911946154508",
            "99999999999999999999",
            "-1",
            "",
            " ",
            "2021-12-31T19:00:00-05:00",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00+01:00",
            "gid://shopify/LineItem/1",
            "gid://shopify/LineItem/99999999999999999999",
            "ON_HOLD",
            "on_hand",
        ]
    ),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


def paths(value, prefix=()):
    """Every place in a JSON document where a value can be put or removed."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def substituted(document, path, value):
    document = copy.deepcopy(document)
    *parents, last = path
    target = document
    for key in parents:
        target = target[key]
    if value is _DELETE and isinstance(target, dict):
        del target[last]
    else:
        target[last] = None if value is _DELETE else value
    return document


_DELETE = object()
REST_PATHS = sorted(paths(WEBHOOK), key=repr)
GRAPHQL_PATHS = sorted(paths(GRAPHQL_NODE), key=repr)
FULFILMENT_PATHS = sorted(paths(FULFILMENT_ORDERS), key=repr)
fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def maps_or_refuses(function, document):
    try:
        return function(document)
    except PayloadError as error:
        assert str(error)
        return None


@fuzz
@given(st.sampled_from(REST_PATHS), json_values | st.just(_DELETE))
def test_any_value_anywhere_in_a_webhook_gives_a_snapshot_or_a_payload_error(path, value):
    result = maps_or_refuses(order_from_webhook, substituted(WEBHOOK, path, value))

    assert result is None or isinstance(result, OrderSnapshot)


@fuzz
@given(st.sampled_from(GRAPHQL_PATHS), json_values | st.just(_DELETE))
def test_any_value_anywhere_in_a_graphql_node_gives_a_snapshot_or_a_payload_error(path, value):
    result = maps_or_refuses(order_from_graphql, substituted(GRAPHQL_NODE, path, value))

    assert result is None or isinstance(result, OrderSnapshot)


@fuzz
@given(st.sampled_from(FULFILMENT_PATHS), json_values | st.just(_DELETE))
def test_any_value_anywhere_in_fulfilment_orders_gives_orders_or_a_payload_error(path, value):
    orders = maps_or_refuses(open_fulfilment_orders, substituted(FULFILMENT_ORDERS, path, value))

    if orders is not None:
        assert isinstance(fulfilment_plan(orders, {}), FulfilmentPlan)


@fuzz
@given(json_values)
def test_any_json_document_gives_a_result_or_a_payload_error(value):
    mappers = (order_from_webhook, order_from_graphql, open_fulfilment_orders, inventory_levels)
    for function in mappers:
        maps_or_refuses(function, value)
    maps_or_refuses(inventory_levels, {"nodes": [value]})
    maps_or_refuses(order_from_webhook, {**WEBHOOK, "line_items": [value]})


@fuzz
@given(json_values)
def test_any_value_as_a_line_item_field_gives_a_snapshot_or_a_payload_error(value):
    for key in ("id", "quantity", "price", "requires_shipping", "fulfillable_quantity", "grams"):
        maps_or_refuses(order_from_webhook, webhook_line(**{key: value}))


def test_a_float_id_never_maps():
    payload = webhook(id=float(WEBHOOK["id"]))

    with pytest.raises(PayloadError):
        order_from_webhook(payload)
