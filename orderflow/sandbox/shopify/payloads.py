"""REST-shaped documents: webhook bodies and control-API answers.

Shapes follow ../shared/fixtures/shopify/webhooks (API 2026-07): ids as JSON integers
(above 2**53), money as strings with `*_set` bags, timestamps with the shop's offset.
"""

from __future__ import annotations

from decimal import Decimal

from .fulfillments import latest_event
from .models import Customer, Fulfillment, FulfillmentEvent, LineItem, Order, Shop, Variant
from .util import gid, money, money_set, rest_time, shop_name

ZERO = Decimal("0")


def order_document(shop: Shop, order: Order) -> dict:
    cur = order.currency
    subtotal = sum((li.price * li.quantity for li in order.line_items), ZERO)
    current_subtotal = sum((li.price * li.current_quantity for li in order.line_items), ZERO)
    cancelled = order.cancelled_at is not None
    shipping = ZERO if cancelled else order.shipping_price
    total = subtotal + order.shipping_price
    current_total = current_subtotal + shipping
    outstanding = total if order.financial_status in ("pending", "authorized") else ZERO
    doc = {
        "id": order.id,
        "admin_graphql_api_id": gid("Order", order.id),
        "app_id": None, "browser_ip": None, "buyer_accepts_marketing": False,
        "cancel_reason": order.cancel_reason,
        "cancelled_at": rest_time(order.cancelled_at),
        "cart_token": None, "checkout_token": None, "client_details": None, "closed_at": None,
        "confirmation_number": order.token[:9].upper(), "confirmed": True,
        "contact_email": order.email,
        "created_at": rest_time(order.created_at),
        "currency": cur,
        "current_shipping_price_set": money_set(shipping, cur),
        "current_subtotal_price": money(current_subtotal),
        "current_subtotal_price_set": money_set(current_subtotal, cur),
        "current_total_additional_fees_set": None,
        "current_total_discounts": "0.00",
        "current_total_discounts_set": money_set(ZERO, cur),
        "current_total_duties_set": None,
        "current_total_price": money(current_total),
        "current_total_price_set": money_set(current_total, cur),
        "current_total_tax": "0.00",
        "current_total_tax_set": money_set(ZERO, cur),
        "customer_locale": "en", "device_id": None, "discount_codes": [],
        "duties_included": False,
        "email": order.email,
        "estimated_taxes": False,
        "financial_status": order.financial_status,
        "fulfillment_status": _fulfillment_status(order),
        "landing_site": None, "landing_site_ref": None, "location_id": None,
        "merchant_business_entity_id": None, "merchant_of_record_app_id": None,
        "name": order.name,
        "note": order.note,
        "note_attributes": [],
        "number": order.number - 1000,
        "order_number": order.number,
        "order_status_url": f"https://{shop.domain}/{shop.id}/orders/{order.token}/authenticate"
                            f"?key={order.token[:16]}",
        "original_total_additional_fees_set": None, "original_total_duties_set": None,
        "payment_gateway_names": ["bogus"],
        "phone": order.phone, "po_number": None,
        "presentment_currency": cur,
        "processed_at": rest_time(order.created_at),
        "reference": None, "referring_site": None, "source_identifier": None,
        "source_name": "web", "source_url": None,
        "subtotal_price": money(subtotal),
        "subtotal_price_set": money_set(subtotal, cur),
        "tags": ", ".join(order.tags),
        "tax_exempt": False, "tax_lines": [], "taxes_included": False,
        "test": order.test,
        "token": order.token,
        "total_cash_rounding_payment_adjustment_set": money_set(ZERO, cur),
        "total_cash_rounding_refund_adjustment_set": money_set(ZERO, cur),
        "total_discounts": "0.00",
        "total_discounts_set": money_set(ZERO, cur),
        "total_line_items_price": money(subtotal),
        "total_line_items_price_set": money_set(subtotal, cur),
        "total_outstanding": money(outstanding),
        "total_price": money(total),
        "total_price_set": money_set(total, cur),
        "total_shipping_price_set": money_set(order.shipping_price, cur),
        "total_tax": "0.00",
        "total_tax_set": money_set(ZERO, cur),
        "total_tip_received": "0.00",
        "total_weight": sum(li.grams * li.quantity for li in order.line_items),
        "updated_at": rest_time(order.updated_at),
        "user_id": None,
        "billing_address": order.billing_address,
        "customer": customer_document(order.customer, cur),
        "discount_applications": [],
        "fulfillments": [fulfillment_document(order, f) for f in order.fulfillments],
        "line_items": [line_item_document(li, cur) for li in order.line_items],
        "payment_terms": None,
        "refunds": [],
        "shipping_address": order.shipping_address,
        "shipping_lines": _shipping_lines(order),
        "returns": [],
        "line_item_groups": [],
    }
    return doc


