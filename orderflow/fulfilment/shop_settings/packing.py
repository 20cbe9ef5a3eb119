"""What a shop packs with, in its settings: its boxes, the facts of an item Shopify gives none
for (`default_item`), per-SKU product facts, and the DIM weight rules per carrier."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..packing import DIM_RULES, DimRule
from ..types import BoxPreset, Dimensions, PackingDefaults
from .values import SettingsError, read_decimal, read_dimensions


def _inches(length: int, width: int, height: int) -> Dimensions:
    return Dimensions(Decimal(length), Decimal(width), Decimal(height), "in")


DEFAULT_BOXES = (
    BoxPreset("Small box", _inches(8, 6, 4), Decimal(120), Decimal(9000)),
    BoxPreset("Medium box", _inches(12, 10, 8), Decimal(250), Decimal(18000)),
    BoxPreset("Large box", _inches(18, 14, 12), Decimal(450), Decimal(27000)),
)
DEFAULT_PACKING = PackingDefaults(Decimal(500), _inches(6, 4, 3))


@dataclass(frozen=True)
class ProductFacts:
    dimensions: Dimensions | None = None
    ships_alone: bool = False
    weight_g: Decimal | None = None


def read_boxes(items) -> tuple[BoxPreset, ...]:
    if not isinstance(items, list) or not items:
        raise SettingsError("boxes", "give at least one box")
    return tuple(_box(box, f"boxes.{n}") for n, box in enumerate(items))


def _box(box, path: str) -> BoxPreset:
    if not isinstance(box, dict):
        raise SettingsError(path, "give a box object with a name and inner dimensions")
    return BoxPreset(str(box.get("name") or f"Box {path.rsplit('.', 1)[-1]}"),
                     read_dimensions(box.get("inner"), f"{path}.inner"),
                     read_decimal(box, "weight_g", f"{path}.weight_g") or Decimal(0),
                     read_decimal(box, "max_weight_g", f"{path}.max_weight_g"))


def read_products(data) -> dict[str, ProductFacts]:
    if not isinstance(data, dict):
        raise SettingsError("products", "give an object keyed by SKU")
    for sku, facts in data.items():
        if not isinstance(facts, dict):
            raise SettingsError(f"products.{sku}",
                                "give an object: dimensions, ships_alone, weight_g")
    return {sku: _product(sku, facts) for sku, facts in data.items()}


def _product(sku: str, facts: dict) -> ProductFacts:
    dimensions = facts.get("dimensions")
    return ProductFacts(
        read_dimensions(dimensions, f"products.{sku}.dimensions") if dimensions else None,
        bool(facts.get("ships_alone", False)),
        read_decimal(facts, "weight_g", f"products.{sku}.weight_g"))


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read_dim_rules(data) -> dict[str, DimRule]:
    """`{"UPS": 139, "USPS": [166, 1728]}`: a divisor, or a divisor and the volume it applies
    above."""
    if not isinstance(data, dict):
        raise SettingsError("dim_divisors", "give an object keyed by carrier")
    rules = dict(DIM_RULES)
    for carrier, value in data.items():
        parts = value if isinstance(value, list) else [value]
        divisor, above = (parts + [None])[:2]
        if not _positive_int(divisor):
            raise SettingsError(f"dim_divisors.{carrier}",
                                "give a positive whole number of in³ per lb")
        if above is not None and not _positive_int(above):
            raise SettingsError(f"dim_divisors.{carrier}", "give the volume it applies above as a "
                                "positive whole number of in³")
        rules[carrier.casefold()] = DimRule(divisor, above)
    return rules


def read_packing(item) -> PackingDefaults:
    if item is None:
        return DEFAULT_PACKING
    if not isinstance(item, dict):
        raise SettingsError("default_item", "give an object with weight_g and dimensions")
    dimensions = item.get("dimensions")
    return PackingDefaults(
        read_decimal(item, "weight_g", "default_item.weight_g") or DEFAULT_PACKING.item_weight_g,
        read_dimensions(dimensions, "default_item.dimensions") if dimensions
        else DEFAULT_PACKING.item_dimensions)
