"""The `FulfillmentOrdersToShip` answer, mapped to what the shipping job needs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ...fulfilment.types import Address
from .mapping import PayloadError, gid_to_id

SHIPPABLE = ("OPEN", "IN_PROGRESS")
_GRAMS_PER = {"GRAMS": Decimal(1), "KILOGRAMS": Decimal(1000), "OUNCES": Decimal("28.349523125"),
              "POUNDS": Decimal("453.59237")}


@dataclass(frozen=True)
class ShipLine:
    id: str  # FulfillmentOrderLineItem gid: what fulfillmentCreate names
    line_item_id: int
    quantity: int
    title: str
    sku: str | None = None
    weight_g: Decimal | None = None


@dataclass(frozen=True)
class ShippableFulfilmentOrder:
    id: str
    status: str
    location_name: str | None
    origin: Address | None
    holds: tuple[str, ...]
    lines: tuple[ShipLine, ...]


def _grams(weight) -> Decimal | None:
    if not isinstance(weight, dict) or weight.get("value") in (None, 0):
        return None
    try:
        value = Decimal(str(weight["value"])) * _GRAMS_PER[weight.get("unit", "GRAMS")]
    except (InvalidOperation, KeyError):
        raise PayloadError(f"unreadable weight {weight!r}") from None
    return value if value > 0 else None


def _origin(assigned: dict | None) -> Address | None:
    if not assigned or not assigned.get("address1"):
        return None
    return Address(name=assigned.get("name"), address1=assigned.get("address1"),
                   address2=assigned.get("address2"), city=assigned.get("city"),
                   province_code=assigned.get("province"), zip=assigned.get("zip"),
                   country_code=assigned.get("countryCode"), phone=assigned.get("phone"))


def _line(node: dict) -> ShipLine | None:
    quantity = node.get("remainingQuantity")
    if not node.get("requiresShipping") or not isinstance(quantity, int) or quantity <= 0:
        return None
    return ShipLine(id=node["id"], line_item_id=gid_to_id(node["lineItem"]["id"], "LineItem"),
                    quantity=quantity, title=node.get("productTitle") or node.get("sku") or "Item",
                    sku=node.get("sku"), weight_g=_grams(node.get("weight")))


def fulfilment_orders_to_ship(data: dict) -> list[ShippableFulfilmentOrder]:
    """Open fulfilment orders with something physical left to ship (held ones too, with reasons)."""
    order = (data or {}).get("order")
    if order is None:
        raise PayloadError("order not found")
    found = []
    try:
        for fo in order["fulfillmentOrders"]["nodes"]:
            lines = tuple(line for node in fo["lineItems"]["nodes"] if (line := _line(node)))
            if not lines or fo["status"] not in SHIPPABLE + ("ON_HOLD",):
                continue
            assigned = fo.get("assignedLocation") or {}
            holds = tuple(h.get("reasonNotes") or h.get("reason") or "held"
                          for h in fo.get("fulfillmentHolds") or [])
            found.append(ShippableFulfilmentOrder(fo["id"], fo["status"], assigned.get("name"),
                                                  _origin(assigned), holds, lines))
    except (KeyError, TypeError) as exc:
        raise PayloadError(f"fulfilment orders answer is missing {exc}") from None
    return found
