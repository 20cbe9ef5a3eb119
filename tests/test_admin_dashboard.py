"""The embedded admin's frame: session-token pages, Shopify's framing policy, the dashboard."""

from __future__ import annotations

import httpx

from .admin import admin_visit, page_url
from .helpers import drain, place, session_token


def test_the_dashboard_shows_orders_by_state_in_chromium(
        app, sandbox, make_shop, control, base_url, browser):
    shop = make_shop()
    for status in ("paid", "pending", "paid"):
        place(control, shop, financial_status=status)
    drain(app, sandbox)
    with admin_visit(browser, base_url, shop, "/", "admin-dashboard") as seen:
        assert seen.status == 200 and not seen.errors
        cards = {c.get_attribute("data-state"): c.inner_text()
                 for c in seen.page.query_selector_all("[data-state]")}
        assert cards["ready"].endswith("2") and cards["on_hold"].endswith("1")
        assert "Needs a person (1)" in seen.text()
        meta = seen.page.get_attribute('meta[name="shopify-api-key"]', "content")
        assert meta == app.extensions["orderflow"].settings.SHOPIFY_API_KEY


def test_a_page_stays_usable_without_app_bridge(
        app, sandbox, make_shop, control, base_url, browser):
    shop = make_shop()
    with admin_visit(browser, base_url, shop, "/", "admin-dashboard-no-cdn", cdn="absent") as seen:
        assert seen.status == 200 and "Orders by state" in seen.text()


def test_pages_are_framed_only_by_the_shop_and_need_a_session_token(app, make_shop, base_url):
    shop = make_shop()
    page = httpx.get(page_url(base_url, shop))
    policy = page.headers["Content-Security-Policy"]
    assert f"https://{shop}" in policy and "frame-ancestors" in policy
    assert page.headers["Referrer-Policy"] == "same-origin"
    bounce = httpx.get(f"{base_url}/?shop={shop}&embedded=1")
    assert bounce.status_code == 302 and "/auth/patch-id-token" in bounce.headers["Location"]
    forged_token = session_token(shop, secret='x' * 40)
    forged = httpx.get(f"{base_url}/?shop={shop}&embedded=1&id_token={forged_token}")
    assert forged.status_code == 302 and "/auth/patch-id-token" in forged.headers["Location"]
    assert forged_token not in forged.headers["Location"]


def test_another_shops_token_sees_only_its_own_shop(app, sandbox, make_shop, control, base_url):
    mine, theirs = make_shop(), make_shop()
    place(control, theirs, financial_status="pending")
    drain(app, sandbox)
    page = httpx.get(page_url(base_url, mine))
    assert page.status_code == 200 and "Needs a person (0)" in page.text
