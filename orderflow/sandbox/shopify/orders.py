"""Order lifecycle in the sandbox: create from a spec, edit, cancel, hold fulfillment orders.

Functions here change state only (the caller holds the store lock); webhooks are emitted by
`core.SandboxCore`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from .models import Customer, FulfillmentOrder, FulfillmentOrderLine, LineItem, Order, Shop
from .state import Store
from .util import utc_now, whole_seconds

FINANCIAL_STATUSES = ("pending", "authorized", "partially_paid", "paid", "partially_refunded",
                      "refunded", "voided", "expired")
CANCEL_REASONS = ("customer", "declined", "fraud", "inventory", "other", "staff")
DEFAULT_SHIPPING_PRICE = Decimal("10.00")

DEFAULT_ADDRESS = {
    "first_name": "Ada", "last_name": "Lovelace", "company": None,
    "address1": "388 Townsend St", "address2": "Suite 100", "city": "San Francisco",
    "province": "California", "province_code": "CA", "zip": "94107",
    "country": "United States", "country_code": "US", "phone": "+14155550123",
}
ADDRESS_KEYS = ("first_name", "address1", "phone", "city", "zip", "province", "country",
                "last_name", "address2", "company", "latitude", "longitude", "name",
                "country_code", "province_code")


class SpecError(ValueError):
    """A bad control-API request; answered with HTTP 422."""


def address(spec: dict | None, base: dict | None = None) -> dict | None:
    """A REST-shaped address: `spec` over `base`, every key present, `name` derived."""
    if spec is None:
        return None
    merged = {**(base or {}), **spec}
    out = {key: merged.get(key) for key in ADDRESS_KEYS}
    if not out["name"]:
        out["name"] = " ".join(p for p in (out["first_name"], out["last_name"]) if p) or None
    return out


def next_update_time(previous: datetime | None) -> datetime:
    """Now, in whole seconds, but always strictly after `previous`."""
    now = whole_seconds(utc_now())
    if previous is not None and now <= previous:
        return previous + timedelta(seconds=1)
    return now


def create_order(store: Store, shop: Shop, spec: dict) -> Order:
    lines = [_line_item(store, shop, raw) for raw in spec.get("line_items") or []]
    if not lines:
        raise SpecError("line_items must not be empty")
    financial = _financial_status(spec.get("financial_status", "paid"))
    customer = _customer(store, shop, spec)
    ships = any(line.requires_shipping for line in lines)
    shipping = _shipping_address(spec, customer, ships)
    billing = address(spec["billing_address"]) if "billing_address" in spec else (
        dict(shipping) if shipping else address({}, _customer_address_base(customer)))
    now = whole_seconds(utc_now())
    order = Order(
        id=store.ids.big(), number=shop.next_number, token=secrets.token_hex(16),
        email=spec.get("email") or (customer.email if customer else None),
        phone=spec.get("phone"), customer=customer, created_at=now, updated_at=now,
        financial_status=financial, currency=spec.get("currency") or shop.currency,
        line_items=lines, shipping_address=shipping, billing_address=billing,
        shipping_price=_decimal(spec.get("shipping_price", DEFAULT_SHIPPING_PRICE if ships
                                         else 0), "shipping_price"),
        shipping_line_id=store.ids.big(), note=spec.get("note"), tags=_tags(spec.get("tags")),
        test=bool(spec.get("test", False)))
    location = _location(store, shop, spec.get("location"))
    order.fulfillment_orders = [FulfillmentOrder(
        id=store.ids.big(), location=location, status="OPEN",
        lines=[FulfillmentOrderLine(store.ids.big(), li, li.fulfillable_quantity)
               for li in lines], order_id=order.id)]
    for fo in order.fulfillment_orders:
        shop.fulfillment_orders[fo.id] = fo
    shop.next_number += 1
    shop.orders[order.id] = order
    return order


def _line_item(store: Store, shop: Shop, raw: dict) -> LineItem:
    quantity = int(raw.get("quantity", 1))
    if quantity < 1:
        raise SpecError("line item quantity must be at least 1")
    if raw.get("sku") and "title" not in raw:
        variant = shop.variants.get(raw["sku"])
        if variant is None:
            raise SpecError(f"unknown sku {raw['sku']!r}")
        price = _decimal(raw.get("price", variant.price), "price")
        return LineItem(store.ids.big(), variant.title, variant.sku, quantity, price,
                        variant.grams, variant.requires_shipping, variant.gift_card, variant,
                        current_quantity=quantity,
                        weight=dict(variant.weight) if variant.weight else None)
    if not raw.get("title"):
        raise SpecError("a line item needs a sku or a title")
    grams = raw.get("grams")
    return LineItem(store.ids.big(), raw["title"], raw.get("sku"), quantity,
                    _decimal(raw.get("price", "0"), "price"), int(grams or 0),
                    bool(raw.get("requires_shipping", True)), bool(raw.get("gift_card", False)),
                    None, current_quantity=quantity,
                    weight=None if grams is None else {"unit": "GRAMS",
                                                       "value": float(int(grams))})


def _customer(store: Store, shop: Shop, spec: dict) -> Customer | None:
    if "customer" in spec and spec["customer"] is None:
        return None
    raw = spec.get("customer") or {}
    email = raw.get("email") or spec.get("email") or "customer@example.com"
    if email in shop.customers:
        return shop.customers[email]
    customer_id = store.ids.big()
    customer = Customer(id=customer_id, email=email,
                        first_name=raw.get("first_name", DEFAULT_ADDRESS["first_name"]),
                        last_name=raw.get("last_name", DEFAULT_ADDRESS["last_name"]),
                        phone=raw.get("phone"), default_address=None,
                        created_at=whole_seconds(utc_now()))
    base = address(raw.get("default_address") or {}, {
        **DEFAULT_ADDRESS, "first_name": customer.first_name,
        "last_name": customer.last_name, "phone": customer.phone})
    keys = ("first_name", "last_name", "company", "address1", "address2", "city", "province",
            "country", "zip", "phone", "name", "province_code", "country_code")
    customer.default_address = {"id": store.ids.big(), "customer_id": customer_id,
                                **{k: base[k] for k in keys}, "country_name": base["country"],
                                "default": True}
    shop.customers[email] = customer
    return customer


def _customer_address_base(customer: Customer | None) -> dict:
    if customer is None:
        return dict(DEFAULT_ADDRESS)
    return {**DEFAULT_ADDRESS, "first_name": customer.first_name,
            "last_name": customer.last_name}


def _shipping_address(spec: dict, customer: Customer | None, ships: bool) -> dict | None:
    if "shipping_address" in spec:
        raw = spec["shipping_address"]
        return None if raw is None else address(raw, _customer_address_base(customer))
    return address({}, _customer_address_base(customer)) if ships else None


def _location(store: Store, shop: Shop, ref):
    try:
        return store.location(shop, ref or "Main warehouse")
    except KeyError as exc:
        raise SpecError(str(exc)) from None


def _financial_status(value: str) -> str:
    value = str(value).lower()
    if value not in FINANCIAL_STATUSES:
        raise SpecError(f"financial_status must be one of {', '.join(FINANCIAL_STATUSES)}")
    return value


def _decimal(value, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise SpecError(f"{name} must be a decimal amount") from None


def _tags(value) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [str(t).strip() for t in items if str(t).strip()]


# --- edits ----------------------------------------------------------------------------------


def edit_order(order: Order, changes: dict) -> None:
    """Apply a partial edit and bump updated_at. Line edits set the current quantity."""
    for key in ("email", "note", "phone"):
        if key in changes:
            setattr(order, key, changes[key])
    if "tags" in changes:
        order.tags = _tags(changes["tags"])
    if "financial_status" in changes:
        order.financial_status = _financial_status(changes["financial_status"])
    for key in ("shipping_address", "billing_address"):
        if key in changes:
            current = getattr(order, key)
            setattr(order, key, address(changes[key], current) if changes[key] else None)
    for raw in changes.get("line_items") or []:
        _edit_line(order, raw)
    order.updated_at = next_update_time(order.updated_at)


def _edit_line(order: Order, raw: dict) -> None:
    line = next((li for li in order.line_items
                 if str(li.id) == str(raw.get("id")) or (raw.get("sku") and li.sku == raw["sku"])),
                None)
    if line is None:
        raise SpecError(f"unknown line item {raw.get('id') or raw.get('sku')!r}")
    quantity = int(raw["quantity"])
    if quantity < 0:
        raise SpecError("quantity must not be negative")
    line.current_quantity = quantity
    line.quantity = max(line.quantity, quantity)
    for fo in order.fulfillment_orders:
        for fo_line in fo.lines:
            if fo_line.line_item is line and fo.status not in ("CLOSED", "CANCELLED"):
                fo_line.remaining = line.fulfillable_quantity


def cancel_order(order: Order, reason: str | None) -> None:
    if order.cancelled_at is not None:
        raise SpecError("Order has already been cancelled")
    reason = (reason or "customer").lower()
    if reason not in CANCEL_REASONS:
        raise SpecError(f"reason must be one of {', '.join(CANCEL_REASONS)}")
    order.updated_at = next_update_time(order.updated_at)
    order.cancelled_at, order.cancel_reason = order.updated_at, reason
    if order.financial_status in ("paid", "partially_paid", "partially_refunded"):
        order.financial_status = "refunded"
    elif order.financial_status in ("pending", "authorized"):
        order.financial_status = "voided"
    for line in order.line_items:
        line.current_quantity = 0
    for fo in order.fulfillment_orders:
        fo.status = "CLOSED"
        for fo_line in fo.lines:
            fo_line.remaining = 0


def hold_fulfillment(order: Order, reason: str, notes: str | None) -> None:
    for fo in order.fulfillment_orders:
        if fo.status in ("OPEN", "IN_PROGRESS", "ON_HOLD"):
            fo.status = "ON_HOLD"
            fo.holds.append({"reason": reason.upper(), "reasonNotes": notes})
    order.updated_at = next_update_time(order.updated_at)


def release_fulfillment(order: Order) -> None:
    for fo in order.fulfillment_orders:
        if fo.status == "ON_HOLD":
            started = any(line.line_item.fulfilled_quantity > 0 for line in fo.lines)
            fo.status, fo.holds = ("IN_PROGRESS" if started else "OPEN"), []
    order.updated_at = next_update_time(order.updated_at)
