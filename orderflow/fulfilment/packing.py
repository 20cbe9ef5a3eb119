"""Cartonization: which units go in which box, and what each parcel weighs and measures.

Internally lengths are inches and weights ounces, the units the carrier API takes. Every
conversion rounds up to the hundredth, so equal inputs stay equal and nothing is quoted smaller
than it is; the price of that is that an item may be taken to fit where it overhangs by less
than 0.01 in (0.25 mm) or a box may carry 0.01 oz (0.28 g) more than its limit.

The heuristic: units are sorted by volume, largest first. Each new parcel is opened in the box
that takes the most of the remaining volume (ties: the smaller box), filled greedily, and then
moved to the smallest box that still holds the same units. Within a box, units are placed at
extreme points (the corners that earlier units leave free), trying the six axis rotations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from itertools import permutations

from orderflow.fulfilment.types import (
    BillableWeight,
    BoxPreset,
    Dimensions,
    PackingDefaults,
    PackingResult,
    PackItem,
    Parcel,
    PlacedUnit,
)

GRAMS_PER_OUNCE = Decimal("28.349523125")
CM_PER_INCH = Decimal("2.54")
OUNCES_PER_POUND = 16
HUNDREDTH = Decimal("0.01")

Size = tuple[Decimal, Decimal, Decimal]


@dataclass(frozen=True)
class DimRule:
    """How a carrier turns a parcel's size into weight: in³ per lb, and from what volume."""

    divisor: int | None
    applies_above_in3: int | None = None


DIM_RULES: Mapping[str, DimRule] = {
    "ups": DimRule(139),
    "fedex": DimRule(139),
    "dhl": DimRule(139),
    "dhlexpress": DimRule(139),
    "usps": DimRule(166, applies_above_in3=1728),
}


def ounces(grams: Decimal | int) -> Decimal:
    return _round_up(Decimal(grams) / GRAMS_PER_OUNCE)


def inches(dimensions: Dimensions) -> Size:
    sides = (dimensions.length, dimensions.width, dimensions.height)
    if dimensions.unit == "in":
        return tuple(_round_up(Decimal(side)) for side in sides)
    if dimensions.unit == "cm":
        return tuple(_round_up(Decimal(side) / CM_PER_INCH) for side in sides)
    raise ValueError(f"Unknown length unit {dimensions.unit!r}: use 'cm' or 'in'")


def _round_up(value: Decimal) -> Decimal:
    return value.quantize(HUNDREDTH, rounding=ROUND_CEILING)


def _volume(size: Size) -> Decimal:
    return size[0] * size[1] * size[2]


# Packing


@dataclass(frozen=True)
class _Unit:
    item_index: int
    unit: int
    label: str
    size: Size
    weight_oz: Decimal

    @property
    def volume(self) -> Decimal:
        return _volume(self.size)


@dataclass(frozen=True)
class _Box:
    name: str
    inner: Size
    outer: Size
    weight_oz: Decimal
    max_weight_oz: Decimal | None

    @property
    def volume(self) -> Decimal:
        return _volume(self.inner)


def pack(
    items: Sequence[PackItem], boxes: Sequence[BoxPreset], defaults: PackingDefaults
) -> PackingResult:
    """Put every unit of `items` in exactly one parcel, in as few and as small boxes as we can."""
    _check_defaults(defaults)
    warnings = [w for item in items for w in _default_warnings(item, defaults)]
    units = [unit for index, item in enumerate(items) for unit in _units(index, item, defaults)]
    alone = {index for index, item in enumerate(items) if item.ships_alone}
    presets = sorted((_box(preset) for preset in boxes), key=lambda b: (b.volume, b.name))
    unboxable = _unboxable(units, presets, alone)
    errors = [_no_box_error(items[i], unit, presets) for i, unit in sorted(unboxable.items())]
    own = alone | set(unboxable)
    boxed = [unit for unit in units if unit.item_index not in own]
    parcels = [*_box_parcels(boxed, presets), *_own_parcels(units, own)]
    return PackingResult(tuple(parcels), tuple(warnings), tuple(errors))


def _check_defaults(defaults: PackingDefaults) -> None:
    if Decimal(defaults.item_weight_g) <= 0:
        raise ValueError("The shop's default item weight must be more than 0 g")
    if any(side <= 0 for side in inches(defaults.item_dimensions)):
        raise ValueError("The shop's default item dimensions must all be more than 0")


def _has_weight(item: PackItem) -> bool:
    return item.weight_g is not None and Decimal(item.weight_g) > 0


