from collections import Counter
from decimal import Decimal
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderflow.fulfilment.packing import (
    GRAMS_PER_OUNCE,
    DimRule,
    billable_weight,
    carrier_billable_weight,
    inches,
    ounces,
    pack,
    shipment_billable_lb,
)
from orderflow.fulfilment.types import (
    BoxPreset,
    Dimensions,
    PackingDefaults,
    PackItem,
    Parcel,
)

D = Decimal
SMALL = BoxPreset("Small", Dimensions(D(15), D(15), D(12)), D(100), D(2000))
MEDIUM = BoxPreset("Medium", Dimensions(D(30), D(30), D(25)), D(300), D(10000))
LARGE = BoxPreset("Large", Dimensions(D(40), D(40), D(40)), D(500), D(20000))
BOXES = [LARGE, SMALL, MEDIUM]
DEFAULTS = PackingDefaults(D(500), Dimensions(D(10), D(10), D(10)))
MUG = PackItem("Mug", 1, sku="MUG-1", weight_g=D(350), dimensions=Dimensions(D(12), D(9), D(10)))


def item(sku: str, quantity: int, grams: int, *sides_cm: int, ships_alone=False) -> PackItem:
    size = Dimensions(*(D(side) for side in sides_cm))
    return PackItem(sku.title(), quantity, sku, D(grams), size, ships_alone)


def with_quantity(item: PackItem, quantity: int) -> PackItem:
    return PackItem(item.title, quantity, item.sku, item.weight_g, item.dimensions)


def parcel_of(length, width, height, weight_oz) -> Parcel:
    size = (D(length), D(width), D(height))
    return Parcel("Box", (), D(weight_oz), size, size)


# Examples


def test_one_mug_goes_in_the_small_box():
    result = pack([MUG], BOXES, DEFAULTS)

    [parcel] = result.parcels
    assert parcel.box == "Small"
    assert [unit.label for unit in parcel.units] == ["MUG-1"]
    assert parcel.weight_oz == ounces(350) + ounces(100)
    assert result.warnings == () and result.errors == ()


def test_sixty_mugs_need_several_boxes_within_their_weight_limits():
    result = pack([with_quantity(MUG, 60)], BOXES, DEFAULTS)

    assert len(result.parcels) > 1
    assert sum(len(parcel.units) for parcel in result.parcels) == 60
    assert all(parcel.box in {"Small", "Medium", "Large"} for parcel in result.parcels)


def test_heavy_items_split_by_weight_before_space_runs_out():
    anvil = item("ANVIL", 3, 8000, 5, 5, 5)
    result = pack([anvil], [LARGE], DEFAULTS)

    assert [len(parcel.units) for parcel in result.parcels] == [2, 1]


def test_surfboard_ships_alone_in_its_own_packaging():
    board = PackItem(
        "Surfboard", 1, sku="SURF-7", weight_g=D(4000),
        dimensions=Dimensions(D(200), D(55), D(8)), ships_alone=True,
    )  # fmt: skip
    result = pack([board, MUG], BOXES, DEFAULTS)

    own = [parcel for parcel in result.parcels if parcel.own_packaging]
    assert [parcel.units[0].label for parcel in own] == ["SURF-7"]
    assert own[0].dimensions_in == inches(Dimensions(D(200), D(55), D(8)))
    assert own[0].weight_oz == ounces(4000)
    assert result.errors == ()


def test_small_item_marked_ships_alone_is_never_boxed():
    gift = item("GIFT", 2, 200, 12, 9, 10, ships_alone=True)
    result = pack([gift], BOXES, DEFAULTS)

    assert [parcel.box for parcel in result.parcels] == [None, None]


def test_item_bigger_than_every_box_is_flagged_and_ships_alone():
    sofa = item("SOFA", 1, 30000, 200, 90, 80)
    result = pack([sofa, MUG], BOXES, DEFAULTS)

    assert result.errors == (
        "SOFA fits in no box (at 200 × 90 × 80 cm it is larger than every box): "
        "it ships alone in its own packaging",
    )
    assert sorted(str(parcel.box) for parcel in result.parcels) == ["None", "Small"]


def test_item_too_heavy_for_every_box_is_flagged():
    lead = item("LEAD", 1, 25000, 5, 5, 5)
    result = pack([lead], BOXES, DEFAULTS)

    assert "too heavy for every box" in result.errors[0]
    assert result.parcels[0].own_packaging


