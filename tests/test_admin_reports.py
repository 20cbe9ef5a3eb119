"""Reports in the embedded admin: spend by carrier and service over time, the average per order and
on-time rates, as a merchant reads them in Chromium, from labels really bought through the pipeline
and from older shipments written as the pipeline leaves them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import event, func, select

from orderflow.db.models import Order, ParcelRow, Shipment, Shop
from orderflow.store.shipments import reliability

from .admin import admin_visit, page_url
from .helpers import drain, place

_ids = itertools.count(900_000)
TODAY = datetime.now(UTC).date()


@dataclass
class Label:
    days_ago: int
    carrier: str
    service: str
    amounts: tuple[str, ...]  # one per parcel
    voided: bool = False
    estimated: int | None = None  # days after buying the carrier promised
    took: int | None = None  # days after buying it was delivered
    currency: str = "USD"


def shop_id(svc, domain: str) -> int:
    with svc.db.session() as s:
        return s.scalar(select(Shop.id).where(Shop.domain == domain))


def seed(svc, domain: str, *labels: Label) -> None:
    """Orders with a fulfilled shipment each, as the pipeline writes them, bought `days_ago`."""
    sid = shop_id(svc, domain)
    with svc.db.session() as s, s.begin():
        for label in labels:
            bought = datetime.combine(TODAY - timedelta(days=label.days_ago), time(12), tzinfo=UTC)
            order = Order(shop_id=sid, shopify_id=next(_ids), name=f"#{next(_ids)}",
                          currency=label.currency, total_price=Decimal("40"),
                          shopify_created_at=bought, shopify_updated_at=bought,
                          state="delivered" if label.took is not None else "fulfilled")
            shipment = Shipment(
                shop_id=sid, fulfillment_order_id=f"gid://shopify/FulfillmentOrder/{next(_ids)}",
                lines=[], state="voided" if label.voided else "fulfilled", carrier=label.carrier,
                service=label.service, cost=sum(Decimal(a) for a in label.amounts),
                currency=label.currency,
                estimated_delivery=(
                    (bought + timedelta(days=label.estimated)).date() if label.estimated else None
                ),
                delivered_at=(
                    bought + timedelta(days=label.took, hours=3) if label.took is not None else None
                ))
            s.add(order)
            s.flush()
            shipment.order_id = order.id
            shipment.parcels = [
                ParcelRow(shop_id=sid, position=n, length_in=8, width_in=6, height_in=4,
                          weight_oz=10, contents={}, amount=Decimal(a), bought_at=bought,
                          voided_at=bought if label.voided else None)
                for n, a in enumerate(label.amounts)]
            s.add(shipment)


def cells(page, table: str) -> dict[str, dict[str, str]]:
    rows = page.query_selector_all(f"[data-table={table}] tbody tr[data-service]")
    return {r.get_attribute("data-service"): {c.get_attribute("data-cell"): c.inner_text()
                                              for c in r.query_selector_all("[data-cell]")}
            for r in rows}


def figure(page, name: str) -> str:
    return page.inner_text(f"[data-figure={name}] .figure")


def bought_through_pipeline(svc, sid: int) -> dict[tuple[str, str], Decimal]:
    with svc.db.session() as s:
        rows = s.execute(select(Shipment.carrier, Shipment.service, func.sum(ParcelRow.amount))
                         .join(ParcelRow, ParcelRow.shipment_id == Shipment.id)
                         .where(Shipment.shop_id == sid, ParcelRow.bought_at.is_not(None),
                                ParcelRow.voided_at.is_(None))
                         .group_by(Shipment.carrier, Shipment.service)).all()
    return {(c, sv): Decimal(total) for c, sv, total in rows}


def test_reports_show_spend_average_per_order_and_on_time_rates(
        app, svc, sandbox, carrier, make_shop, control, base_url, browser):
    shop = make_shop(automation="buy")
    for _ in range(2):
        place(control, shop)
    drain(app, sandbox)
    sid = shop_id(svc, shop)
    live = bought_through_pipeline(svc, sid)
    assert live, "the pipeline bought labels"
    live_total, live_labels = sum(live.values()), _live_labels(svc, sid)
    seed(svc, shop,
         # one order, two parcels
         Label(10, "UPS", "Ground", ("8.00", "4.00"), estimated=3, took=2),
         Label(12, "UPS", "Ground", ("9.00",), estimated=3, took=5),          # late
         Label(20, "UPS", "Ground", ("7.00",), estimated=3, took=3),          # on the day: on time
         Label(12, "UPS", "Ground", ("50.00",), voided=True),                 # refunded: not spend
         Label(40, "USPS", "Priority", ("6.50",), estimated=2, took=1),
         Label(200, "FedEx", "FEDEX_GROUND", ("20.00",), estimated=4, took=9))
    ups = live.get(("UPS", "Ground"), Decimal(0)) + Decimal("28.00")
    with admin_visit(browser, base_url, shop, "/reports", "admin-reports", period="90") as seen:
        page = seen.page
        assert seen.status == 200 and not seen.errors, seen.errors
        spend = live_total + Decimal("34.50")
        assert figure(page, "spend") == f"{spend:,.2f} USD"
        assert figure(page, "orders") == "6" and figure(page, "labels") == str(live_labels + 5)
        assert figure(page, "average") == f"{(spend / 6).quantize(Decimal('0.01')):,} USD"
        table = cells(page, "services")
        assert table["UPS Ground"]["spend"] == f"{ups:,.2f} USD"
        assert table["USPS Priority"] == {"spend": "6.50 USD", "average": "6.50 USD"}
        assert "FedEx FEDEX_GROUND" not in table  # bought 200 days ago
        bars = page.query_selector_all("svg[data-chart=spend] rect[data-series]")
        assert sum(Decimal(b.get_attribute("data-value")) for b in bars) == spend
        ups_week = [b for b in bars if b.get_attribute("data-series") == "UPS"]
        assert len(ups_week) >= 2  # UPS spend in several weeks
        on_time = cells(page, "on-time")
        assert on_time["UPS Ground"]["rate"] == "67%"  # 2 of 3 delivered by the estimate
        assert on_time["USPS Priority"]["rate"] == "100%"
        with svc.db.session() as s:
            scores = reliability(s, sid)
        assert on_time["UPS Ground"]["score"] == f"{scores[('UPS', 'Ground')] * 100:.0f}%"
        share = page.query_selector("svg[data-chart=on-time] rect[data-service='UPS Ground']")
        assert abs(float(share.get_attribute("data-share")) - 2 / 3) < 1e-3
        page.click("text=Last 12 months")
        page.wait_for_selector("[data-table=services] tr[data-service='FedEx FEDEX_GROUND']")
        assert cells(page, "on-time")["FedEx FEDEX_GROUND"]["rate"] == "0%"
        page.click("text=Last 30 days")
        page.wait_for_selector("strong[aria-current=page]:has-text('Last 30 days')")
        assert "USPS Priority" not in cells(page, "services")
        points = page.query_selector_all("svg[data-chart=average] circle[data-value]")
        assert points and Decimal(points[-1].get_attribute("data-value")) == (
            live_total / 2).quantize(Decimal("0.01"))  # today: the two orders the pipeline shipped
        assert not seen.errors, seen.errors


def _live_labels(svc, sid: int) -> int:
    with svc.db.session() as s:
        return s.scalar(select(func.count(ParcelRow.id)).where(
            ParcelRow.shop_id == sid, ParcelRow.bought_at.is_not(None),
            ParcelRow.voided_at.is_(None)))


def test_reports_explain_what_will_show_when_nothing_shipped_yet(app, make_shop, base_url, browser):
    shop = make_shop()
    with admin_visit(browser, base_url, shop, "/reports", "admin-reports-empty") as seen:
        assert seen.status == 200 and not seen.errors, seen.errors
        for part in ("spend", "average", "services", "on-time"):
            assert seen.page.query_selector(f"[data-empty={part}]") is not None
        assert "No labels bought in the last 90 days" in seen.text()
        assert seen.page.query_selector("header.app a.current").inner_text() == "Reports"


def test_spend_in_another_currency_is_reported_apart(app, svc, make_shop, base_url):
    shop = make_shop()
    seed(svc, shop, Label(3, "UPS", "Ground", ("10.00",)), Label(4, "UPS", "Ground", ("15.00",)),
         Label(5, "Canada Post", "Expedited", ("12.00",), currency="CAD"))
    page = httpx.get(page_url(base_url, shop, "/reports")).text
    assert "25.00 USD" in page and "Canada Post" not in page
    cad = httpx.get(page_url(base_url, shop, "/reports", currency="CAD")).text
    assert "12.00 CAD" in cad and "Canada Post" in cad


def test_another_shops_token_sees_only_its_own_figures(app, svc, make_shop, base_url):
    mine, theirs = make_shop(), make_shop()
    seed(svc, theirs, Label(3, "UPS", "Ground", ("123.45",), estimated=2, took=1))
    page = httpx.get(page_url(base_url, mine, "/reports")).text
    assert "123.45" not in page and "UPS" not in page and 'data-empty="spend"' in page


def test_carrier_names_are_escaped(app, svc, make_shop, base_url):
    shop = make_shop()
    seed(svc, shop, Label(3, "<script>alert(1)</script>", "<b>Fast</b>", ("5.00",),
                          estimated=2, took=1))
    page = httpx.get(page_url(base_url, shop, "/reports")).text
    assert "<script>alert(1)" not in page and "<b>Fast" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_asks_the_database_the_same_few_questions_however_many_orders(
        app, svc, make_shop, base_url):
    shop = make_shop()
    seed(svc, shop, Label(3, "UPS", "Ground", ("5.00",), estimated=2, took=1))
    few = _queries(svc, page_url(base_url, shop, "/reports"))
    seed(svc, shop, *[Label(n % 80, ("UPS", "USPS", "FedEx")[n % 3], "Ground", ("5.00", "2.00"),
                            estimated=2, took=n % 4) for n in range(60)])
    many = _queries(svc, page_url(base_url, shop, "/reports"))
    assert many == few and few <= 10


def _queries(svc, url: str) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(svc.db.engine, "before_cursor_execute", count)
    try:
        assert httpx.get(url).status_code == 200
    finally:
        event.remove(svc.db.engine, "before_cursor_execute", count)
    return len(statements)