def _default_warnings(item: PackItem, defaults: PackingDefaults) -> Iterable[str]:
    if not _has_weight(item):
        yield f"{item.label} has no weight: used the shop default {defaults.item_weight_g} g"
    if item.dimensions is None:
        yield (
            f"{item.label} has no dimensions: used the shop default "
            f"{_describe(defaults.item_dimensions)}"
        )


def _describe(dimensions: Dimensions) -> str:
    sides = (dimensions.length, dimensions.width, dimensions.height)
    return " × ".join(str(side) for side in sides) + f" {dimensions.unit}"


def _units(index: int, item: PackItem, defaults: PackingDefaults) -> list[_Unit]:
    if item.quantity < 1:
        raise ValueError(f"{item.label} has quantity {item.quantity}: leave it out instead")
    grams = item.weight_g if _has_weight(item) else defaults.item_weight_g
    size = inches(item.dimensions or defaults.item_dimensions)
    if any(side <= 0 for side in size):
        raise ValueError(f"{item.label} has a side of 0: correct its dimensions")
    weight = ounces(grams)
    return [_Unit(index, n, item.label, size, weight) for n in range(1, item.quantity + 1)]


def _box(preset: BoxPreset) -> _Box:
    limit = preset.max_gross_weight_g
    return _Box(
        name=preset.name,
        inner=inches(preset.inner),
        outer=inches(preset.outer or preset.inner),
        weight_oz=ounces(preset.box_weight_g),
        max_weight_oz=None if limit is None else ounces(limit),
    )


def _unboxable(units: list[_Unit], boxes: list[_Box], alone: set[int]) -> dict[int, _Unit]:
    """Items (by index, with their first unit) of which one unit fits no box, even alone."""
    firsts = {unit.item_index: unit for unit in units if unit.unit == 1}
    return {
        index: unit
        for index, unit in firsts.items()
        if index not in alone and not any(_fill(box, [unit]) for box in boxes)
    }


def _no_box_error(item: PackItem, unit: _Unit, boxes: list[_Box]) -> str:
    if not boxes:
        problem = "the shop has no box presets"
    elif any(_fits_by_size(unit.size, box) for box in boxes):
        problem = "it is too heavy for every box it fits in"
    elif item.dimensions is None:
        problem = "the shop's default item size is larger than every box"
    else:
        problem = f"at {_describe(item.dimensions)} it is larger than every box"
    return f"{item.label} fits in no box ({problem}): it ships alone in its own packaging"


def _fits_by_size(size: Size, box: _Box) -> bool:
    return any(_inside((Decimal(0),) * 3, rotated, box.inner) for rotated in _rotations(size))


def _box_parcels(units: list[_Unit], boxes: list[_Box]) -> Iterable[Parcel]:
    remaining = sorted(units, key=lambda u: (-u.volume, -u.weight_oz, u.item_index, u.unit))
    while remaining:
        box, placed = _best_opening(remaining, boxes)
        box, placed = _downsized(box, placed, boxes)
        taken = {(unit.item_index, unit.unit) for unit, _ in placed}
        remaining = [u for u in remaining if (u.item_index, u.unit) not in taken]
        yield _parcel(box, placed)


def _best_opening(remaining: list[_Unit], boxes: list[_Box]) -> tuple[_Box, list[_Placed]]:
    """The box taking the most of `remaining` by volume; it always takes the first unit."""
    fills = [(box, _fill(box, remaining)) for box in boxes if _fill(box, remaining[:1])]
    return max(fills, key=lambda fill: (_placed_volume(fill[1]), -fill[0].volume))


def _downsized(box: _Box, placed: list[_Placed], boxes: list[_Box]) -> tuple[_Box, list[_Placed]]:
    units = [unit for unit, _ in placed]
    for smaller in boxes:
        if smaller.volume >= box.volume:
            break
        refill = _fill(smaller, units)
        if len(refill) == len(units):
            return smaller, refill
    return box, placed


def _placed_volume(placed: list[_Placed]) -> Decimal:
    return sum((unit.volume for unit, _ in placed), Decimal(0))


def _parcel(box: _Box, placed: list[_Placed]) -> Parcel:
    weight = box.weight_oz + sum((unit.weight_oz for unit, _ in placed), Decimal(0))
    units = tuple(
        PlacedUnit(unit.item_index, unit.unit, unit.label, spot.position, spot.size)
        for unit, spot in placed
    )
    return Parcel(box.name, units, weight, _longest_first(box.outer), box.inner)