def _fulfillment_status(order: Order) -> str | None:
    fulfilled = sum(li.fulfilled_quantity for li in order.line_items)
    if fulfilled == 0:
        return None
    return "fulfilled" if all(li.fulfillable_quantity == 0 for li in order.line_items) \
        else "partial"


def line_item_document(li: LineItem, cur: str) -> dict:
    variant: Variant | None = li.variant
    return {
        "id": li.id,
        "admin_graphql_api_id": gid("LineItem", li.id),
        "attributed_staffs": [],
        "current_quantity": li.current_quantity,
        "fulfillable_quantity": li.fulfillable_quantity,
        "fulfillment_service": "manual",
        "fulfillment_status": None if li.fulfilled_quantity == 0 else (
            "fulfilled" if li.fulfillable_quantity == 0 else "partial"),
        "gift_card": li.gift_card,
        "grams": li.grams,
        "name": li.title,
        "price": money(li.price),
        "price_set": money_set(li.price, cur),
        "product_exists": variant is not None,
        "product_id": variant.product_id if variant else None,
        "properties": [],
        "quantity": li.quantity,
        "requires_shipping": li.requires_shipping,
        "sales_line_item_group_id": None,
        "sku": li.sku,
        "taxable": True,
        "title": li.title,
        "total_discount": "0.00",
        "total_discount_set": money_set(ZERO, cur),
        "variant_id": variant.id if variant else None,
        "variant_inventory_management": ("shopify" if variant and variant.tracked else None),
        "variant_title": None,
        "vendor": None,
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [],
    }


# The key order of the fulfillments/create sample body's line items.
_FULFILLMENT_LINE_KEYS = (
    "id", "variant_id", "title", "quantity", "sku", "variant_title", "vendor",
    "fulfillment_service", "product_id", "requires_shipping", "taxable", "gift_card", "name",
    "variant_inventory_management", "properties", "product_exists", "fulfillable_quantity",
    "grams", "price", "total_discount", "fulfillment_status", "price_set",
    "total_discount_set", "discount_allocations", "duties", "admin_graphql_api_id",
    "tax_lines")


def fulfillment_document(order: Order, fulfillment: Fulfillment,
                         notify_customer: bool = False) -> dict:
    """REST fulfillment: the fulfillments/create body and an entry of order["fulfillments"].

    `quantity` of a line item is the quantity in this fulfillment. With `notify_customer`
    the request's notifyCustomer is added (REST create field; not in webhook bodies).
    """
    latest = latest_event(fulfillment)
    lines = []
    for line in fulfillment.lines:
        full = {**line_item_document(line.line_item, order.currency), "quantity": line.quantity}
        lines.append({key: full[key] for key in _FULFILLMENT_LINE_KEYS})
    doc = {
        "id": fulfillment.id,
        "order_id": order.id,
        "status": fulfillment.status.lower(),
        "created_at": rest_time(fulfillment.created_at),
        "service": "manual",
        "updated_at": rest_time(fulfillment.updated_at),
        "tracking_company": fulfillment.tracking_company,
        "shipment_status": latest.status.lower() if latest else None,
        "location_id": fulfillment.location.id,
        "origin_address": fulfillment.origin_address,
        "email": order.email,
        "destination": order.shipping_address,
        "line_items": lines,
        "tracking_number": fulfillment.tracking_numbers[0] if fulfillment.tracking_numbers
        else None,
        "tracking_numbers": list(fulfillment.tracking_numbers),
        "tracking_url": fulfillment.tracking_urls[0] if fulfillment.tracking_urls else None,
        "tracking_urls": [u for u in fulfillment.tracking_urls if u],
        "receipt": {},
        "name": fulfillment.name,
        "admin_graphql_api_id": gid("Fulfillment", fulfillment.id),
    }
    if notify_customer:
        doc["notify_customer"] = fulfillment.notify_customer
    return doc


def fulfillment_event_document(shop: Shop, event: FulfillmentEvent) -> dict:
    """REST fulfillment_event (the fulfillment_events/create body)."""
    return {
        "id": event.id,
        "fulfillment_id": event.fulfillment_id,
        "status": event.status.lower(),
        "message": event.message,
        "happened_at": rest_time(event.happened_at),
        "city": event.city,
        "province": event.province,
        "country": event.country,
        "zip": event.zip,
        "address1": event.address1,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "shop_id": shop.id,
        "created_at": rest_time(event.created_at),
        "updated_at": rest_time(event.created_at),
        "estimated_delivery_at": rest_time(event.estimated_delivery_at),
        "order_id": event.order_id,
        "admin_graphql_api_id": gid("FulfillmentEvent", event.id),
    }


