"""An order's fulfilment orders: the one query that reads them, its parser and our type.

Validation reads them for the stock at their locations and Shopify's holds; planning reads them
again for what is left to ship, where from and what it weighs (`to_ship`). Both ask this one
query: it costs planning nothing more and validation a few points (one `weight` object per line):
21 + 9 x lines points requested (3 fulfilment orders of `$lines` lines) where validation's own
query asked 21 + 6 x lines.

`$lines` is the order's line count (a fulfilment order holds each line item once), at most
`MAX_LINES`: Shopify lets a query through only when the bucket holds its *requested* cost, and
a page of 100 lines requested 921 points for a 3-line order's 14. If an edit made the order
longer since, a page comes back cut and is asked again in full (operations.fulfilment_orders).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ...fulfilment.types import Address
from .. import json_readers as read
from .ids import canonical_gid, gid_id
from .readers import Fields, PayloadError, default, upper_text

MAX_LINES = 100  # lines per fulfilment order asked at most (keeps a query under 1,000 points)

QUERY = """
query OrderFulfillmentOrders($id: ID!, $lines: Int = 100) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 3) {
      nodes {
        id status
        assignedLocation {
          name address1 address2 city province countryCode zip phone
          location { id }
        }
        fulfillmentHolds { reason reasonNotes }
        lineItems(first: $lines) {
          pageInfo { hasNextPage }
          nodes {
            id remainingQuantity requiresShipping sku inventoryItemId productTitle
            weight { unit value }
            lineItem { id }
          }
        }
      }
    }
  }
}
"""

OPEN_STATUSES = frozenset({"OPEN", "IN_PROGRESS", "SCHEDULED", "ON_HOLD"})
SHIPPABLE = ("OPEN", "IN_PROGRESS")  # what planning ships now: not held, not scheduled

_HOLD_REASONS = {
    "AWAITING_PAYMENT": "awaiting payment",
    "AWAITING_RETURN_ITEMS": "awaiting the returned items of an exchange",
    "HIGH_RISK_OF_FRAUD": "high risk of fraud",
    "INCORRECT_ADDRESS": "incorrect address",
    "INVENTORY_OUT_OF_STOCK": "inventory out of stock",
    "ONLINE_STORE_POST_PURCHASE_CROSS_SELL": "post-purchase offer still open",
    "UNKNOWN_DELIVERY_DATE": "unknown delivery date",
}
_GRAMS_PER = {"GRAMS": Decimal(1), "KILOGRAMS": Decimal(1000), "OUNCES": Decimal("28.349523125"),
              "POUNDS": Decimal("453.59237")}


class NotReadyYet(RuntimeError):
    """Shopify has not created the order's fulfilment orders yet: try again shortly."""


@dataclass(frozen=True)
class FulfilmentOrderLine:
    id: str  # FulfillmentOrderLineItem gid: what fulfillmentCreate names
    line_item_id: int
    remaining: int
    requires_shipping: bool = True
    sku: str | None = None
    inventory_item_id: str | None = None  # InventoryItem gid
    title: str | None = None  # the product's title
    weight_g: Decimal | None = None  # of one unit; None when Shopify has none


@dataclass(frozen=True)
class OpenFulfilmentOrder:
    """A fulfilment order Shopify still expects to be fulfilled, at its assigned location."""

    id: str  # FulfillmentOrder gid
    status: str  # GraphQL enum: OPEN, IN_PROGRESS, SCHEDULED or ON_HOLD
    location_id: str | None  # Location gid; None when the location was deleted
    location_name: str | None
    holds: tuple[str, ...] = ()  # readable reasons, for an ON_HOLD one
    lines: tuple[FulfilmentOrderLine, ...] = ()
    origin: Address | None = None  # the location's address, to ship from


def open_fulfilment_orders(data: Any) -> list[OpenFulfilmentOrder]:
    """The fulfilment orders still to be fulfilled, from a `QUERY` answer."""
    order = Fields.of(data, "fulfilment orders response").obj("order")
    if order is None:
        raise PayloadError("order not found")
    nodes = order.renamed("order").nodes("fulfillmentOrders", "fulfilment order")
    return [fo for fo in map(_fulfilment_order, nodes) if fo is not None]


def ships(line: FulfilmentOrderLine) -> bool:
    """Something physical is left to ship on the line."""
    return line.requires_shipping and line.remaining > 0


def to_ship(fulfilment_orders: Iterable[OpenFulfilmentOrder]) -> list[OpenFulfilmentOrder]:
    """Those planning can ship now (`SHIPPABLE`), each with only its lines that ship."""
    found = []
    for fo in fulfilment_orders:
        lines = tuple(filter(ships, fo.lines))
        if lines and fo.status in SHIPPABLE:
            found.append(dataclasses.replace(fo, lines=lines))
    return found


