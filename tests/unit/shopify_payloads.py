"""The Shopify payloads the mapping tests start from: the recorded REST ones in
shared/fixtures/shopify, a GraphQL order node and fulfillment orders built to match them.
"""

import copy
import json
from pathlib import Path

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


# --- fulfilment orders -------------------------------------------------------------------------


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
