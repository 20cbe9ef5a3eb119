"""The customer's tracking page at /t/<token>, checked in real headless Chromium."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import event

from orderflow.db.models import LineItem, Order, ParcelRow, Shipment, Shop, ShopSettings

from .browser import DESKTOP, PHONE, visit

SCRIPT_TITLE = "<script>alert(1)</script>"
NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)

# What the first shipment's page shows, and what nobody's page may show.
FIRST_SHOWS = ["Maple & Pine Goods", "#1001", "9400111899223344556677", "Black tee, medium",
               "Departed USPS facility", "Newark, NJ, US"]
PRIVATE = ["221B", "Baker Street", "ada@example.com", "555-0100", "123.45", "5550001001",
           "shp_internal", "trk_internal", "rate_internal", "gid://", "VOIDED-CODE"]


PRICE = Decimal("123.45")


def seed(svc, *, shop: str, order: str, token: str, shipment: dict, parcels: list[dict],
         lines: list[tuple[str | None, str]], settings: dict | None = None) -> None:
    """One shop, one order with personal data and prices, one fulfilled shipment."""
    with svc.db.session() as s, s.begin():
        shop_row = Shop(domain=f"{secrets.token_hex(4)}.myshopify.com", name=shop)
        s.add(shop_row)
        s.flush()
        if settings:
            s.add(ShopSettings(shop_id=shop_row.id, data=settings))
        order_row = customer_order(shop_row.id, order, lines)
        s.add(order_row)
        s.flush()
        row = Shipment(
            shop_id=shop_row.id, order_id=order_row.id, tracking_token=token, state="fulfilled",
            fulfillment_order_id="gid://shopify/FulfillmentOrder/555", lines=[], cost=PRICE,
            shopify_fulfillment_id="gid://shopify/Fulfillment/777", currency="USD", **shipment)
        row.parcels = [parcel_row(shop_row.id, n, fields) for n, fields in enumerate(parcels)]
        s.add(row)


def customer_order(shop_id: int, name: str, lines: list[tuple[str | None, str]]) -> Order:
    address = {"name": "Ada Lovelace", "address1": "221B Baker Street", "city": "Brooklyn",
               "zip": "11201", "phone": "555-0100"}
    items = [LineItem(shopify_id=900 + n, title=title, sku=sku, quantity=1, price=PRICE,
                      requires_shipping=True, gift_card=False)
             for n, (sku, title) in enumerate(lines)]
    return Order(shop_id=shop_id, shopify_id=5550001001, name=name, email="ada@example.com",
                 currency="USD", total_price=PRICE, shopify_created_at=NOW, shopify_updated_at=NOW,
                 shipping_address=address, billing_address=address, line_items=items)


def parcel_row(shop_id: int, position: int, fields: dict) -> ParcelRow:
    return ParcelRow(shop_id=shop_id, position=position, box="Small box", length_in=Decimal(10),
                     width_in=Decimal(8), height_in=Decimal(4), weight_oz=Decimal(12), amount=PRICE,
                     rate_id=f"rate_internal_{position}", bought_at=NOW, **fields)


def scan(status: str, message: str, at: str, city: str | None = None, state: str | None = None):
    return {"status": status, "message": message, "at": at, "city": city, "state": state,
            "country": "US", "zip": "11201" if city else None}


def in_transit(svc, token: str) -> None:
    events = [scan("label_created", "Shipping label created", "2026-03-01T09:00:00Z"),
              scan("in_transit", "Departed USPS facility", "2026-03-02T18:30:00Z", "NEWARK", "NJ"),
              scan("in_transit", "<img src=x onerror=alert(2)>", "2026-03-03T07:15:00Z",
                   "BROOKLYN", "NY")]
    seed(svc, shop="Maple & Pine Goods", order="#1001", token=token,
         lines=[("TEE-BLK-M", "Black tee, medium"), (None, SCRIPT_TITLE)],
         shipment={"carrier": "USPS", "service": "Priority", "tracking_status": "in_transit",
                   "estimated_delivery": date(2026, 3, 6)},
         parcels=[
             {"tracking_code": "9400111899223344556677", "tracking_status": "in_transit",
              "carrier_shipment_id": "shp_internal_a", "tracker_id": "trk_internal_a",
              "tracking_estimate": datetime(2026, 3, 5, tzinfo=UTC),
              "contents": {"items": {"TEE-BLK-M": 2, SCRIPT_TITLE: 1}, "billable_lb": 1},
              "tracking_events": events},
             {"tracking_code": "VOIDED-CODE-1", "voided_at": NOW,
              "carrier_shipment_id": "shp_internal_v", "contents": {"items": {"Voided thing": 1}}},
         ])


def delivered(svc, token: str) -> None:
    events = [scan("in_transit", "Origin scan", "2026-03-02T10:00:00Z", "PORTLAND", "OR"),
              scan("delivered", "Delivered", "2026-03-04T15:05:00Z", "SEATTLE", "WA")]
    proof = {"at": "2026-03-04T15:05:00Z", "where": "FRONT DOOR", "signed_by": "T RIVERS",
             "message": "Delivered, Left at Front Door"}
    seed(svc, shop="Harbor Tea Co", order="#2002", token=token, lines=[("OOLONG-50", "Oolong tin")],
         shipment={"carrier": "UPS", "service": "Ground", "estimated_delivery": date(2026, 3, 4),
                   "tracking_status": "delivered", "delivery_proof": proof,
                   "delivered_at": datetime(2026, 3, 4, 15, 5, tzinfo=UTC)},
         parcels=[{"tracking_code": "1Z999AA10123456784", "tracking_status": "delivered",
                   "carrier_shipment_id": "shp_internal_b", "contents": {"items": {"OOLONG-50": 1}},
                   "tracking_events": events}])


@pytest.fixture
def first(svc) -> str:
    token = secrets.token_urlsafe(24)
    in_transit(svc, token)
    return token


@pytest.fixture
def second(svc) -> str:
    token = secrets.token_urlsafe(24)
    delivered(svc, token)
    return token


def assert_private(html: str) -> None:
    leaked = [value for value in PRIVATE if value in html]
    assert not leaked, f"the page shows {leaked}"


def test_the_page_shows_status_progress_estimate_timeline_items_and_tracking_number(
        browser, base_url, first):
    with visit(browser, f"{base_url}/t/{first}", "tracking-in-transit-desktop",
               viewport=DESKTOP) as seen:
        assert seen.status == 200
        text = seen.text()
        for shown in FIRST_SHOWS + ["On its way", "Thursday 5 March", "Shipping label created",
                                    "2 ×", "USPS Priority"]:
            assert shown in text, shown
        current = seen.page.locator('[aria-current="step"]').inner_text()
        assert current.strip().startswith("On its way")
        messages = seen.page.locator(".timeline .message").all_inner_texts()
        assert messages == ["<img src=x onerror=alert(2)>", "Departed USPS facility",
                            "Shipping label created"]
        link = seen.page.get_by_role("link", name="9400111899223344556677")
        assert link.get_attribute("href") == (
            "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223344556677")
        assert seen.page.locator("script").count() == 0
        assert_private(seen.page.content())
        assert seen.errors == [] and seen.dialogs == []


def test_customer_text_is_escaped_and_shown_literally(browser, base_url, first):
    with visit(browser, f"{base_url}/t/{first}", "tracking-escaped-text") as seen:
        item = seen.page.locator(".items li", has_text="alert(1)")
        assert item.inner_text() == f"1 × {SCRIPT_TITLE}"
        assert seen.page.locator("img").count() == 0
        assert seen.dialogs == [] and seen.errors == []


def test_the_page_works_without_javascript_on_a_phone(browser, base_url, first):
    with visit(browser, f"{base_url}/t/{first}", "tracking-no-javascript-phone",
               javascript=False, viewport=PHONE) as seen:
        assert seen.status == 200
        text = seen.text()
        for shown in FIRST_SHOWS + ["On its way", "Thursday 5 March"]:
            assert shown in text, shown
        assert seen.width() <= PHONE["width"]
        assert seen.errors == []


def test_another_shipments_token_shows_that_shipment_only(browser, base_url, first, second):
    with visit(browser, f"{base_url}/t/{second}", "tracking-delivered-phone") as seen:
        assert seen.status == 200
        text = seen.text()
        for shown in ["Harbor Tea Co", "#2002", "Delivered", "1Z999AA10123456784", "Oolong tin",
                      "FRONT DOOR", "T RIVERS", "Delivered, Left at Front Door", "Seattle, WA, US"]:
            assert shown in text, shown
        html = seen.page.content()
        assert [value for value in FIRST_SHOWS if value in html] == []
        assert "Estimated delivery" not in text
        assert_private(html)
        assert seen.width() <= PHONE["width"] and seen.errors == []


WRONG_TOKENS = {
    "guessed": secrets.token_urlsafe(24),
    "too-short": "short",
    "too-long": "x" * 44,
    "injection": quote("' OR '1'='1' --xxxxxxxxxxxxxxxxxxxxx", safe=""),
    "dotted": "." * 32,
}


@pytest.mark.parametrize("name", WRONG_TOKENS)
def test_a_guessed_or_malformed_token_is_404_and_reveals_nothing(browser, base_url, first, name):
    with visit(browser, f"{base_url}/t/{WRONG_TOKENS[name]}", f"tracking-not-found-{name}") as seen:
        assert seen.status == 404
        text = seen.text()
        assert "Tracking page not found" in text
        assert [value for value in FIRST_SHOWS if value in text] == []
        assert seen.width() <= PHONE["width"]


def test_not_found_is_the_same_page_whatever_the_token(base_url, first):
    near_miss = first[:-1] + ("A" if first[-1] != "A" else "B")
    bodies = {httpx.get(f"{base_url}/t/{token}").text
              for token in (secrets.token_urlsafe(24), "short", near_miss)}
    assert len(bodies) == 1


def test_a_malformed_token_costs_no_query_and_any_other_one_lookup(svc, base_url, first):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(svc.db.engine, "before_cursor_execute", count)
    try:
        assert httpx.get(f"{base_url}/t/not-a-token").status_code == 404
        assert statements == []
        assert httpx.get(f"{base_url}/t/{secrets.token_urlsafe(24)}").status_code == 404
        assert len(statements) == 1
    finally:
        event.remove(svc.db.engine, "before_cursor_execute", count)


@pytest.mark.parametrize("found", [True, False])
def test_responses_are_private_uncached_unindexed_and_script_free(base_url, first, found):
    response = httpx.get(f"{base_url}/t/{first if found else secrets.token_urlsafe(24)}")
    assert response.status_code == (200 if found else 404)
    headers = response.headers
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Robots-Tag"] == "noindex"
    assert headers["Referrer-Policy"] == "no-referrer"
    directives = headers["Content-Security-Policy"].split(";")
    policy = dict(part.strip().split(" ", 1) for part in directives)
    assert policy["default-src"] == "'none'" and "script-src" not in policy
    assert policy["style-src"] == "'unsafe-inline'" and policy["img-src"] == "https:"
    assert "<script" not in response.text.replace("&lt;script", "")


@pytest.mark.parametrize("emails, colour, logo", [
    ({"colour": "#ff6600", "logo_url": "https://cdn.example.com/logo.png"}, "#ff6600",
     "https://cdn.example.com/logo.png"),
    ({"colour": "red;}body{display:none", "logo_url": "javascript:alert(1)"}, None, None),
    ({"colour": "#12345", "logo_url": "http://cdn.example.com/logo.png"}, None, None),
    ("not a dict", None, None),
])
def test_the_shops_colour_and_logo_are_used_only_when_safe(svc, base_url, emails, colour, logo):
    token = secrets.token_urlsafe(24)
    seed(svc, shop="Brand Test", order="#3003", token=token, lines=[], settings={"emails": emails},
         shipment={"carrier": "USPS", "tracking_status": "label_created"},
         parcels=[{"tracking_code": "9400100000000000000333", "contents": {"items": {}}}])
    html = httpx.get(f"{base_url}/t/{token}").text
    assert (f"--brand: {colour};" in html) == (colour is not None)
    assert ("<img" in html) == (logo is not None)
    if logo:
        assert f'src="{logo}"' in html
    for bad in ("display:none", "javascript:", "http://cdn"):
        assert bad not in html