def test_no_presets_means_every_item_is_flagged():
    result = pack([MUG], [], DEFAULTS)

    assert "no box presets" in result.errors[0]
    assert result.parcels[0].own_packaging


def test_item_without_weight_takes_the_shop_default_and_warns():
    mug = PackItem("Mug", 1, sku="MUG-1", dimensions=MUG.dimensions)
    result = pack([mug], BOXES, DEFAULTS)

    assert result.warnings == ("MUG-1 has no weight: used the shop default 500 g",)
    assert result.parcels[0].weight_oz == ounces(500) + ounces(100)


def test_zero_weight_counts_as_missing():
    mug = PackItem("Mug", 1, sku="MUG-1", weight_g=D(0), dimensions=MUG.dimensions)
    result = pack([mug], BOXES, DEFAULTS)

    assert result.parcels[0].weight_oz > ounces(100)
    assert "no weight" in result.warnings[0]


def test_item_without_dimensions_takes_the_shop_default_and_warns():
    result = pack([PackItem("Poster", 1, weight_g=D(100))], BOXES, DEFAULTS)

    assert result.warnings == ("Poster has no dimensions: used the shop default 10 × 10 × 10 cm",)
    assert result.parcels[0].units[0].size_in == inches(DEFAULTS.item_dimensions)


def test_item_rotates_to_fit_a_box():
    rod = PackItem("Rod", 1, weight_g=D(100), dimensions=Dimensions(D(2), D(2), D(14)))
    box = BoxPreset("Flat", Dimensions(D(15), D(3), D(3)))

    [parcel] = pack([rod], [box], DEFAULTS).parcels

    assert parcel.box == "Flat"
    assert parcel.units[0].size_in[0] == inches(rod.dimensions)[2]


def test_inch_and_centimetre_presets_agree():
    assert inches(Dimensions(D(10), D(10), D(10), "in")) == (D(10), D(10), D(10))
    assert inches(Dimensions(D("25.4"), D("2.54"), D(1))) == (D(10), D(1), D("0.40"))


def test_outer_dimensions_are_quoted_longest_first():
    inner, outer = Dimensions(D(5), D(10), D(3), "in"), Dimensions(D(6), D(11), D(4), "in")
    box = BoxPreset("Box", inner, outer=outer)

    [parcel] = pack([item("TILE", 1, 10, 1, 1, 1)], [box], DEFAULTS).parcels

    assert parcel.dimensions_in == (D(11), D(6), D(4))


def test_unknown_unit_and_bad_defaults_are_refused():
    with pytest.raises(ValueError, match="length unit"):
        inches(Dimensions(D(1), D(1), D(1), "ft"))
    with pytest.raises(ValueError, match="default item weight"):
        pack([MUG], BOXES, PackingDefaults(D(0), DEFAULTS.item_dimensions))
    with pytest.raises(ValueError, match="quantity"):
        pack([with_quantity(MUG, 0)], BOXES, DEFAULTS)


# Billable weight


def test_billable_weight_takes_dim_weight_when_larger():
    weight = billable_weight(parcel_of(12, 12, 12, 16), divisor=139)

    assert weight.actual_lb == 1
    assert weight.dim_lb == 13  # 1728 / 139 = 12.4
    assert weight.billable_lb == 13


def test_billable_weight_rounds_actual_weight_up_to_the_pound():
    weight = billable_weight(parcel_of(4, 4, 4, "16.01"), divisor=139)

    assert (weight.actual_lb, weight.dim_lb, weight.billable_lb) == (2, 1, 2)


def test_dimensions_round_up_and_the_difference_from_nearest_is_flagged():
    weight = billable_weight(parcel_of("10.2", "10", "10", 1), divisor=139)

    assert weight.dimensions_in == (11, 10, 10)
    assert weight.dim_lb == 8  # 1100 / 139 = 7.9
    assert weight.differs_from_nearest_inch


def test_usps_charges_dim_weight_only_above_one_cubic_foot():
    cube = parcel_of(12, 12, 12, 16)
    bigger = parcel_of(13, 12, 12, 16)

    assert carrier_billable_weight(cube, "USPS").dim_lb is None
    assert carrier_billable_weight(cube, "USPS").billable_lb == 1
    assert carrier_billable_weight(bigger, "USPS").dim_lb == 12  # 1872 / 166 = 11.3


def test_no_divisor_means_no_dim_weight():
    assert billable_weight(parcel_of(30, 30, 30, 16), divisor=None).billable_lb == 1


