"""Reports: what shipping costs the shop, by carrier and service over time, and how often each
carrier service delivers by the date it promised.

Spend is the labels bought and not voided (a voided label is refunded), counted on the day it was
bought, in UTC. The database does the grouping: a handful of grouped queries per page, whatever
the number of orders. On time uses the reliability rule: delivered on or before the carrier's
estimate, shipments without an estimate left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask import g, render_template, request
from sqlalchemy import Date, and_, case, cast, distinct, func, literal_column, select

from ..db.models import ParcelRow, Shipment
from ..fulfilment.reliability import DEFAULT_PRIOR, posterior_mean
from ..services import services
from . import bp
from .charts import bucket_label, bucket_of, buckets, line, share_bars, stacked_bars


@dataclass(frozen=True)
class Period:
    days: int
    unit: str  # the bucket of the charts
    label: str


PERIODS = {"30": Period(30, "day", "Last 30 days"), "90": Period(90, "week", "Last 90 days"),
           "365": Period(365, "month", "Last 12 months")}
DEFAULT_PERIOD = "90"
CENT = Decimal("0.01")
UNKNOWN = "Unknown carrier"


@dataclass(frozen=True)
class ServiceLine:
    carrier: str
    service: str
    labels: int
    orders: int
    spend: Decimal

    @property
    def average(self) -> Decimal:
        return (self.spend / self.orders).quantize(CENT) if self.orders else Decimal(0)


@dataclass(frozen=True)
class OnTimeLine:
    carrier: str
    service: str
    delivered: int  # in the period, with an estimate to compare to
    on_time: int
    score: float  # the reliability score carrier selection uses: all deliveries, with its prior

    @property
    def share(self) -> float | None:
        return self.on_time / self.delivered if self.delivered else None


# ---------------------------------------------------------------- queries (grouped in the database)


def _utc_day(column, dialect: str):
    if dialect == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column)


def _bucket(column, unit: str, dialect: str):
    """The bucket's first day, computed by the database. `unit` is one of charts.UNITS."""
    if unit == "day":
        return _utc_day(column, dialect)
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), column)
        return cast(func.date_trunc(literal_column(f"'{unit}'"), utc), Date)
    modifiers = ("'weekday 0'", "'-6 days'") if unit == "week" else ("'start of month'",)
    return func.date(column, *map(literal_column, modifiers))


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _labels(shop_id: int, since: datetime):
    return (select().select_from(ParcelRow).join(Shipment, Shipment.id == ParcelRow.shipment_id)
            .where(ParcelRow.shop_id == shop_id, Shipment.shop_id == shop_id,
                   ParcelRow.bought_at >= since, ParcelRow.voided_at.is_(None)))


_SPEND = func.coalesce(func.sum(ParcelRow.amount), 0)


def service_lines(s, shop_id: int, since: datetime) -> dict[str, list[ServiceLine]]:
    """Per currency, spend by carrier and service, the biggest first."""
    rows = s.execute(_labels(shop_id, since).add_columns(
        Shipment.currency, Shipment.carrier, Shipment.service, func.count(ParcelRow.id),
        func.count(distinct(Shipment.order_id)), _SPEND)
        .group_by(Shipment.currency, Shipment.carrier, Shipment.service)).all()
    out: dict[str, list[ServiceLine]] = {}
    for currency, carrier, service, labels, orders, spend in rows:
        out.setdefault(currency or "", []).append(
            ServiceLine(carrier or UNKNOWN, service or "", labels, orders, Decimal(spend)))
    return {c: sorted(found, key=lambda x: (-x.spend, x.carrier, x.service))
            for c, found in out.items()}


def spend_by_carrier(s, shop_id: int, since: datetime, unit: str, currency: str):
    bucket = _bucket(ParcelRow.bought_at, unit, s.get_bind().dialect.name)
    rows = s.execute(_labels(shop_id, since).add_columns(bucket, Shipment.carrier, _SPEND)
                     .where(Shipment.currency == currency).group_by(bucket, Shipment.carrier)).all()
    return [(_as_date(day), carrier or UNKNOWN, Decimal(spend)) for day, carrier, spend in rows]


def orders_by_bucket(s, shop_id: int, since: datetime, unit: str, currency: str):
    bucket = _bucket(ParcelRow.bought_at, unit, s.get_bind().dialect.name)
    orders = func.count(distinct(Shipment.order_id))
    rows = s.execute(_labels(shop_id, since).add_columns(bucket, _SPEND, orders)
                     .where(Shipment.currency == currency).group_by(bucket)).all()
    return [(_as_date(day), Decimal(spend), orders) for day, spend, orders in rows]


def totals(s, shop_id: int, since: datetime, currency: str) -> tuple[Decimal, int, int]:
    """(spend, labels, orders) of the period: orders counted once however many labels they had."""
    spend, labels, orders = s.execute(_labels(shop_id, since).add_columns(
        _SPEND, func.count(ParcelRow.id), func.count(distinct(Shipment.order_id)))
        .where(Shipment.currency == currency)).one()
    return Decimal(spend), labels, orders


