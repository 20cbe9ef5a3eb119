"""GraphQL Admin API objects, as dicts holding every field the sandbox can answer.

`selection.project` copies out only what a query selects. Values that depend on arguments are
callables taking the field's arguments; lists that are connections are `Connection`s.
Shapes: ids are gid strings, legacyResourceId a string of digits, money amounts decimal
strings, DateTime UTC with Z, enums upper case.
"""

from __future__ import annotations

from .models import (Customer, FulfillmentOrder, FulfillmentOrderLine, LineItem, Order, Shop,
                     Subscription, Variant)
from .selection import Connection
from .util import gid, gql_time, money


def shop_node(shop: Shop) -> dict:
    return {
        "__typename": "Shop", "id": gid("Shop", shop.id), "name": shop.name,
        "email": shop.email, "contactEmail": shop.email, "myshopifyDomain": shop.domain,
        "currencyCode": shop.currency, "ianaTimezone": "America/New_York",
        "timezoneAbbreviation": "EST", "weightUnit": "KILOGRAMS",
        "primaryDomain": {"__typename": "Domain", "host": shop.domain,
                          "url": f"https://{shop.domain}"},
        "plan": {"__typename": "ShopPlan", "displayName": "Basic", "partnerDevelopment": True,
                 "shopifyPlus": False},
    }


def _money_bag(amount, currency: str) -> dict:
    value = {"__typename": "MoneyV2", "amount": money(amount), "currencyCode": currency}
    return {"__typename": "MoneyBag", "shopMoney": value, "presentmentMoney": dict(value)}


def address_node(address: dict | None) -> dict | None:
    if address is None:
        return None
    return {
        "__typename": "MailingAddress", "name": address.get("name"),
        "firstName": address.get("first_name"), "lastName": address.get("last_name"),
        "company": address.get("company"), "address1": address.get("address1"),
        "address2": address.get("address2"), "city": address.get("city"),
        "province": address.get("province"), "provinceCode": address.get("province_code"),
        "zip": address.get("zip"), "country": address.get("country"),
        "countryCodeV2": address.get("country_code"), "countryCode": address.get("country_code"),
        "phone": address.get("phone"),
    }


def customer_node(customer: Customer | None) -> dict | None:
    if customer is None:
        return None
    return {
        "__typename": "Customer", "id": gid("Customer", customer.id),
        "legacyResourceId": str(customer.id), "firstName": customer.first_name,
        "lastName": customer.last_name, "displayName": " ".join(
            p for p in (customer.first_name, customer.last_name) if p),
        "defaultEmailAddress": {"__typename": "CustomerEmailAddress",
                                "emailAddress": customer.email} if customer.email else None,
        "defaultPhoneNumber": {"__typename": "CustomerPhoneNumber",
                               "phoneNumber": customer.phone} if customer.phone else None,
        "defaultAddress": address_node(customer.default_address),
    }


def order_node(order: Order) -> dict:
    cur = order.currency
    total = sum(li.price * li.quantity for li in order.line_items) + order.shipping_price
    return {
        "__typename": "Order", "id": gid("Order", order.id),
        "legacyResourceId": str(order.id), "name": order.name, "email": order.email,
        "phone": order.phone, "createdAt": gql_time(order.created_at),
        "updatedAt": gql_time(order.updated_at), "processedAt": gql_time(order.created_at),
        "cancelledAt": gql_time(order.cancelled_at),
        "cancelReason": order.cancel_reason.upper() if order.cancel_reason else None,
        "closed": False, "test": order.test, "note": order.note, "tags": list(order.tags),
        "currencyCode": cur,
        "displayFinancialStatus": order.financial_status.upper(),
        "displayFulfillmentStatus": _fulfillment_status(order),
        "totalPriceSet": _money_bag(total, cur),
        "customer": customer_node(order.customer),
        "shippingAddress": address_node(order.shipping_address),
        "billingAddress": address_node(order.billing_address),
        "requiresShipping": any(li.requires_shipping for li in order.line_items),
        "lineItems": Connection(order.line_items, _by_id, lambda li: line_item_node(li, cur)),
        "fulfillmentOrders": Connection(order.fulfillment_orders, _by_id,
                                        fulfillment_order_node),
    }


def _by_id(record) -> tuple:
    return (record.id,)