def test_multi_piece_shipments_add_each_piece():
    parcels = [parcel_of(12, 12, 12, 16), parcel_of(4, 4, 4, 40)]

    assert shipment_billable_lb(parcels, "UPS") == 13 + 3


def test_carrier_rules_are_configurable_and_unknown_carriers_refused():
    rules = {"UPS": DimRule(166)}

    assert carrier_billable_weight(parcel_of(12, 12, 12, 16), "ups", rules).dim_lb == 11
    with pytest.raises(ValueError, match="No DIM weight rule"):
        carrier_billable_weight(parcel_of(1, 1, 1, 1), "Pigeon")


# Properties

sides = st.decimals(min_value=1, max_value=45, places=1)
dimensions = st.builds(Dimensions, sides, sides, sides)
items = st.builds(
    PackItem,
    title=st.sampled_from(["Mug", "Vase", "Lamp", "Book"]),
    quantity=st.integers(1, 6),
    sku=st.none() | st.sampled_from(["A", "B", "C"]),
    weight_g=st.none() | st.integers(0, 12000).map(D),
    dimensions=st.none() | dimensions,
    ships_alone=st.booleans(),
)
boxes = st.builds(
    BoxPreset,
    name=st.sampled_from(["S", "M", "L", "XL"]),
    inner=st.builds(Dimensions, *[st.integers(5, 60).map(D)] * 3),
    box_weight_g=st.integers(0, 800).map(D),
    max_gross_weight_g=st.none() | st.integers(1000, 30000).map(D),
)
presets = st.lists(boxes, max_size=4, unique_by=lambda box: box.name)
orders = st.lists(items, min_size=1, max_size=5)


def _grams(item: PackItem) -> Decimal:
    return item.weight_g if item.weight_g else DEFAULTS.item_weight_g


@settings(max_examples=150, deadline=None)
@given(orders, presets)
def test_every_unit_is_packed_exactly_once(order, shop_boxes):
    result = pack(order, shop_boxes, DEFAULTS)

    placed = Counter((u.item_index, u.unit) for p in result.parcels for u in p.units)
    expected = Counter((i, n) for i, item in enumerate(order) for n in range(1, item.quantity + 1))
    assert placed == expected


@settings(max_examples=150, deadline=None)
@given(orders, presets)
def test_no_box_is_over_its_maximum_weight(order, shop_boxes):
    result = pack(order, shop_boxes, DEFAULTS)

    by_name = {preset.name: preset for preset in shop_boxes}
    for parcel in result.parcels:
        if parcel.own_packaging:
            continue
        preset = by_name[parcel.box]
        grams = preset.box_weight_g + sum(_grams(order[u.item_index]) for u in parcel.units)
        assert preset.max_gross_weight_g is None or grams <= preset.max_gross_weight_g


@settings(max_examples=150, deadline=None)
@given(orders, presets)
def test_items_sit_inside_their_box_without_overlapping(order, shop_boxes):
    result = pack(order, shop_boxes, DEFAULTS)

    for parcel in result.parcels:
        for unit in parcel.units:
            sides = zip(unit.position_in, unit.size_in, parcel.inner_in, strict=False)
            for position, side, limit in sides:
                assert 0 <= position and position + side <= limit
            assert sorted(unit.size_in) == sorted(_unit_inches(order[unit.item_index]))
        for a, b in combinations(parcel.units, 2):
            assert not _overlap(a, b)


@settings(max_examples=150, deadline=None)
@given(orders, presets)
def test_no_parcel_weighs_nothing_and_unboxed_items_are_explained(order, shop_boxes):
    result = pack(order, shop_boxes, DEFAULTS)

    assert all(parcel.weight_oz > 0 for parcel in result.parcels)
    flagged = {error.split(" fits in no box")[0] for error in result.errors}
    for parcel in result.parcels:
        if parcel.own_packaging:
            item = order[parcel.units[0].item_index]
            assert item.ships_alone or item.label in flagged
            assert parcel.weight_oz * GRAMS_PER_OUNCE >= _grams(item)


def _unit_inches(item: PackItem):
    return inches(item.dimensions or DEFAULTS.item_dimensions)


def _overlap(a, b) -> bool:
    return all(
        pa < pb + sb and pb < pa + sa
        for pa, sa, pb, sb in zip(a.position_in, a.size_in, b.position_in, b.size_in, strict=False)
    )