def _shipping_lines(order: Order) -> list[dict]:
    if not any(li.requires_shipping for li in order.line_items):
        return []
    cur, price = order.currency, order.shipping_price
    return [{
        "id": order.shipping_line_id,
        "carrier_identifier": None,
        "code": "Standard",
        "current_discounted_price_set": money_set(price, cur),
        "discounted_price": money(price),
        "discounted_price_set": money_set(price, cur),
        "is_removed": False,
        "phone": None,
        "price": money(price),
        "price_set": money_set(price, cur),
        "requested_fulfillment_service_id": None,
        "source": "shopify",
        "title": "Standard",
        "tax_lines": [],
        "discount_allocations": [],
    }]


def customer_document(customer: Customer | None, cur: str) -> dict | None:
    if customer is None:
        return None
    return {
        "id": customer.id,
        "created_at": rest_time(customer.created_at),
        "updated_at": rest_time(customer.created_at),
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "state": "disabled",
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "email": customer.email,
        "phone": customer.phone,
        "currency": cur,
        "tax_exemptions": [],
        "admin_graphql_api_id": gid("Customer", customer.id),
        "default_address": customer.default_address,
    }


def shop_document(shop: Shop) -> dict:
    """The app/uninstalled body (and the control API's shop answer, extended there)."""
    return {
        "id": shop.id, "name": shop.name, "email": shop.email,
        "domain": shop.domain, "province": "California", "country": "US",
        "address1": "388 Townsend St", "zip": "94107", "city": "San Francisco",
        "source": None, "phone": "4155550100", "latitude": None, "longitude": None,
        "primary_locale": "en", "address2": None,
        "created_at": rest_time(shop.created_at), "updated_at": rest_time(shop.created_at),
        "country_code": "US", "country_name": "United States", "currency": shop.currency,
        "customer_email": shop.email,
        "timezone": "(GMT-05:00) Eastern Time (US & Canada)",
        "iana_timezone": "America/New_York", "shop_owner": shop_name(shop.domain).title(),
        "money_format": "${{amount}}", "money_with_currency_format": "${{amount}} "
                                                                     + shop.currency,
        "weight_unit": "kg", "province_code": "CA", "taxes_included": False,
        "auto_configure_tax_inclusivity": None, "tax_shipping": None, "county_taxes": True,
        "plan_display_name": "Basic", "plan_name": "basic", "has_discounts": False,
        "has_gift_cards": True, "myshopify_domain": shop.domain, "google_apps_domain": None,
        "google_apps_login_enabled": None, "money_in_emails_format": "${{amount}}",
        "money_with_currency_in_emails_format": "${{amount}} " + shop.currency,
        "eligible_for_payments": True, "requires_extra_payments_agreement": False,
        "password_enabled": False, "has_storefront": True, "finances": True,
        "primary_location_id": shop.locations[0].id if shop.locations else None,
        "checkout_api_supported": True, "multi_location_enabled": True,
        "setup_required": False, "pre_launch_enabled": False,
        "enabled_presentment_currencies": [shop.currency],
        "marketing_sms_consent_enabled_at_checkout": False,
        "transactional_sms_disabled": False,
    }


def variant_document(variant: Variant, shop: Shop) -> dict:
    """Control-API view of a variant (not a Shopify webhook shape)."""
    names = {loc.id: loc.name for loc in shop.locations}
    return {
        "id": variant.id, "product_id": variant.product_id, "title": variant.title,
        "sku": variant.sku, "price": money(variant.price), "grams": variant.grams,
        "requires_shipping": variant.requires_shipping, "gift_card": variant.gift_card,
        "tracked": variant.tracked,
        "inventory_item_id": variant.inventory_item_id,
        "admin_graphql_api_id": gid("ProductVariant", variant.id),
        "inventory_item_gid": gid("InventoryItem", variant.inventory_item_id),
        "inventory": {names[loc]: qty for loc, qty in variant.inventory.items()},
        "weight": dict(variant.weight) if variant.weight else None,
    }


def customer_payload(shop: Shop, customer: Customer, order_ids: list[int],
                     data_request_id: int | None) -> dict:
    """customers/redact (data_request_id None) or customers/data_request body."""
    body = {
        "shop_id": shop.id,
        "shop_domain": shop.domain,
        "customer": {"id": customer.id, "email": customer.email, "phone": customer.phone},
    }
    if data_request_id is None:
        body["orders_to_redact"] = order_ids
    else:
        body["orders_requested"] = order_ids
        body["data_request"] = {"id": data_request_id}
    return body


def shop_redact_payload(shop: Shop) -> dict:
    return {"shop_id": shop.id, "shop_domain": shop.domain}
