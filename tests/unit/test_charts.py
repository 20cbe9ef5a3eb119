"""The reports' chart geometry and the shaping of grouped figures into what the charts draw."""

from datetime import date
from decimal import Decimal

import pytest

from orderflow.admin.charts import (
    Frame,
    bucket_label,
    bucket_of,
    buckets,
    line,
    nice_scale,
    share_bars,
    stacked_bars,
    tick_label,
)
from orderflow.admin.reports import ServiceLine, average_per_order, money, percent, spend_chart

FRAME = Frame(width=400, height=200, left=40, right=10, top=10, bottom=30)  # plot: 350 x 160


@pytest.mark.parametrize("day, unit, first", [
    (date(2026, 11, 26), "day", date(2026, 11, 26)),
    (date(2026, 11, 26), "week", date(2026, 11, 23)),  # a Thursday: its week starts on Monday
    (date(2026, 11, 23), "week", date(2026, 11, 23)),
    (date(2026, 11, 29), "week", date(2026, 11, 23)),  # Sunday ends the week
    (date(2026, 11, 26), "month", date(2026, 11, 1)),
])
def test_a_day_falls_in_the_bucket_starting(day, unit, first):
    assert bucket_of(day, unit) == first


def test_buckets_cover_the_period_with_empty_ones_included():
    assert buckets(date(2026, 11, 26), date(2026, 12, 9), "week") == [
        date(2026, 11, 23), date(2026, 11, 30), date(2026, 12, 7)]
    months = buckets(date(2025, 12, 15), date(2026, 3, 2), "month")
    assert months == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert len(buckets(date(2026, 10, 28), date(2026, 11, 26), "day")) == 30


def test_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="use one of day, week, month"):
        bucket_of(date(2026, 1, 1), "year")


def test_bucket_labels_are_short():
    assert bucket_label(date(2026, 11, 3), "week") == "Nov 3"
    assert bucket_label(date(2026, 11, 1), "month") == "Nov 2026"


@pytest.mark.parametrize("highest, top, step", [
    (0, 4, 1), (3.2, 4, 1), (7, 8, 2), (39.2, 40, 10), (41, 50, 10), (120, 120, 20),
    (0.3, 0.3, 0.05), (1000, 1000, 200), (7.5, 8, 2), (11, 12, 2),
])
def test_the_scale_tops_out_at_a_round_number(highest, top, step):
    assert nice_scale(highest) == pytest.approx((top, step))


def test_tick_labels_drop_needless_decimals():
    labels = [tick_label(v) for v in (0, 2.5, 12.5, 1000, 0.1)]
    assert labels == ["0", "2.5", "12.5", "1,000", "0.1"]


def test_stacked_bars_stack_each_column_in_series_order_on_a_shared_scale():
    chart = stacked_bars(["Mon", "Tue"], ["UPS", "USPS"],
                         {(0, "UPS"): 30, (0, "USPS"): 10, (1, "USPS"): 20}, FRAME)
    ups, usps_mon, usps_tue = chart.bars
    assert (ups.series, usps_mon.series, usps_tue.series) == ("UPS", "USPS", "USPS")
    assert ups.y + ups.height == FRAME.base  # the first series sits on the axis
    assert usps_mon.y + usps_mon.height == pytest.approx(ups.y)  # the next on top of it
    assert ups.height == pytest.approx(160 * 30 / 40)  # the scale tops out at 40
    assert usps_tue.height == pytest.approx(160 * 20 / 40)
    assert ups.x + ups.width / 2 == pytest.approx(40 + 350 / 4)  # centred in its column
    assert chart.colours == {"UPS": "#2c6ecb", "USPS": "#e8912d"}
    assert [t.label for t in chart.y_ticks] == ["0", "10", "20", "30", "40"]
    assert chart.y_ticks[-1].at == FRAME.top


def test_a_column_without_spend_draws_nothing_and_labels_thin_out():
    chart = stacked_bars([f"d{n}" for n in range(30)], ["UPS"], {(29, "UPS"): 5}, FRAME)
    assert len(chart.bars) == 1 and chart.bars[0].column == "d29"
    assert [t.label for t in chart.x_labels] == [f"d{n}" for n in range(0, 30, 3)]


def test_a_line_breaks_where_a_column_has_no_value():
    chart = line(["a", "b", "c", "d", "e"], [10, 20, None, 5, 15], FRAME)
    assert len(chart.points) == 4 and len(chart.segments) == 2
    assert chart.segments[0].startswith("M") and chart.segments[0].count("L") == 1
    first = chart.points[0]
    assert first.y == pytest.approx(FRAME.base - 160 * 10 / 20)


def test_a_lone_point_is_a_dot_without_a_line():
    chart = line(["a", "b", "c"], [None, 7, None], FRAME)
    assert len(chart.points) == 1 and chart.segments == ()


def test_share_bars_are_as_long_as_their_share_of_the_track():
    chart = share_bars([("UPS Ground", 2 / 3), ("USPS Priority", 1.0), ("Odd", 1.5)],
                       width=460, left=100)
    assert chart.track == 300
    assert [b.width for b in chart.bars] == [200.0, 300.0, 300.0]
    assert [m.label for m in chart.marks] == ["0%", "50%", "100%"]
    assert chart.bars[1].y - chart.bars[0].y == chart.row


def test_spend_is_stacked_biggest_carrier_first_and_summed_into_buckets():
    days = buckets(date(2026, 11, 2), date(2026, 11, 20), "week")  # Oct 27, Nov 2 ... as Mondays
    rows = [(date(2026, 11, 3), "USPS", Decimal("4.00")),
            (date(2026, 11, 5), "USPS", Decimal("6.00")),
            (date(2026, 11, 18), "UPS", Decimal("12.50"))]
    chart = spend_chart(rows, days, "week")
    assert list(chart.colours) == ["UPS", "USPS"]
    assert sorted((b.column, b.series, b.value) for b in chart.bars) == [
        ("Nov 16", "UPS", 12.5), ("Nov 2", "USPS", 10.0)]


def test_average_per_order_is_each_buckets_spend_over_its_orders():
    days = buckets(date(2026, 11, 1), date(2026, 11, 3), "day")
    rows = [(date(2026, 11, 1), Decimal("20"), 3), (date(2026, 11, 3), Decimal("9.99"), 1)]
    assert average_per_order(rows, days, "day") == [Decimal("6.67"), None, Decimal("9.99")]


def test_service_line_average_and_formatting():
    assert ServiceLine("UPS", "Ground", 4, 3, Decimal("28")).average == Decimal("9.33")
    assert ServiceLine("UPS", "Ground", 0, 0, Decimal("0")).average == Decimal("0")
    assert money(Decimal("1234.5"), "USD") == "1,234.50 USD"
    assert money(Decimal("3"), "") == "3.00"
    assert (percent(2 / 3), percent(None)) == ("67%", "–")