def lines_cut(data: dict) -> bool:
    """A page of some fulfilment order's lines came back shorter than its lines.

    A probe of the raw answer, before `open_fulfilment_orders` reads it: a part that is null or
    empty counts as absent and any truthy `hasNextPage` as a next page, so it stays off `Fields`
    (which refuses what is not an object or a boolean)."""
    nodes = (((data or {}).get("order") or {}).get("fulfillmentOrders") or {}).get("nodes") or []
    pages = [(fo.get("lineItems") or {}).get("pageInfo") or {} for fo in nodes]
    return any(page.get("hasNextPage") for page in pages)


def _fulfilment_order(fo: Fields) -> OpenFulfilmentOrder | None:
    """The fulfilment order if it is open; a closed or cancelled one is None."""
    gid = fo.need("id", canonical_gid("FulfillmentOrder"))
    fo = fo.renamed(f"fulfilment order {gid}")
    status = fo.need("status", upper_text)
    if status not in OPEN_STATUSES:
        return None
    location = fo.obj("assignedLocation")
    holds = tuple(_hold_reason(hold) for hold in fo.each_if_any("fulfillmentHolds", "hold"))
    if status == "ON_HOLD" and not holds:
        holds = ("Held in Shopify",)
    return OpenFulfilmentOrder(
        id=gid,
        status=status,
        location_id=_location_id(location),
        location_name=location.get("name", read.trimmed_text) if location else None,
        holds=holds,
        lines=tuple(map(_line, fo.nodes("lineItems", "line"))),
        origin=_origin(location),
    )


def _location_id(assigned: Fields | None) -> str | None:
    location = assigned.obj("location") if assigned else None
    return location.get("id", canonical_gid("Location")) if location else None


def _origin(assigned: Fields | None) -> Address | None:
    """The assigned location's address; None without a street (a location without one)."""
    street = assigned.get("address1", read.trimmed_text) if assigned else None
    if street is None:
        return None
    return Address(
        name=assigned.get("name", read.trimmed_text),
        address1=street,
        address2=assigned.get("address2", read.trimmed_text),
        city=assigned.get("city", read.trimmed_text),
        province_code=assigned.get("province", read.trimmed_text),
        zip=assigned.get("zip", read.trimmed_text),
        country_code=assigned.get("countryCode", read.trimmed_text),
        phone=assigned.get("phone", read.trimmed_text),
    )


def _hold_reason(hold: Fields) -> str:
    """A hold as a sentence: "Held in Shopify: awaiting payment (notes)"."""
    reason = hold.get("reason", upper_text)
    notes = hold.get("reasonNotes", read.trimmed_text)
    words = _HOLD_REASONS.get(reason or "") or (reason or "").lower().replace("_", " ")
    if reason == "OTHER" or not words:
        words, notes = notes or "no reason given", None
    return f"Held in Shopify: {words}" + (f" ({notes})" if notes else "")


def _line(line: Fields) -> FulfilmentOrderLine:
    gid = line.need("id", canonical_gid("FulfillmentOrderLineItem"))
    line = line.renamed(f"fulfilment order line {gid}")
    return FulfilmentOrderLine(
        id=gid,
        line_item_id=line.need_obj("lineItem").need("id", gid_id("LineItem")),
        remaining=line.need("remainingQuantity", read.count),
        requires_shipping=default(line.get("requiresShipping", read.flag), True),
        sku=line.get("sku", read.trimmed_text),
        inventory_item_id=line.get("inventoryItemId", canonical_gid("InventoryItem")),
        title=line.get("productTitle", read.trimmed_text),
        weight_g=_grams(line.obj("weight")),
    )


def _grams(weight: Fields | None) -> Decimal | None:
    """A unit's weight in grams; None when Shopify gives none (or zero).

    The value is any number Decimal reads (Shopify's Weight.value is a Float) and the unit is
    grams only when its key is absent (a null one is refused): no shared reader and no `Fields`
    read says either, so both are read from the object as they came."""
    value = weight.data.get("value") if weight else None
    if value in (None, 0):
        return None
    unit = weight.data.get("unit", "GRAMS")
    try:
        grams = Decimal(str(value)) * _GRAMS_PER[unit]
    except (InvalidOperation, KeyError, TypeError):
        raise PayloadError(f"{weight.where} is unreadable: {value!r} {unit!r}") from None
    if not grams.is_finite():
        raise PayloadError(f"{weight.where} is unreadable: {value!r} {unit!r}")
    return grams if grams > 0 else None
