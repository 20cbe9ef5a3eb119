import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orderflow.fulfilment.states.orders import OrderState
from orderflow.fulfilment.types import (
    Address,
    FulfilmentPlan,
    LineItem,
    Money,
    OrderSnapshot,
    StockLine,
)
from orderflow.fulfilment.validation import (
    COUNTRIES_WITHOUT_POSTAL_CODES,
    NO_SHIPPING_ADDRESS,
    NOTHING_TO_SHIP,
    ValidationPolicy,
    validate_order,
)

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
ADDRESS = Address(
    name="Ada Lovelace",
    address1="12 St James's Square",
    city="London",
    zip="SW1Y 4JH",
    country="United Kingdom",
    country_code="GB",
)
US_ADDRESS = Address(
    name="Steve Shipper",
    address1="123 Shipping Street",
    city="Shippington",
    province_code="KY",
    zip="40003",
    country_code="US",
)


def line(shopify_id=1, **changes):
    fields = dict(
        shopify_id=shopify_id,
        title="Blue mug",
        quantity=1,
        price=Money(Decimal("12.00"), "USD"),
        sku="SKU-1",
    )
    return LineItem(**{**fields, **changes})


def order(**changes):
    fields = dict(
        shopify_id=1001,
        name="#1001",
        created_at=NOW,
        updated_at=NOW,
        total_price=Money(Decimal("12.00"), "USD"),
        financial_status="paid",
        shipping_address=ADDRESS,
        line_items=(line(),),
    )
    return OrderSnapshot(**{**fields, **changes})


def address(**changes):
    return dataclasses.replace(ADDRESS, **changes)


def plan(*lines, on_hold=(), location="Main warehouse"):
    return FulfilmentPlan(location_name=location, lines=lines, on_hold=on_hold)


def test_a_paid_order_with_an_address_and_stock_is_ready():
    verdict = validate_order(order(), plan(StockLine(1, needed=1, on_hand=5)))

    assert verdict.state == OrderState.READY.value == "ready"
    assert verdict.reasons == () and verdict.reason is None


# --- cancelled ---------------------------------------------------------------------------------


def test_a_cancelled_order_is_cancelled_whatever_else_is_wrong():
    cancelled = order(cancelled_at=NOW, cancel_reason="customer", financial_status="voided")

    verdict = validate_order(cancelled, plan(on_hold=("Held in Shopify: x",)))

    assert verdict.state == "cancelled"
    assert verdict.reasons == ("Cancelled in Shopify (reason: customer)",)


def test_a_cancellation_without_reason():
    assert validate_order(order(cancelled_at=NOW), None).reasons == ("Cancelled in Shopify",)


# --- nothing to ship ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        (line(requires_shipping=False),),
        (line(gift_card=True),),
        (line(gift_card=True, requires_shipping=False), line(2, requires_shipping=False)),
        (line(quantity=0),),
        (),
    ],
    ids=["digital", "gift card", "both", "removed by an edit", "no lines"],
)
def test_orders_without_physical_items_have_nothing_to_ship(lines):
    verdict = validate_order(order(line_items=lines, shipping_address=None), None)

    assert verdict.state == "nothing_to_ship"
    assert verdict.reasons == (NOTHING_TO_SHIP,)


def test_one_physical_item_among_digital_ones_must_ship():
    lines = (line(1, requires_shipping=False), line(2, gift_card=True), line(3))

    assert validate_order(order(line_items=lines), None).state == "ready"


# --- payment -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("pending", "Payment pending: wait for the payment to clear before shipping"),
        ("partially_paid", "Payment partly paid: collect the balance before shipping"),
        (
            "authorized",
            "Payment authorized but not captured: capture it in Shopify before shipping",
        ),
        ("voided", "Payment voided: take a new payment or cancel the order"),
        ("refunded", "Order refunded: the customer has been paid back, so it should not ship"),
        (
            "expired",
            "Payment expired: the authorization lapsed, take a new payment before shipping",
        ),
        (None, "Payment status unknown: check the order's payment in Shopify"),
        ("something_new", "Payment status unknown: check the order's payment in Shopify"),
    ],
)
def test_unpaid_orders_are_held_with_a_payment_reason(status, reason):
    verdict = validate_order(order(financial_status=status), None)

    assert verdict.state == "on_hold"
    assert verdict.reasons == (reason,)


@pytest.mark.parametrize("status", ["paid", "partially_refunded"])
def test_paid_and_partly_refunded_orders_ship_by_default(status):
    assert validate_order(order(financial_status=status), None).state == "ready"


def test_a_shop_may_ship_authorized_orders():
    policy = ValidationPolicy(
        shippable_financial_statuses=frozenset({"paid", "partially_refunded", "authorized"})
    )

    assert validate_order(order(financial_status="authorized"), None, policy).state == "ready"


# --- shipping address --------------------------------------------------------------------------


def test_no_shipping_address():
    verdict = validate_order(order(shipping_address=None), None)

    assert verdict.reasons == (NO_SHIPPING_ADDRESS,)
    assert verdict.reasons == ("No shipping address: add one in Shopify",)


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"zip": None}, "postal code"),
        ({"address1": None}, "street"),
        ({"city": " "}, "city"),
        ({"country_code": None}, "country"),
        ({"name": None}, "recipient name"),
    ],
)
def test_a_missing_address_part_is_named(changes, missing):
    verdict = validate_order(order(shipping_address=address(**changes)), None)

    assert verdict.reasons == (f"Shipping address is missing the {missing}: correct it in Shopify",)


