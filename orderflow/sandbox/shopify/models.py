"""The sandbox's in-memory records. Plain dataclasses; all access goes through `state.Store`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass
class Location:
    id: int
    name: str
    address: dict = field(default_factory=dict)  # address1 address2 city province
    # province_code country_code zip phone (see state.LOCATIONS)


@dataclass
class Variant:
    id: int
    product_id: int
    inventory_item_id: int
    title: str
    sku: str
    price: Decimal
    grams: int = 0
    requires_shipping: bool = True
    gift_card: bool = False
    tracked: bool = True
    inventory: dict[int, int] = field(default_factory=dict)  # location id -> on_hand
    weight: dict | None = None  # {"unit": "GRAMS"|"KILOGRAMS"|"OUNCES"|"POUNDS", "value"}


@dataclass
class Customer:
    id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    default_address: dict | None
    created_at: datetime


@dataclass
class LineItem:
    id: int
    title: str
    sku: str | None
    quantity: int
    price: Decimal
    grams: int
    requires_shipping: bool
    gift_card: bool
    variant: Variant | None = None
    current_quantity: int = 0
    fulfilled_quantity: int = 0
    weight: dict | None = None  # GraphQL Weight of one unit; None when unknown

    @property
    def fulfillable_quantity(self) -> int:
        return max(self.current_quantity - self.fulfilled_quantity, 0)


@dataclass
class FulfillmentOrderLine:
    id: int
    line_item: LineItem
    remaining: int


@dataclass
class FulfillmentOrder:
    id: int
    location: Location
    status: str  # OPEN, ON_HOLD, IN_PROGRESS, CLOSED, CANCELLED, SCHEDULED, INCOMPLETE
    lines: list[FulfillmentOrderLine]
    holds: list[dict] = field(default_factory=list)  # {"reason", "reasonNotes"}
    order_id: int = 0


@dataclass
class FulfillmentLine:
    id: int
    line_item: LineItem
    quantity: int
    fulfillment_order_line_id: int


@dataclass
class FulfillmentEvent:
    id: int
    fulfillment_id: int
    order_id: int
    status: str  # FulfillmentEventStatus, e.g. IN_TRANSIT
    happened_at: datetime
    created_at: datetime
    message: str | None = None
    city: str | None = None
    province: str | None = None
    country: str | None = None
    zip: str | None = None
    address1: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    estimated_delivery_at: datetime | None = None


@dataclass
class Fulfillment:
    id: int
    order_id: int
    name: str  # "#1001.1"
    location: Location
    created_at: datetime
    updated_at: datetime
    lines: list[FulfillmentLine]
    fulfillment_order_ids: list[int]
    tracking_company: str | None = None
    tracking_numbers: list[str] = field(default_factory=list)
    tracking_urls: list[str | None] = field(default_factory=list)
    status: str = "SUCCESS"  # FulfillmentStatus
    notify_customer: bool = False
    origin_address: dict | None = None  # REST shape
    message: str | None = None
    events: list[FulfillmentEvent] = field(default_factory=list)


@dataclass
class Order:
    id: int
    number: int
    token: str
    email: str | None
    phone: str | None
    customer: Customer | None
    created_at: datetime
    updated_at: datetime
    financial_status: str
    currency: str
    line_items: list[LineItem]
    shipping_address: dict | None
    billing_address: dict | None
    shipping_price: Decimal
    shipping_line_id: int
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    test: bool = False
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"#{self.number}"


@dataclass
class Subscription:
    id: int
    topic: str  # GraphQL enum, e.g. ORDERS_CREATE
    uri: str
    format: str
    api_version: str
    created_at: datetime


@dataclass
class Shop:
    id: int
    domain: str
    name: str
    email: str
    currency: str
    created_at: datetime
    locations: list[Location] = field(default_factory=list)
    variants: dict[str, Variant] = field(default_factory=dict)  # by SKU
    customers: dict[str, Customer] = field(default_factory=dict)  # by email
    orders: dict[int, Order] = field(default_factory=dict)
    fulfillment_orders: dict[int, FulfillmentOrder] = field(default_factory=dict)  # by id
    fulfillments: dict[int, Fulfillment] = field(default_factory=dict)  # by id
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    next_number: int = 1001
    scopes: str | None = None  # scopes granted at install; None while not installed


@dataclass
class AccessToken:
    token: str
    shop: str
    scopes: str
    online: bool
    expires_at: float | None  # epoch seconds; None never expires
    user: dict | None = None


@dataclass
class RefreshToken:
    token: str
    shop: str
    scopes: str
    expires_at: float


@dataclass
class AuthCode:
    code: str
    shop: str
    scopes: str
    online: bool
    expires_at: float


@dataclass
class Faults:
    """Injected faults. Counters are "next N"; see control.py for the JSON names."""

    latency_ms: int = 0
    fail_5xx: int = 0
    http_429: int = 0
    throttle: int = 0
    duplicate_webhooks: bool = False
    drop_webhooks: int = 0
    hold_webhooks: bool = False
    reorder_webhooks: bool = False
    lose_fulfillment_answer: int = 0  # fulfillmentCreate succeeds, the answer is a 502
    slow_fulfillment_answer_ms: int = 0  # fulfillmentCreate succeeds, its answer waits this long