def on_time_lines(s, shop_id: int, since: datetime) -> list[OnTimeLine]:
    """Delivered shipments per carrier service: in the period, and all time for the score."""
    dialect = s.get_bind().dialect.name
    on_time = _utc_day(Shipment.delivered_at, dialect) <= Shipment.estimated_delivery
    recent = Shipment.delivered_at >= since
    rows = s.execute(select(
        Shipment.carrier, Shipment.service, func.count(), func.sum(case((on_time, 1), else_=0)),
        func.sum(case((recent, 1), else_=0)), func.sum(case((and_(recent, on_time), 1), else_=0)))
        .where(Shipment.shop_id == shop_id, Shipment.delivered_at.is_not(None),
               Shipment.estimated_delivery.is_not(None))
        .group_by(Shipment.carrier, Shipment.service)).all()
    lines = [OnTimeLine(c or UNKNOWN, sv or "", int(n_recent or 0), int(hits_recent or 0),
                        posterior_mean(int(hits or 0), n, DEFAULT_PRIOR))
             for c, sv, n, hits, n_recent, hits_recent in rows]
    lines = [x for x in lines if x.delivered]
    return sorted(lines, key=lambda x: (-x.delivered, x.carrier, x.service))


# ---------------------------------------------------------------- shaping figures for the charts


def spend_chart(rows, days: list[date], unit: str):
    """Stacked bars of spend per bucket, carriers ordered by their total (biggest at the bottom)."""
    index = {day: i for i, day in enumerate(days)}
    by_carrier: dict[str, Decimal] = {}
    values: dict[tuple[int, str], float] = {}
    for day, carrier, spend in rows:
        column = index.get(bucket_of(day, unit))
        if column is None:
            continue
        by_carrier[carrier] = by_carrier.get(carrier, Decimal(0)) + spend
        values[(column, carrier)] = values.get((column, carrier), 0) + float(spend)
    carriers = sorted(by_carrier, key=lambda c: (-by_carrier[c], c))
    return stacked_bars([bucket_label(d, unit) for d in days], carriers, values)


def average_per_order(rows, days: list[date], unit: str) -> list[Decimal | None]:
    """Per bucket, spend over the orders that had labels bought in it; None without any."""
    index = {day: i for i, day in enumerate(days)}
    averages: list[Decimal | None] = [None] * len(days)
    for day, spend, orders in rows:
        column = index.get(bucket_of(day, unit))
        if orders and column is not None:
            averages[column] = (spend / orders).quantize(CENT)
    return averages


def money(amount, currency: str) -> str:
    return f"{Decimal(amount).quantize(CENT):,} {currency}".strip()


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


# ---------------------------------------------------------------- the page


def _period() -> tuple[str, Period]:
    key = request.args.get("period")
    key = key if key in PERIODS else DEFAULT_PERIOD
    return key, PERIODS[key]


@bp.get("/reports")
def reports():
    key, period = _period()
    today = datetime.now(UTC).date()
    start = today - timedelta(days=period.days - 1)
    since = datetime.combine(start, time.min, tzinfo=UTC)
    days = buckets(start, today, period.unit)
    shop_id, unit = g.shop.id, period.unit
    spend_rows, order_rows, total = [], [], (Decimal(0), 0, 0)
    with services().db.session() as s:
        lines = service_lines(s, shop_id, since)
        currency = _currency(lines)
        if currency:
            spend_rows = spend_by_carrier(s, shop_id, since, unit, currency)
            order_rows = orders_by_bucket(s, shop_id, since, unit, currency)
            total = totals(s, shop_id, since, currency)
        on_time = on_time_lines(s, shop_id, since)
    labels = [bucket_label(d, unit) for d in days]
    averages = [_float(a) for a in average_per_order(order_rows, days, unit)]
    return render_template(
        "admin/reports.html", period_key=key, period=period, periods=PERIODS, unit=unit,
        currency=currency, currencies=sorted(lines), lines=lines.get(currency, []), total=total,
        spend=spend_chart(spend_rows, days, unit), average=line(labels, averages),
        table=_bucket_table(days, unit, spend_rows, order_rows), on_time=on_time,
        on_time_chart=share_bars([(f"{x.carrier} {x.service}".strip(), x.share or 0)
                                  for x in on_time]),
        money=money, percent=percent)


def _currency(lines: dict[str, list[ServiceLine]]) -> str | None:
    """The currency asked for, else the one the shop spent most in."""
    wanted = request.args.get("currency")
    if wanted in lines:
        return wanted
    return max(lines, key=lambda c: sum(x.spend for x in lines[c]), default=None)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _bucket_table(days: list[date], unit: str, spend_rows, order_rows) -> list[dict]:
    """The figures behind the charts, one row per bucket with spend: for reading exact numbers."""
    spend: dict[date, dict[str, Decimal]] = {}
    for day, carrier, amount in spend_rows:
        spend.setdefault(bucket_of(day, unit), {})[carrier] = amount
    orders = {bucket_of(day, unit): (amount, n) for day, amount, n in order_rows}
    return [{"label": bucket_label(d, unit), "by_carrier": spend[d], "total": orders[d][0],
             "orders": orders[d][1]} for d in days if d in spend and d in orders]
