"""Shopify's orders as our `OrderSnapshot`, from either of the two shapes that describe one.

The REST body of the `orders/*` webhooks and the Admin GraphQL node selected by
`queries.ORDER_FIELDS` map to the same snapshot. Whatever JSON value arrives, a function here
returns a snapshot or raises `PayloadError` naming the part it cannot use (readers.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ...fulfilment.types import Address, Customer, LineItem, Money, OrderSnapshot
from .. import json_readers as read
from .ids import gid_id
from .readers import Fields, clamped_count, default, lower_text, text_list, upper_text

_NO_CURRENCY = "XXX"  # ISO 4217's code for "no currency", for a payload that names none

_REST_FULFILLMENT_STATUS = {
    "FULFILLED": "fulfilled",
    "PARTIALLY_FULFILLED": "partial",
    "RESTOCKED": "restocked",
}

_REST_ADDRESS_KEYS = {
    "name": "name",
    "company": "company",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "province": "province",
    "province_code": "province_code",
    "zip": "zip",
    "country": "country",
    "country_code": "country_code",
    "phone": "phone",
}

_GRAPHQL_ADDRESS_KEYS = {
    **_REST_ADDRESS_KEYS,
    "province_code": "provinceCode",
    "country_code": "countryCodeV2",
}


# --- orders: shared pieces ---------------------------------------------------------------------


def _full_name(first: str | None, last: str | None) -> str | None:
    return " ".join(part for part in (first, last) if part) or None


def _rest_address(address: Fields | None) -> Address | None:
    return _address(address, _REST_ADDRESS_KEYS, "first_name", "last_name")


def _graphql_address(address: Fields | None) -> Address | None:
    return _address(address, _GRAPHQL_ADDRESS_KEYS, "firstName", "lastName")


def _address(
    address: Fields | None, keys: dict[str, str], first: str, last: str
) -> Address | None:
    """An address; one with no field filled in is no address at all."""
    if address is None:
        return None
    parts = {field: address.get(key, read.trimmed_text) for field, key in keys.items()}
    if not parts["name"]:
        parts["name"] = _full_name(*(address.get(key, read.trimmed_text) for key in (first, last)))
    for code in ("province_code", "country_code"):
        parts[code] = parts[code].upper() if parts[code] else None
    return Address(**parts) if any(parts.values()) else None


def _tags(tags: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(tag for tag in tags if tag)


# --- orders: the REST webhook body -------------------------------------------------------------


def order_from_webhook(payload: Any) -> OrderSnapshot:
    """The order in the REST body of an `orders/create`, `orders/updated` or `orders/cancelled`
    webhook (also the REST `order` resource)."""
    order = Fields.of(payload, "order payload")
    shopify_id = order.need("id", read.numeric_id)
    order = order.renamed(f"order {shopify_id}")
    updated_at = order.need("updated_at", read.timestamp)
    currency = default(order.get("currency", read.currency), _NO_CURRENCY)
    return OrderSnapshot(
        shopify_id=shopify_id,
        name=order.get("name", read.trimmed_text) or _fallback_name(order, shopify_id),
        created_at=default(order.get("created_at", read.timestamp), updated_at),
        updated_at=updated_at,
        total_price=Money(default(order.get("total_price", read.amount), Decimal(0)), currency),
        financial_status=order.get("financial_status", lower_text),
        fulfillment_status=order.get("fulfillment_status", lower_text),
        email=order.get("email", read.trimmed_text)
        or order.get("contact_email", read.trimmed_text),
        cancelled_at=order.get("cancelled_at", read.timestamp),
        cancel_reason=order.get("cancel_reason", lower_text),
        customer=_rest_customer(order.obj("customer")),
        shipping_address=_rest_address(order.obj("shipping_address")),
        billing_address=_rest_address(order.obj("billing_address")),
        line_items=tuple(
            _rest_line_item(line, currency) for line in order.each("line_items", "line item")
        ),
        test=default(order.get("test", read.flag), False),
        note=order.get("note", read.trimmed_text),
        tags=_tags(tag.strip() for tag in (order.get("tags", read.trimmed_text) or "").split(",")),
    )


def _fallback_name(order: Fields, shopify_id: int) -> str:
    number = order.get("order_number", read.numeric_id)
    return f"#{number}" if number is not None else str(shopify_id)


def _rest_customer(customer: Fields | None) -> Customer | None:
    """The customer; one without an id (a guest, or redacted) is left out."""
    shopify_id = customer.get("id", read.numeric_id) if customer is not None else None
    if customer is None or shopify_id is None:
        return None
    return Customer(
        shopify_id=shopify_id,
        email=customer.get("email", read.trimmed_text),
        first_name=customer.get("first_name", read.trimmed_text),
        last_name=customer.get("last_name", read.trimmed_text),
        phone=customer.get("phone", read.trimmed_text),
    )


def _rest_line_item(line: Fields, currency: str) -> LineItem:
    """A line item; a line without a price is taken as free (Shopify always sends one)."""
    shopify_id = line.need("id", read.numeric_id)
    line = line.renamed(f"line item {shopify_id}")
    return LineItem(
        shopify_id=shopify_id,
        title=line.get("title", read.trimmed_text) or line.get("name", read.trimmed_text) or "",
        # current_quantity follows order edits (a removed line drops to 0); quantity never does
        quantity=default(
            line.get("current_quantity", read.count), line.need("quantity", read.count)
        ),
        price=Money(default(line.get("price", read.amount), Decimal(0)), currency),
        sku=line.get("sku", read.trimmed_text),
        requires_shipping=default(line.get("requires_shipping", read.flag), True),
        gift_card=default(line.get("gift_card", read.flag), False),
        variant_id=line.get("variant_id", read.numeric_id),
        product_id=line.get("product_id", read.numeric_id),
        grams=line.get("grams", read.count),
        fulfillable_quantity=line.get("fulfillable_quantity", clamped_count),
    )


# --- orders: the GraphQL node ------------------------------------------------------------------


def order_from_graphql(node: Any) -> OrderSnapshot:
    """The order in a node selected by `queries.ORDER_FIELDS`."""
    order = Fields.of(node, "order node")
    shopify_id = _graphql_id(order, "Order")
    order = order.renamed(f"order {shopify_id}")
    updated_at = order.need("updatedAt", read.timestamp)
    total = _graphql_money(order.at("totalPriceSet", "shopMoney"), _NO_CURRENCY)
    return OrderSnapshot(
        shopify_id=shopify_id,
        name=order.get("name", read.trimmed_text) or str(shopify_id),
        created_at=default(order.get("createdAt", read.timestamp), updated_at),
        updated_at=updated_at,
        total_price=total,
        financial_status=order.get("displayFinancialStatus", lower_text),
        fulfillment_status=order.get("displayFulfillmentStatus", _rest_fulfillment_status),
        email=order.get("email", read.trimmed_text),
        cancelled_at=order.get("cancelledAt", read.timestamp),
        cancel_reason=order.get("cancelReason", lower_text),
        customer=_graphql_customer(order.obj("customer")),
        shipping_address=_graphql_address(order.obj("shippingAddress")),
        billing_address=_graphql_address(order.obj("billingAddress")),
        line_items=tuple(
            _graphql_line_item(line, total.currency)
            for line in order.nodes("lineItems", "line item")
        ),
        test=default(order.get("test", read.flag), False),
        note=order.get("note", read.trimmed_text),
        tags=_tags(order.get("tags", text_list) or ()),
    )


def _graphql_id(fields: Fields, kind: str) -> int:
    legacy = fields.get("legacyResourceId", read.numeric_id)
    return legacy if legacy is not None else fields.need("id", gid_id(kind))


def _rest_fulfillment_status(display_status: Any) -> str | None:
    """GraphQL's display status in the REST vocabulary, where an unfulfilled order has null."""
    return _REST_FULFILLMENT_STATUS.get(upper_text(display_status) or "")


