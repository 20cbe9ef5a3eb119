"""Our own types: plain, immutable, strict.

Money is `Decimal` with its currency, datetimes are timezone-aware, Shopify ids are `int`
(they exceed 2^53, so they never pass through a float).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
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


# Packing. Inputs carry their own length unit; weights come in grams, as Shopify gives them.
# Results are in inches and ounces, the units the carrier API takes.


@dataclass(frozen=True)
class Dimensions:
    length: Decimal
    width: Decimal
    height: Decimal
    unit: str = "cm"  # "cm" or "in"


@dataclass(frozen=True)
class PackItem:
    """One order line to put in parcels: `quantity` identical units."""

    title: str
    quantity: int
    sku: str | None = None
    weight_g: Decimal | None = None  # per unit; None or 0: the shop default applies
    dimensions: Dimensions | None = None  # per unit; None: the shop default applies
    ships_alone: bool = False  # in its own packaging: each unit is a parcel of its own

    @property
    def label(self) -> str:
        return self.sku or self.title


@dataclass(frozen=True)
class BoxPreset:
    name: str
    inner: Dimensions
    box_weight_g: Decimal = Decimal(0)
    max_gross_weight_g: Decimal | None = None  # None: no limit of its own
    outer: Dimensions | None = None  # None: the inner dimensions are quoted


@dataclass(frozen=True)
class PackingDefaults:
    """What an item without a weight or dimensions is taken to weigh and measure."""

    item_weight_g: Decimal
    item_dimensions: Dimensions


@dataclass(frozen=True)
class PlacedUnit:
    """One unit of one item, where it sits in its parcel (inches, from the inner corner)."""

    item_index: int  # position of its PackItem in the packed sequence
    unit: int  # 1..quantity
    label: str
    position_in: tuple[Decimal, Decimal, Decimal]
    size_in: tuple[Decimal, Decimal, Decimal]  # as placed, after any rotation


@dataclass(frozen=True)
class Parcel:
    box: str | None  # the preset's name; None: the item's own packaging
    units: tuple[PlacedUnit, ...]
    weight_oz: Decimal  # gross: items and box
    dimensions_in: tuple[Decimal, Decimal, Decimal]  # outer, longest side first
    inner_in: tuple[Decimal, Decimal, Decimal]  # the space `units` are placed in

    @property
    def own_packaging(self) -> bool:
        return self.box is None


@dataclass(frozen=True)
class PackingResult:
    parcels: tuple[Parcel, ...]
    warnings: tuple[str, ...] = ()  # defaults used: the order ships, the merchant should know
    errors: tuple[str, ...] = ()  # items that fit no box: they ship alone, flagged


@dataclass(frozen=True)
class BillableWeight:
    """What a carrier charges for one parcel, in whole pounds."""

    actual_lb: int
    dim_lb: int | None  # None: DIM weight does not apply to this parcel
    billable_lb: int
    dimensions_in: tuple[int, int, int]  # each rounded up, as quoted
    differs_from_nearest_inch: bool  # rounding to the nearest inch would quote other sizes


# Carrier selection


@dataclass(frozen=True)
class Rate:
    id: str
    carrier: str
    service: str
    amount: Money
    delivery_days: int | None = None
    delivery_date: date | None = None
    carrier_account_id: str | None = None

    @property
    def name(self) -> str:
        return f"{self.carrier} {self.service}"


@dataclass(frozen=True)
class DeliveryPromise:
    """What the customer was promised: a date, a number of days, or both."""

    deliver_by: date | None = None
    max_days: int | None = None


@dataclass(frozen=True)
class RateAlternative:
    rate: Rate
    why_not: str


@dataclass(frozen=True)
class Selection:
    rate: Rate | None  # None: nothing may be bought; `reason` says what to change
    reason: str
    alternatives: tuple[RateAlternative, ...] = ()


# Carrier reliability


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivered shipment: what the carrier estimated when we bought, and what happened."""

    carrier: str
    service: str
    estimated_delivery: date | None
    delivered_on: date | None


@dataclass(frozen=True)
class ReliabilityScore:
    carrier: str
    service: str
    delivered: int
    on_time: int
    score: float  # the share on time, pulled toward the prior when there are few deliveries

    @property
    def observed_share(self) -> float | None:
        return self.on_time / self.delivered if self.delivered else None


# Carrier results: what a carrier said about an address, a label and a parcel's journey


@dataclass(frozen=True)
class VerifiedAddress:
    """An address as the carrier's verification returned it."""

    address: Address  # the carrier's (possibly corrected) version
    deliverable: bool
    corrected: bool  # street, city or ZIP differ from what we sent (case and spacing ignored)
    messages: tuple[str, ...] = ()  # the carrier's own words when not deliverable


@dataclass(frozen=True)
class Label:
    """One bought label: the file to print, and the other formats it was converted to."""

    url: str
    format: str  # PNG, PDF, ZPL or EPL2
    file_type: str | None = None  # MIME type, e.g. image/png
    size: str | None = None  # e.g. 4x6
    other_formats: tuple[tuple[str, str], ...] = ()  # (format, url) of converted copies

    def url_for(self, file_format: str) -> str | None:
        wanted = file_format.upper()
        if wanted == self.format:
            return self.url
        return dict(self.other_formats).get(wanted)


@dataclass(frozen=True)
class TrackingEvent:
    status: str  # our tracking vocabulary (fulfilment.tracking_status.TrackingStatus)
    message: str
    at: datetime | None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip: str | None = None
    detail: str | None = None  # the carrier's finer status: "delayed", "weather_delay", ...


@dataclass(frozen=True)
class TrackerUpdate:
    """A parcel's journey as the carrier reports it; events in the carrier's order."""

    id: str
    tracking_code: str
    carrier: str
    status: str  # our tracking vocabulary
    est_delivery_date: datetime | None = None
    signed_by: str | None = None
    events: tuple[TrackingEvent, ...] = ()
    public_url: str | None = None
    updated_at: datetime | None = None