def test_several_missing_parts_are_named_together():
    incomplete = address(name=None, city=None, zip=None)

    verdict = validate_order(order(shipping_address=incomplete), None)

    assert verdict.reasons == (
        "Shipping address is missing the recipient name, city and postal code: "
        "correct it in Shopify",
    )


@pytest.mark.parametrize("country", ["US", "CA", "AU"])
def test_the_state_or_province_is_needed_in_the_us_canada_and_australia(country):
    without_province = dataclasses.replace(US_ADDRESS, country_code=country, province_code=None)

    verdict = validate_order(order(shipping_address=without_province), None)

    assert verdict.reasons == (
        "Shipping address is missing the state/province: correct it in Shopify",
    )


def test_a_province_is_not_needed_elsewhere():
    no_province = order(shipping_address=address(province_code=None))

    assert validate_order(no_province, None).state == "ready"


@pytest.mark.parametrize("country", ["IE", "HK", "AE", "JM", "QA"])
def test_countries_without_postal_codes_need_none(country):
    no_postcode = address(country_code=country, zip=None)

    assert validate_order(order(shipping_address=no_postcode), None).state == "ready"


def test_the_postal_code_free_countries_are_iso_codes():
    assert all(len(code) == 2 and code.isupper() for code in COUNTRIES_WITHOUT_POSTAL_CODES)
    assert {"GB", "US", "DE", "FR", "CA"}.isdisjoint(COUNTRIES_WITHOUT_POSTAL_CODES)


def test_unicode_names_and_addresses_pass_untouched():
    unicode_address = Address(
        name="Zoë Łukasiewicz-Ōtani 王小明",
        address1="ul. Świętokrzyska 12",
        city="Kraków",
        zip="31-042",
        country_code="PL",
    )

    verdict = validate_order(order(shipping_address=unicode_address), None)

    assert verdict.state == "ready"
    assert unicode_address.name == "Zoë Łukasiewicz-Ōtani 王小明"


def test_a_digital_order_needs_no_address():
    digital = order(shipping_address=None, line_items=(line(requires_shipping=False),))

    assert validate_order(digital, None).state == "nothing_to_ship"


# --- Shopify's holds ---------------------------------------------------------------------------


def test_shopify_holds_are_reasons():
    holds = ("Held in Shopify: awaiting payment", "Held in Shopify: high risk of fraud")

    verdict = validate_order(order(), plan(on_hold=holds))

    assert verdict.state == "on_hold"
    assert verdict.reasons == holds


# --- stock -------------------------------------------------------------------------------------


def test_a_stock_shortfall_names_location_item_and_quantities():
    verdict = validate_order(order(), plan(StockLine(1, needed=3, on_hand=1, sku="SKU-1")))

    assert verdict.state == "on_hold"
    assert verdict.reasons == (
        "Not enough stock at Main warehouse: SKU-1 (Blue mug) needs 3, 1 on hand",
    )


def test_the_line_s_own_location_wins_over_the_plan_s():
    short = StockLine(1, needed=2, on_hand=0, sku="SKU-1", location_name="Lager Köln")

    assert validate_order(order(), plan(short)).reasons == (
        "Not enough stock at Lager Köln: SKU-1 (Blue mug) needs 2, 0 on hand",
    )


def test_a_line_without_sku_is_named_by_title_or_id():
    lines = (line(1, sku=None), line(2, sku=None, title=""))
    short = (StockLine(1, needed=1, on_hand=0), StockLine(2, needed=1, on_hand=0))

    verdict = validate_order(order(line_items=lines), plan(*short))

    assert verdict.reasons == (
        "Not enough stock at Main warehouse: Blue mug needs 1, 0 on hand",
        "Not enough stock at Main warehouse: line item 2 needs 1, 0 on hand",
    )


@pytest.mark.parametrize("on_hand", [None, 3, 10])
def test_untracked_or_sufficient_stock_is_no_reason(on_hand):
    assert validate_order(order(), plan(StockLine(1, needed=3, on_hand=on_hand))).state == "ready"


def test_no_plan_means_no_stock_reason():
    assert validate_order(order(), None).state == "ready"


def test_a_shop_may_skip_the_stock_check():
    short = plan(StockLine(1, needed=3, on_hand=0))

    assert validate_order(order(), short, ValidationPolicy(check_stock=False)).state == "ready"


# --- all reasons at once -----------------------------------------------------------------------


def test_every_reason_is_given_at_once_in_a_fixed_order():
    troubled = order(financial_status="pending", shipping_address=address(zip=None))
    shopify = plan(
        StockLine(1, needed=2, on_hand=1, sku="SKU-1"),
        on_hold=("Held in Shopify: high risk of fraud",),
    )

    verdict = validate_order(troubled, shopify)

    assert verdict.state == "on_hold"
    assert verdict.reasons == (
        "Payment pending: wait for the payment to clear before shipping",
        "Shipping address is missing the postal code: correct it in Shopify",
        "Held in Shopify: high risk of fraud",
        "Not enough stock at Main warehouse: SKU-1 (Blue mug) needs 2, 1 on hand",
    )
    assert verdict.reason == "; ".join(verdict.reasons)


def test_repeated_reasons_appear_once():
    held = plan(on_hold=("Held in Shopify: awaiting payment",) * 2)

    assert validate_order(order(), held).reasons == ("Held in Shopify: awaiting payment",)