def _fulfillment_status(order: Order) -> str:
    fulfilled = sum(li.fulfilled_quantity for li in order.line_items)
    if fulfilled == 0:
        return "UNFULFILLED"
    if all(li.fulfillable_quantity == 0 for li in order.line_items):
        return "FULFILLED"
    return "PARTIALLY_FULFILLED"


def line_item_node(li: LineItem, cur: str) -> dict:
    variant = li.variant
    return {
        "__typename": "LineItem", "id": gid("LineItem", li.id), "title": li.title,
        "name": li.title, "sku": li.sku, "quantity": li.quantity,
        "currentQuantity": li.current_quantity, "requiresShipping": li.requires_shipping,
        "isGiftCard": li.gift_card, "unfulfilledQuantity": li.fulfillable_quantity,
        "originalUnitPriceSet": _money_bag(li.price, cur),
        "variant": _variant_ref(variant),
        "product": {"__typename": "Product", "id": gid("Product", variant.product_id),
                    "legacyResourceId": str(variant.product_id)} if variant else None,
    }


def _variant_ref(variant: Variant | None) -> dict | None:
    if variant is None:
        return None
    return {"__typename": "ProductVariant", "id": gid("ProductVariant", variant.id),
            "legacyResourceId": str(variant.id), "sku": variant.sku,
            "inventoryItem": {"__typename": "InventoryItem",
                              "id": gid("InventoryItem", variant.inventory_item_id)}}


def fulfillment_order_node(fo: FulfillmentOrder) -> dict:
    location = {"__typename": "Location", "id": gid("Location", fo.location.id),
                "legacyResourceId": str(fo.location.id), "name": fo.location.name}
    return {
        "__typename": "FulfillmentOrder", "id": gid("FulfillmentOrder", fo.id),
        "status": fo.status,
        "assignedLocation": {"__typename": "FulfillmentOrderAssignedLocation",
                             "name": fo.location.name, "location": location},
        "fulfillmentHolds": [{"__typename": "FulfillmentHold", **hold} for hold in fo.holds],
        "lineItems": Connection(fo.lines, _by_id, _fulfillment_line_node),
    }


def _fulfillment_line_node(line: FulfillmentOrderLine) -> dict:
    item, variant = line.line_item, line.line_item.variant
    return {
        "__typename": "FulfillmentOrderLineItem",
        "id": gid("FulfillmentOrderLineItem", line.id),
        "remainingQuantity": line.remaining, "totalQuantity": item.quantity,
        "requiresShipping": item.requires_shipping, "sku": item.sku,
        "inventoryItemId": gid("InventoryItem", variant.inventory_item_id) if variant else None,
        "lineItem": {"__typename": "LineItem", "id": gid("LineItem", item.id)},
    }


def inventory_item_node(shop: Shop, variant: Variant) -> dict:
    def level(args: dict) -> dict | None:
        location_id = str(args.get("locationId") or "").rsplit("/", 1)[-1]
        location = next((loc for loc in shop.locations if str(loc.id) == location_id), None)
        if location is None or location.id not in variant.inventory:
            return None
        on_hand = variant.inventory[location.id]
        amounts = {"on_hand": on_hand, "available": on_hand, "committed": 0, "incoming": 0,
                   "reserved": 0, "damaged": 0, "safety_stock": 0, "quality_control": 0}
        return {
            "__typename": "InventoryLevel",
            "id": f"gid://shopify/InventoryLevel/{location.id}?inventory_item_id="
                  f"{variant.inventory_item_id}",
            "location": {"__typename": "Location", "id": gid("Location", location.id)},
            "quantities": lambda qargs: [
                {"__typename": "InventoryQuantity", "name": name, "quantity": amounts[name]}
                for name in (qargs.get("names") or []) if name in amounts],
        }

    return {
        "__typename": "InventoryItem", "id": gid("InventoryItem", variant.inventory_item_id),
        "legacyResourceId": str(variant.inventory_item_id), "sku": variant.sku,
        "tracked": variant.tracked, "requiresShipping": variant.requires_shipping,
        "inventoryLevel": level,
    }


def subscription_node(sub: Subscription) -> dict:
    return {
        "__typename": "WebhookSubscription", "id": gid("WebhookSubscription", sub.id),
        "topic": sub.topic, "uri": sub.uri, "format": sub.format,
        "createdAt": gql_time(sub.created_at), "updatedAt": gql_time(sub.created_at),
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": sub.uri},
    }