def _own_parcels(units: list[_Unit], indexes: set[int]) -> Iterable[Parcel]:
    for unit in units:
        if unit.item_index in indexes:
            origin = (Decimal(0),) * 3
            placed = PlacedUnit(unit.item_index, unit.unit, unit.label, origin, unit.size)
            yield Parcel(None, (placed,), unit.weight_oz, _longest_first(unit.size), unit.size)


def _longest_first(size: Size) -> Size:
    return tuple(sorted(size, reverse=True))


# Placement inside one box


@dataclass(frozen=True)
class _Spot:
    position: Size
    size: Size


_Placed = tuple[_Unit, _Spot]


@dataclass
class _Space:
    """The inside of one box: what is placed, and the corners where the next unit may go."""

    inner: Size
    spots: list[_Spot] = field(default_factory=list)
    corners: set[Size] = field(default_factory=lambda: {(Decimal(0),) * 3})

    def place(self, size: Size) -> _Spot | None:
        for corner in sorted(self.corners, key=lambda c: (c[2], c[1], c[0])):
            for rotated in _rotations(size):
                spot = _Spot(corner, rotated)
                if self._free(spot):
                    self._take(spot)
                    return spot
        return None

    def _free(self, spot: _Spot) -> bool:
        if not _inside(spot.position, spot.size, self.inner):
            return False
        return not any(_overlap(spot, other) for other in self.spots)

    def _take(self, spot: _Spot) -> None:
        self.spots.append(spot)
        self.corners.discard(spot.position)
        x, y, z = spot.position
        length, width, height = spot.size
        self.corners |= {(x + length, y, z), (x, y + width, z), (x, y, z + height)}


def _fill(box: _Box, units: Sequence[_Unit]) -> list[_Placed]:
    """Greedily place `units` in an empty `box`, in order, skipping those that do not fit."""
    space = _Space(box.inner)
    weight = box.weight_oz
    placed: list[_Placed] = []
    no_room: set[Size] = set()  # a size that found no room once will not find it later
    for unit in units:
        if box.max_weight_oz is not None and weight + unit.weight_oz > box.max_weight_oz:
            continue
        if unit.size in no_room:
            continue
        spot = space.place(unit.size)
        if spot is None:
            no_room.add(unit.size)
            continue
        placed.append((unit, spot))
        weight += unit.weight_oz
    return placed


def _rotations(size: Size) -> list[Size]:
    """The distinct axis rotations, flattest first, so units lie down before they stand up."""
    return sorted(set(permutations(size)), key=lambda s: (s[2], s[1], s[0]))


def _inside(position: Size, size: Size, inner: Size) -> bool:
    return all(
        p >= 0 and p + s <= limit for p, s, limit in zip(position, size, inner, strict=False)
    )


def _overlap(a: _Spot, b: _Spot) -> bool:
    return all(
        pa < pb + sb and pb < pa + sa
        for pa, sa, pb, sb in zip(a.position, a.size, b.position, b.size, strict=False)
    )


# Billable weight


def billable_weight(
    parcel: Parcel, divisor: int | None, applies_above_in3: int | None = None
) -> BillableWeight:
    """max(actual, DIM) weight in whole pounds, each rounded up, on sides rounded up to inches.

    Carriers round sides to the nearest inch; we round up, so a quote is never too low, and
    flag parcels where the two differ. `divisor` None: the carrier charges no DIM weight.
    """
    sides = tuple(int(side.to_integral_value(ROUND_CEILING)) for side in parcel.dimensions_in)
    nearest = tuple(int(side.to_integral_value(ROUND_HALF_UP)) for side in parcel.dimensions_in)
    volume = sides[0] * sides[1] * sides[2]
    actual = math.ceil(parcel.weight_oz / OUNCES_PER_POUND)
    applies = divisor is not None and (applies_above_in3 is None or volume > applies_above_in3)
    dim = math.ceil(Decimal(volume) / divisor) if applies else None
    return BillableWeight(actual, dim, max(actual, dim or 0), sides, sides != nearest)


def carrier_billable_weight(
    parcel: Parcel, carrier: str, rules: Mapping[str, DimRule] = DIM_RULES
) -> BillableWeight:
    rule = {name.casefold(): rule for name, rule in rules.items()}.get(carrier.casefold())
    if rule is None:
        raise ValueError(f"No DIM weight rule for carrier {carrier!r}: add one to the rules")
    return billable_weight(parcel, rule.divisor, rule.applies_above_in3)


def shipment_billable_lb(
    parcels: Iterable[Parcel], carrier: str, rules: Mapping[str, DimRule] = DIM_RULES
) -> int:
    """A multi-piece shipment is billed on the sum of each piece's billable weight."""
    return sum(carrier_billable_weight(parcel, carrier, rules).billable_lb for parcel in parcels)