def _graphql_money(money: Fields | None, currency: str) -> Money:
    """A MoneyV2 (`amount`, `currencyCode`); absent parts are zero in the given currency."""
    if money is None:
        return Money(Decimal(0), currency)
    return Money(
        default(money.get("amount", read.amount), Decimal(0)),
        default(money.get("currencyCode", read.currency), currency),
    )


def _graphql_customer(customer: Fields | None) -> Customer | None:
    if customer is None:
        return None
    legacy = customer.get("legacyResourceId", read.numeric_id)
    shopify_id = legacy if legacy is not None else customer.get("id", gid_id("Customer"))
    if shopify_id is None:
        return None
    email = customer.at("defaultEmailAddress")
    phone = customer.at("defaultPhoneNumber")
    return Customer(
        shopify_id=shopify_id,
        email=email.get("emailAddress", read.trimmed_text) if email else None,
        first_name=customer.get("firstName", read.trimmed_text),
        last_name=customer.get("lastName", read.trimmed_text),
        phone=phone.get("phoneNumber", read.trimmed_text) if phone else None,
    )


def _graphql_line_item(line: Fields, currency: str) -> LineItem:
    shopify_id = line.need("id", gid_id("LineItem"))
    line = line.renamed(f"line item {shopify_id}")
    variant, product = line.obj("variant"), line.obj("product")
    return LineItem(
        shopify_id=shopify_id,
        title=line.get("title", read.trimmed_text) or "",
        quantity=line.need("quantity", read.count),
        price=_graphql_money(line.at("originalUnitPriceSet", "shopMoney"), currency),
        sku=line.get("sku", read.trimmed_text),
        requires_shipping=default(line.get("requiresShipping", read.flag), True),
        gift_card=default(line.get("isGiftCard", read.flag), False),
        variant_id=variant.get("legacyResourceId", read.numeric_id) if variant else None,
        product_id=product.get("legacyResourceId", read.numeric_id) if product else None,
        fulfillable_quantity=line.get("unfulfilledQuantity", clamped_count),
    )
