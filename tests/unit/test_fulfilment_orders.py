"""The one fulfilment-order answer read for shipping: what is left to ship, where from, and
what it weighs (validation's reading is in test_mapping.py)."""

from decimal import Decimal

import pytest

from orderflow.fulfilment.types import Address
from orderflow.integrations.shopify.fulfilment_orders import (
    QUERY,
    open_fulfilment_orders,
    to_ship,
)
from orderflow.integrations.shopify.readers import PayloadError

WAREHOUSE = {"name": "Main warehouse", "address1": "1 Dock St", "address2": None,
             "city": "Portland", "province": "Oregon", "countryCode": "US", "zip": "97205",
             "phone": "555-0100", "location": {"id": "gid://shopify/Location/7"}}


def line(number, remaining=1, *, weight=None, ships=True, title="Mug", sku="MUG"):
    return {"id": f"gid://shopify/FulfillmentOrderLineItem/{number}",
            "remainingQuantity": remaining, "requiresShipping": ships, "sku": sku,
            "inventoryItemId": None, "productTitle": title, "weight": weight,
            "lineItem": {"id": f"gid://shopify/LineItem/{number}"}}


def answer(*fulfilment_orders):
    return {"order": {"id": "gid://shopify/Order/1", "fulfillmentOrders": {"nodes": [
        {"id": f"gid://shopify/FulfillmentOrder/{n}", "status": status,
         "assignedLocation": WAREHOUSE, "fulfillmentHolds": [],
         "lineItems": {"pageInfo": {"hasNextPage": False}, "nodes": lines}}
        for n, (status, lines) in enumerate(fulfilment_orders, 1)]}}}


def test_the_query_is_the_operation_the_sandbox_knows():
    assert QUERY.split("(")[0].split() == ["query", "OrderFulfillmentOrders"]


def test_only_open_fulfilment_orders_with_something_physical_left_are_shipped():
    data = answer(("OPEN", [line(1), line(2, ships=False), line(3, remaining=0)]),
                  ("ON_HOLD", [line(4)]), ("SCHEDULED", [line(5)]),
                  ("IN_PROGRESS", [line(6, ships=False)]), ("CLOSED", [line(7)]))
    [fo] = to_ship(open_fulfilment_orders(data))
    assert fo.id == "gid://shopify/FulfillmentOrder/1"
    assert [ln.id for ln in fo.lines] == ["gid://shopify/FulfillmentOrderLineItem/1"]


def test_weights_are_read_in_grams():
    data = answer(("OPEN", [line(1, weight={"unit": "GRAMS", "value": 450.0}),
                            line(2, weight={"unit": "POUNDS", "value": 2.5}),
                            line(3, weight={"unit": "KILOGRAMS", "value": 0}),
                            line(4)]))
    weights = [ln.weight_g for ln in to_ship(open_fulfilment_orders(data))[0].lines]
    assert weights == [Decimal("450.0"), Decimal("2.5") * Decimal("453.59237"), None, None]


@pytest.mark.parametrize("weight", [{"unit": "STONES", "value": 1}, {"value": "heavy"},
                                    {"unit": "GRAMS", "value": float("nan")}])
def test_an_unreadable_weight_is_refused(weight):
    with pytest.raises(PayloadError, match="weight"):
        open_fulfilment_orders(answer(("OPEN", [line(1, weight=weight)])))


def test_the_location_address_is_where_it_ships_from():
    [fo] = open_fulfilment_orders(answer(("OPEN", [line(1)])))
    assert fo.origin == Address(name="Main warehouse", address1="1 Dock St", city="Portland",
                                province_code="Oregon", zip="97205", country_code="US",
                                phone="555-0100")
    assert fo.location_id == "gid://shopify/Location/7"


def test_a_location_without_a_street_gives_no_origin():
    data = answer(("OPEN", [line(1)]))
    data["order"]["fulfillmentOrders"]["nodes"][0]["assignedLocation"] = {"name": "Pop-up"}
    assert open_fulfilment_orders(data)[0].origin is None
