"""Our own types: plain, immutable, strict.

Money is `Decimal` with its currency, datetimes are timezone-aware, Shopify ids are `int`
(they exceed 2^53, so they never pass through a float).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Address:
    name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Customer:
    shopify_id: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class LineItem:
    shopify_id: int
    title: str
    quantity: int
    price: Money
    sku: str | None = None
    requires_shipping: bool = True
    gift_card: bool = False
    variant_id: int | None = None
    product_id: int | None = None
    grams: int | None = None
    fulfillable_quantity: int | None = None


@dataclass(frozen=True)
class OrderSnapshot:
    """One order as Shopify described it at `updated_at`."""

    shopify_id: int
    name: str
    created_at: datetime
    updated_at: datetime
    total_price: Money
    financial_status: str | None = None  # REST vocabulary, lower case: paid, pending, ...
    fulfillment_status: str | None = None
    email: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    customer: Customer | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    line_items: tuple[LineItem, ...] = ()
    test: bool = False
    note: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def currency(self) -> str:
        return self.total_price.currency

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


@dataclass(frozen=True)
class StockLine:
    """What one order line needs from the location Shopify assigned it to."""

    line_item_id: int
    needed: int
    on_hand: int | None  # None: the item's inventory is not tracked
    sku: str | None = None
    title: str | None = None
    location_name: str | None = None  # where this line ships from; None: the plan's location


@dataclass(frozen=True)
class FulfilmentPlan:
    """The open fulfilment orders of an order: where Shopify will ship from, and stock there."""

    location_name: str | None
    lines: tuple[StockLine, ...] = ()
    on_hold: tuple[str, ...] = ()  # reasons of fulfilment orders that Shopify holds


@dataclass(frozen=True)
class Verdict:
    """The outcome of validating an order: its next state and, when held, why."""

    state: str
    reasons: tuple[str, ...] = field(default=())

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None
