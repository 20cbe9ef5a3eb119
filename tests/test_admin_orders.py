"""The orders list and an order's page in the embedded admin, in Chromium, on real data."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import event, select, text

from orderflow.db.models import Customer, Order, ParcelRow, Shipment, Shop

from .admin import admin_visit, page_url
from .helpers import buys, drain, orders_by_shopify_id, parcels, place

HOSTILE = "<script>alert(1)</script>"
BOLD_EVE = "<b>Eve</b>"
CARRIERS = ("UPS", "USPS", "FedEx")
START = datetime(2026, 1, 1, 12, tzinfo=UTC)


def shop_id(svc, domain: str) -> int:
    with svc.db.session() as s:
        return s.scalar(select(Shop.id).where(Shop.domain == domain))


def held(n: int) -> bool:
    return n % 5 == 0


def shipped(n: int) -> bool:
    return n % 3 == 0 and not held(n)


def carrier_of(n: int) -> str:
    return CARRIERS[(n // 3) % len(CARRIERS)]


def names(numbers) -> list[str]:
    """Order names as the list shows them: newest first."""
    return [f"#{5000 + n}" for n in sorted(numbers, reverse=True)]


def seed(svc, domain: str, count: int) -> list[int]:
    """`count` orders #5000.., one a day from START, each with a customer Cust<n> Last<n>:
    `held` ones on hold for payment, `shipped` ones fulfilled by `carrier_of` with tracking
    code TRK<n>, the rest ready. Their ids."""
    sid = shop_id(svc, domain)
    with svc.db.session() as s, s.begin():
        orders = [_order(sid, n) for n in range(count)]
        s.add_all(orders)
        s.flush()
        s.add_all(_shipment(sid, order, n) for n, order in enumerate(orders) if shipped(n))
        return [o.id for o in orders]


def _order(sid: int, n: int) -> Order:
    placed = START + timedelta(days=n)
    held_ = held(n)
    return Order(
        shop_id=sid, shopify_id=900_000 + n, name=f"#{5000 + n}", email=f"buyer{n}@example.com",
        currency="USD", total_price=Decimal("20.00"),
        financial_status="pending" if held_ else "paid",
        state="on_hold" if held_ else ("fulfilled" if shipped(n) else "ready"),
        hold_reason=(
            "Payment pending: wait for the payment to clear before shipping" if held_ else None
        ),
        shopify_created_at=placed, shopify_updated_at=placed,
        shipping_address={"name": f"Cust{n} Last{n}", "city": "Reno", "country_code": "US"},
        customer=Customer(shop_id=sid, shopify_id=800_000 + n, email=f"buyer{n}@example.com",
                          first_name=f"Cust{n}", last_name=f"Last{n}"))


def _shipment(sid: int, order: Order, n: int) -> Shipment:
    shipment = Shipment(shop_id=sid, order_id=order.id, fulfillment_order_id=f"fo-{n}", lines=[],
                        state="fulfilled", carrier=carrier_of(n), service="Ground",
                        cost=Decimal("7.50"), currency="USD")
    shipment.parcels = [ParcelRow(shop_id=sid, position=0, box="Small", length_in=8, width_in=6,
                                  height_in=4, weight_oz=12, contents={"items": {"MUG": 1}},
                                  tracking_code=f"TRK{n:05d}", bought_at=START)]
    return shipment


@contextmanager
def counted_queries(svc):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(svc.db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(svc.db.engine, "before_cursor_execute", count)


def listed(page) -> list[str]:
    """The order names in the list, top to bottom."""
    return [a.inner_text() for a in page.query_selector_all("tbody tr td:nth-child(2) a")]


def go(page, selector: str) -> None:
    """Click what leads to another page and wait until that page has loaded."""
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def order_ids_in(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-order-id="(\d+)"', html)]


def test_the_list_filters_searches_and_pages_in_chromium(app, svc, make_shop, base_url, browser):
    shop = make_shop()
    seed(svc, shop, 30)
    with admin_visit(browser, base_url, shop, "/orders", "admin-orders-list", per_page=10) as seen:
        page = seen.page
        assert seen.status == 200 and not seen.errors
        assert listed(page) == names(range(20, 30))
        go(page, "text=Older →")
        assert listed(page) == names(range(10, 20))
        go(page, "text=Older →")
        go(page, "text=← Newer")
        assert listed(page) == names(range(10, 20))
        go(page, "text=Newest")
        assert listed(page) == names(range(20, 30))

        page.select_option("select[name=state]", "on_hold")
        go(page, "text=Show orders")
        assert listed(page) == names(n for n in range(30) if held(n))
        page.select_option("select[name=state]", "")
        page.select_option("select[name=hold]", "payment")
        page.fill("input[name=from]", "2026-01-06")  # day 5
        page.fill("input[name=to]", "2026-01-16")  # day 15
        go(page, "text=Show orders")
        assert listed(page) == names((5, 10, 15))

        page.goto(page_url(base_url, shop, "/orders"))
        page.select_option("select[name=carrier]", "USPS")
        go(page, "text=Show orders")
        assert listed(page) == names(n for n in range(30) if shipped(n) and carrier_of(n) == "USPS")
        for query, expected in (("cust7 last7", [7]), ("#5012", [12]), ("5019", [19]),
                                ("BUYER28@example.com", [28]), ("trk00024", [24]),
                                ("last2", [2, *range(20, 30)]), ("nobody", [])):
            page.goto(page_url(base_url, shop, "/orders", q=query))
            assert listed(page) == names(expected), query
        assert "No orders match these filters" in seen.text()
        page.goto(page_url(base_url, shop, "/orders", per_page=10))  # the screenshot
        assert not seen.errors


def test_a_bad_date_is_named_next_to_its_field(app, svc, make_shop, base_url):
    shop = make_shop()
    seed(svc, shop, 3)
    page = httpx.get(page_url(base_url, shop, "/orders",
                              **{"from": "26/11/2026", "to": "2026-01-02"}))
    assert page.status_code == 200 and "Use a date like 2026-11-26." in page.text
    assert len(order_ids_in(page.text)) == 2  # the valid end date still applies


def test_a_list_page_costs_the_same_few_queries_for_10_or_50_rows(app, svc, make_shop, base_url):
    shop = make_shop()
    ids = seed(svc, shop, 60)
    counts = {}
    for size in (10, 50):
        for extra in ({}, {"q": "last"}, {"carrier": "UPS", "from": "2026-01-02"},
                      {"hold": "payment", "to": "2026-02-20"},
                      {"from": "2026-01-05", "to": "2026-02-05"}):
            with counted_queries(svc) as seen:
                page = httpx.get(page_url(base_url, shop, "/orders", per_page=size, **extra))
            assert page.status_code == 200 and order_ids_in(page.text)
            counts[size, tuple(extra)] = len(seen)
    assert len(set(counts.values())) == 1 and max(counts.values()) <= 4, counts

    assert walk(base_url, shop) == sorted(ids, reverse=True)
    # A past range is read from the date index, and paged by the same cursor.
    in_range = sorted(ids[10:45], reverse=True)
    assert walk(base_url, shop, **{"from": "2026-01-11", "to": "2026-02-14"}) == in_range


def walk(base_url, shop, **params) -> list[int]:
    """Every order id of the list, following its "Older" links 10 at a time."""
    walked, cursor = [], None
    while True:
        html = httpx.get(page_url(base_url, shop, "/orders", per_page=10, before=cursor,
                                  **params)).text
        walked += order_ids_in(html)
        older = re.search(r'before=(\d+)[^"]*" rel="next"', html)
        if not older:
            return walked
        cursor = older[1]


def test_an_order_page_costs_the_same_queries_whatever_it_holds(app, svc, make_shop, base_url):
    shop = make_shop()
    ids = seed(svc, shop, 4)
    sid = shop_id(svc, shop)
    with svc.db.session() as s, s.begin():
        busy = s.get(Order, ids[1])
        for n in range(3):
            shipment = _shipment(sid, busy, 100 + n)
            shipment.parcels.append(ParcelRow(shop_id=sid, position=1, box="Large", length_in=12,
                                              width_in=10, height_in=8, weight_oz=40, contents={}))
            s.add(shipment)
    counts = []
    for order_id, code in ((ids[3], "TRK00003"), (ids[1], "TRK00102")):
        with counted_queries(svc) as seen:
            page = httpx.get(page_url(base_url, shop, f"/orders/{order_id}"))
        assert page.status_code == 200 and code in page.text
        counts.append(len(seen))
    assert counts[0] == counts[1] <= 8, counts


def test_hostile_customer_text_shows_escaped_on_the_list_and_the_order(
        app, svc, sandbox, make_shop, control, base_url, browser):
    shop = make_shop()
    placed = place(control, shop, customer={"first_name": HOSTILE, "last_name": "X"},
                   note=f"leave at door {HOSTILE}",
                   shipping_address={"first_name": BOLD_EVE, "last_name": "Q", "address1": "1 Road",
                                     "city": "Reno", "province_code": "NV", "zip": "89501",
                                     "country_code": "US"})
    drain(app, sandbox)
    raw = httpx.get(page_url(base_url, shop, "/orders"))
    assert "&lt;b&gt;Eve&lt;/b&gt;" in raw.text and BOLD_EVE not in raw.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw.text and HOSTILE not in raw.text
    with admin_visit(browser, base_url, shop, "/orders", "admin-orders-hostile") as seen:
        assert HOSTILE in seen.text() and f"{BOLD_EVE} Q" in seen.text()
        assert not seen.dialogs and not seen.errors
    order_id = orders_by_shopify_id(svc)[placed["id"]].id
    with admin_visit(browser, base_url, shop, f"/orders/{order_id}", "admin-order-hostile") as seen:
        assert seen.status == 200 and HOSTILE in seen.text() and BOLD_EVE in seen.text()
        assert not seen.dialogs and not seen.errors


def test_another_shops_token_sees_nothing_of_this_shop(
        app, svc, sandbox, carrier, make_shop, control, base_url):
    mine, theirs = make_shop(automation="buy"), make_shop()
    placed = place(control, mine, customer={"first_name": "Secret", "last_name": "Customer"})
    drain(app, sandbox)
    order_id = orders_by_shopify_id(svc)[placed["id"]].id
    [row] = parcels(svc, placed["id"])
    listing = httpx.get(page_url(base_url, theirs, "/orders"))
    assert listing.status_code == 200 and "Secret" not in listing.text
    assert order_ids_in(listing.text) == []
    assert "Secret" not in httpx.get(page_url(base_url, theirs, "/orders", q="secret")).text
    paths = [f"/orders/{order_id}", f"/orders/{order_id}/labels/{row.id}"]
    for path in paths:
        answer = httpx.get(page_url(base_url, theirs, path))
        assert answer.status_code == 404 and "Secret" not in answer.text, path
    for action in ("release", "rerate", "cancel-shipping", f"shipments/{row.shipment_id}/void"):
        answer = httpx.post(page_url(base_url, theirs, f"/orders/{order_id}/{action}"))
        assert answer.status_code == 404, action
    assert orders_by_shopify_id(svc)[placed["id"]].state == "fulfilled"
    assert httpx.get(page_url(base_url, mine, f"/orders/{order_id}")).status_code == 200


def shown_state(page) -> str:
    return page.inner_text("#order-state")


def test_a_merchant_releases_a_hold_rerates_buys_a_chosen_rate_views_and_voids_the_label(
        app, svc, sandbox, carrier, make_shop, control, base_url, browser):
    shop = make_shop(automation="buy")
    placed = place(control, shop, financial_status="pending")
    drain(app, sandbox)
    order_id = orders_by_shopify_id(svc)[placed["id"]].id
    path = f"/orders/{order_id}"
    with admin_visit(browser, base_url, shop, path, "admin-order-on-hold") as seen:
        page = seen.page
        assert "Payment pending" in page.inner_text("#hold-reason")
        assert "does not show this order as paid" in seen.text()
        go(page, "text=Release the hold and rate the order")
        assert "Hold released, although Shopify does not show the order as paid" in seen.text()
        assert shown_state(page) == "Ready to ship" and not seen.errors

    drain(app, sandbox)
    assert parcels(svc, placed["id"])[0].state == "rated", "released on demand: rated, never bought"
    assert buys(carrier, parcels(svc, placed["id"])) == [0]
    with admin_visit(browser, base_url, shop, path, "admin-order-rated") as seen:
        page = seen.page
        assert page.is_checked("input[name=service]:checked")
        go(page, "text=Rate again")
        assert "Rating the order again" in seen.text()
        drain(app, sandbox)
        page.goto(page_url(base_url, shop, path))
        assert [r.state for r in parcels(svc, placed["id"])] == ["voided", "rated"]
        options = page.query_selector_all("input[name=service]")
        assert len(options) >= 3 and "Rates considered" in seen.text()
        assert "Why this rate" in seen.text()
        other = next(o for o in options if not o.is_checked()).get_attribute("value")
        page.check(f"input[name=service][value='{other}']")
        go(page, "text=Buy this label")
        assert "Buying the label" in seen.text() and not seen.errors
        assert page.is_checked(f"input[name=service][value='{other}']")
        assert "(your choice)" in seen.text()

    drain(app, sandbox)
    row = parcels(svc, placed["id"])[-1]
    assert row.tracking_code and buys(carrier, [row]) == [1]
    with svc.db.session() as s:
        shipment = s.get(Shipment, row.shipment_id)
        assert f"{shipment.carrier}/{shipment.service}" == other
    with admin_visit(browser, base_url, shop, path, "admin-order-label-bought") as seen:
        page = seen.page
        assert row.tracking_code in seen.text()
        assert shown_state(page) in ("Fulfilled", "In transit", "Delivered")
        assert "You chose this rate. The policy's choice was" in seen.text()
        assert "/t/" in page.get_attribute("a.tracking-page", "href")
        label = httpx.get(base_url + page.get_attribute("a.view-label", "href"))
        assert label.status_code == 200 and row.tracking_code.encode() in label.content
        assert label.headers["Content-Disposition"].startswith("inline")
        reprint = httpx.get(base_url + page.get_attribute("a.reprint-label", "href"))
        assert reprint.headers["Content-Disposition"].startswith("attachment")
        assert "Cancel shipping" not in seen.text()
        go(page, "text=Void the label")
        assert "Voiding the label" in seen.text() and not seen.errors

    drain(app, sandbox)
    assert carrier.stats()["refunds"].get(row.carrier_shipment_id) == 1
    # Cancelling the fulfilment made Shopify send the order again: still unpaid, so held again.
    voided = orders_by_shopify_id(svc)[placed["id"]]
    assert voided.state == "on_hold" and voided.hold_reason.startswith("Payment pending")
    with admin_visit(browser, base_url, shop, path, "admin-order-voided") as seen:
        assert "voided" in seen.text() and "View label" not in seen.text()
        assert "Release the hold and rate the order" in seen.text()
        go(seen.page, "text=Cancel shipping")
        assert "Shipping cancelled" in seen.text() and "Cancel shipping" not in seen.text()
        reason = seen.page.inner_text("#hold-reason")
        assert reason.startswith("Shipping cancelled by the merchant; Payment pending")
        assert "does not show this order as paid" in seen.text() and not seen.errors
    assert orders_by_shopify_id(svc)[placed["id"]].state == "on_hold"
    # Paid in Shopify afterwards: the merchant's stop still holds; only the merchant releases it.
    control.put(f"/sandbox/shops/{shop}/orders/{placed['id']}",
                json={"financial_status": "paid"}).raise_for_status()
    drain(app, sandbox)
    kept = orders_by_shopify_id(svc)[placed["id"]]
    assert kept.state == "on_hold"
    assert kept.hold_reason.startswith("Shipping cancelled by the merchant")


def test_actions_that_no_longer_fit_say_why_and_change_nothing(
        app, svc, sandbox, carrier, make_shop, control, base_url):
    shop = make_shop(automation="buy")
    placed = place(control, shop)
    drain(app, sandbox)
    order_id = orders_by_shopify_id(svc)[placed["id"]].id
    [row] = parcels(svc, placed["id"])

    def post(action, **form):
        answer = httpx.post(page_url(base_url, shop, f"/orders/{order_id}/{action}"), data=form)
        assert answer.status_code == 303
        return httpx.get(base_url + answer.headers["Location"]).text

    assert "has already shipped" in post("cancel-shipping")
    assert "not on hold" in post("release")
    assert "can no longer be bought" in post(f"shipments/{row.shipment_id}/buy",
                                             service="UPS/Ground")
    assert "Choose one of the rates" in post(f"shipments/{row.shipment_id}/buy")
    assert "Only an order that is ready" in post("rerate")
    assert buys(carrier, [row]) == [1]
    assert orders_by_shopify_id(svc)[placed["id"]].state == "fulfilled"


def test_a_hold_placed_in_shopify_is_released_there(app, svc, make_shop, base_url):
    shop = make_shop()
    [order_id] = seed(svc, shop, 1)
    with svc.db.engine.begin() as conn:
        conn.execute(text("UPDATE orders SET hold_reason = 'Held in Shopify: awaiting payment' "
                          "WHERE id = :id"), {"id": order_id})
    page = httpx.get(page_url(base_url, shop, f"/orders/{order_id}")).text
    assert "Release it on the order's page in Shopify" in page
    assert "Release the hold and rate" not in page
    answer = httpx.post(page_url(base_url, shop, f"/orders/{order_id}/release"))
    assert "held in Shopify" in httpx.get(base_url + answer.headers["Location"]).text
    assert orders_by_shopify_id(svc)[900_000].state == "on_hold"


def test_every_refusal_has_a_message_for_the_merchant():
    import inspect

    from orderflow.actions import shipping as shipping_actions
    from orderflow.admin.auth import FLASHES
    refusals = re.findall(r'Refused\(\d+, "(\w+)"', inspect.getsource(shipping_actions))
    codes = set(refusals) - {"not_found"}
    assert codes and {f"order_{code}" for code in codes} <= set(FLASHES)
