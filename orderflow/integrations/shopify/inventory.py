"""Stock at Shopify's locations, and what it means for an order's fulfilment orders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...fulfilment.types import FulfilmentPlan, StockLine
from .. import json_readers as read
from .fulfilment_orders import OpenFulfilmentOrder, ships
from .ids import canonical_gid
from .readers import Fields, PayloadError


def inventory_levels(data: Any) -> dict[str, int | None]:
    """On-hand quantity per inventory item gid, from an `InventoryAtLocation` response.

    None means the item's inventory is not tracked; an item never stocked at the location has
    no inventory level there, which is 0 on hand.
    """
    levels: dict[str, int | None] = {}
    nodes = Fields.of(data, "inventory response").need("nodes", read.json_list)
    for position, node in enumerate(nodes, 1):
        if node is None:
            continue  # an id Shopify does not know (deleted item)
        item = Fields.of(node, f"inventory node #{position}")
        gid = item.get("id", canonical_gid("InventoryItem"))
        if gid is not None:
            levels[gid] = _on_hand(item.renamed(f"inventory item {gid}"))
    return levels


def _on_hand(item: Fields) -> int | None:
    if not item.need("tracked", read.flag):
        return None
    level = item.obj("inventoryLevel")
    if level is None:
        return 0
    for quantity in level.each("quantities", "quantity"):
        if quantity.get("name", read.trimmed_text) == "on_hand":
            return quantity.need("quantity", read.integer)
    raise PayloadError(f"{item.where} has no on_hand quantity")


def fulfilment_plan(
    fulfilment_orders: Iterable[OpenFulfilmentOrder],
    inventory: dict[str, dict[str, int | None]],
) -> FulfilmentPlan:
    """Where Shopify will ship from, what each shipped line needs there, and Shopify's holds.

    `inventory` maps a location gid to `inventory_levels` read at that location. An item whose
    level was not read counts as not tracked: it cannot hold the order for stock.
    """
    fulfilment_orders = tuple(fulfilment_orders)
    shipping = [fo for fo in fulfilment_orders if any(map(ships, fo.lines))]
    return FulfilmentPlan(
        location_name=shipping[0].location_name if shipping else None,
        lines=_stock_lines(shipping, inventory),
        on_hold=tuple(dict.fromkeys(hold for fo in fulfilment_orders for hold in fo.holds)),
    )


def _stock_lines(
    fulfilment_orders: Iterable[OpenFulfilmentOrder],
    inventory: dict[str, dict[str, int | None]],
) -> tuple[StockLine, ...]:
    """One StockLine per order line and location, summing fulfilment orders that split it."""
    lines: dict[tuple[int, str | None], StockLine] = {}
    for fo in fulfilment_orders:
        stock = inventory.get(fo.location_id or "", {})
        for line in filter(ships, fo.lines):
            earlier = lines.get((line.line_item_id, fo.location_id))
            lines[(line.line_item_id, fo.location_id)] = StockLine(
                line_item_id=line.line_item_id,
                needed=line.remaining + (earlier.needed if earlier else 0),
                on_hand=stock.get(line.inventory_item_id or ""),
                sku=line.sku,
                location_name=fo.location_name,
            )
    return tuple(lines.values())
