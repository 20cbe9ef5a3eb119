"""Shopify's fulfillment orders and inventory levels mapped to open fulfilment orders, holds,
stock and a fulfilment plan."""

import pytest

from orderflow.fulfilment.types import FulfilmentPlan, StockLine
from orderflow.integrations.shopify.fulfilment_orders import (
    FulfilmentOrderLine,
    OpenFulfilmentOrder,
    open_fulfilment_orders,
)
from orderflow.integrations.shopify.inventory import fulfilment_plan, inventory_levels
from orderflow.integrations.shopify.readers import PayloadError

from .shopify_payloads import FULFILMENT_ORDERS, fulfilment_order


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
