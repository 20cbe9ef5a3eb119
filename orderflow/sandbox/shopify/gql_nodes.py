"""GraphQL Admin API objects, as dicts holding every field the sandbox can answer.

`selection.project` copies out only what a query selects. Values that depend on arguments are
callables taking the field's arguments; lists that are connections are `Connection`s.
Shapes: ids are gid strings, legacyResourceId a string of digits, money amounts decimal
strings, DateTime UTC with Z, enums upper case.
"""

from __future__ import annotations

from .fulfillments import latest_event
from .models import (
    Customer,
    Fulfillment,
    FulfillmentEvent,
    FulfillmentLine,
    FulfillmentOrder,
    FulfillmentOrderLine,
    LineItem,
    Location,
    Order,
    Shop,
    Subscription,
    Variant,
)
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
        "fulfillments": lambda args: [fulfillment_node(f) for f in
                                      _first(order.fulfillments, args)],
    }


def _first(items: list, args: dict) -> list:
    """A plain list field with an optional `first` argument (Order.fulfillments...)."""
    first = args.get("first")
    return list(items) if first is None else list(items)[: max(int(first), 0)]


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


def location_node(location: Location) -> dict:
    a = location.address
    formatted = [a.get("address1"), a.get("address2"),
                 " ".join(p for p in (a.get("city"), a.get("province_code"), a.get("zip")) if p),
                 a.get("country")]
    return {
        "__typename": "Location", "id": gid("Location", location.id),
        "legacyResourceId": str(location.id), "name": location.name, "isActive": True,
        "fulfillsOnlineOrders": True, "shipsInventory": True,
        "address": {
            "__typename": "LocationAddress", "address1": a.get("address1"),
            "address2": a.get("address2"), "city": a.get("city"),
            "province": a.get("province"), "provinceCode": a.get("province_code"),
            "country": a.get("country"), "countryCode": a.get("country_code"),
            "zip": a.get("zip"), "phone": a.get("phone"),
            "formatted": [p for p in formatted if p],
        },
    }


def fulfillment_order_node(fo: FulfillmentOrder) -> dict:
    a = fo.location.address
    return {
        "__typename": "FulfillmentOrder", "id": gid("FulfillmentOrder", fo.id),
        "legacyResourceId": str(fo.id), "status": fo.status, "requestStatus": "UNSUBMITTED",
        "orderId": gid("Order", fo.order_id),
        "assignedLocation": {
            "__typename": "FulfillmentOrderAssignedLocation", "name": fo.location.name,
            "address1": a.get("address1"), "address2": a.get("address2"),
            "city": a.get("city"), "province": a.get("province"),
            "countryCode": a.get("country_code"), "zip": a.get("zip"),
            "phone": a.get("phone"), "location": location_node(fo.location)},
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
        "productTitle": item.title, "variantTitle": None, "vendor": None,
        "weight": {"__typename": "Weight", **item.weight} if item.weight else None,
        "inventoryItemId": gid("InventoryItem", variant.inventory_item_id) if variant else None,
        "variant": _variant_ref(variant),
        "lineItem": {"__typename": "LineItem", "id": gid("LineItem", item.id)},
    }


# FulfillmentEventStatus values that are also FulfillmentDisplayStatus values.
_DISPLAY_FROM_EVENT = ("LABEL_PURCHASED", "LABEL_PRINTED", "CONFIRMED", "CARRIER_PICKED_UP",
                       "IN_TRANSIT", "OUT_FOR_DELIVERY", "ATTEMPTED_DELIVERY", "DELAYED",
                       "READY_FOR_PICKUP", "DELIVERED", "FAILURE")


def fulfillment_node(f: Fulfillment) -> dict:
    latest = latest_event(f)
    delivered = next((e for e in f.events if e.status == "DELIVERED"), None)
    in_transit = next((e for e in f.events if e.status == "IN_TRANSIT"), None)
    tracking = [{"__typename": "FulfillmentTrackingInfo", "company": f.tracking_company,
                 "number": number, "url": url}
                for number, url in zip(f.tracking_numbers, f.tracking_urls, strict=False)]
    if not tracking and f.tracking_company:
        tracking = [{"__typename": "FulfillmentTrackingInfo", "company": f.tracking_company,
                     "number": None, "url": None}]
    origin = f.origin_address
    return {
        "__typename": "Fulfillment", "id": gid("Fulfillment", f.id),
        "legacyResourceId": str(f.id), "name": f.name, "status": f.status,
        "displayStatus": "CANCELED" if f.status == "CANCELLED" else latest.status
        if latest and latest.status in _DISPLAY_FROM_EVENT else "FULFILLED",
        "createdAt": gql_time(f.created_at), "updatedAt": gql_time(f.updated_at),
        "deliveredAt": gql_time(delivered.happened_at) if delivered else None,
        "inTransitAt": gql_time(in_transit.happened_at) if in_transit else None,
        "estimatedDeliveryAt": gql_time(next(
            (e.estimated_delivery_at for e in sorted(f.events, key=lambda e: e.happened_at,
                                                     reverse=True)
             if e.estimated_delivery_at), None)),
        "requiresShipping": any(ln.line_item.requires_shipping for ln in f.lines),
        "totalQuantity": sum(ln.quantity for ln in f.lines),
        "trackingInfo": lambda args: _first(tracking, args),
        "location": location_node(f.location),
        "originAddress": None if origin is None else {
            "__typename": "FulfillmentOriginAddress", "address1": origin["address1"],
            "address2": origin["address2"], "city": origin["city"],
            "countryCode": origin["country_code"], "provinceCode": origin["province_code"],
            "zip": origin["zip"]},
        "order": {"__typename": "Order", "id": gid("Order", f.order_id),
                  "legacyResourceId": str(f.order_id)},
        "fulfillmentLineItems": Connection(f.lines, _by_id, _fulfillment_line_item_node),
        "events": Connection(sorted(f.events, key=lambda e: (e.happened_at, e.id)),
                             lambda e: (int(e.happened_at.timestamp()), e.id),
                             fulfillment_event_node),
    }


def _fulfillment_line_item_node(line: FulfillmentLine) -> dict:
    return {"__typename": "FulfillmentLineItem", "id": gid("FulfillmentLineItem", line.id),
            "quantity": line.quantity,
            "lineItem": {"__typename": "LineItem", "id": gid("LineItem", line.line_item.id),
                         "sku": line.line_item.sku, "title": line.line_item.title}}


def fulfillment_event_node(e: FulfillmentEvent) -> dict:
    return {
        "__typename": "FulfillmentEvent", "id": gid("FulfillmentEvent", e.id),
        "status": e.status, "message": e.message, "happenedAt": gql_time(e.happened_at),
        "createdAt": gql_time(e.created_at), "city": e.city, "province": e.province,
        "country": e.country, "zip": e.zip, "address1": e.address1, "latitude": e.latitude,
        "longitude": e.longitude, "estimatedDeliveryAt": gql_time(e.estimated_delivery_at),
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
