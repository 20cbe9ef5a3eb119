"""Settings in the embedded admin: forms that save the settings document section by section,
say what is wrong next to the field and save nothing then, and never show the carrier key back."""

from __future__ import annotations

import httpx
import pytest

from orderflow.db.models import Shop, ShopSettings

from .admin import admin_visit, page_url
from .helpers import session_token

PAGES = ["/settings", "/settings/ship-from", "/settings/boxes", "/settings/shipping",
         "/settings/carrier", "/settings/emails"]
CARRIER_KEY = "EZTKsecret0123456789abcdefWXYZ"


def stored(svc, shop: str) -> dict:
    with svc.db.session() as s:
        shop_id = s.query(Shop.id).filter_by(domain=shop).scalar()
        row = s.get(ShopSettings, shop_id)
        return dict(row.data) if row else {}


def post(base_url: str, shop: str, path: str, data) -> httpx.Response:
    return httpx.post(page_url(base_url, shop, path), data=data)


def console_errors(seen) -> list[str]:
    """Console errors, but for Chromium's note that a refused form answered 422 (on purpose: bad
    input gets a 4xx with its reasons)."""
    return [e for e in seen.errors if "status of 422" not in e]


def errors_on(page) -> dict[str, str]:
    return {e.get_attribute("data-error-for"): e.inner_text()
            for e in page.query_selector_all(".field-error[data-error-for]")}


@pytest.mark.parametrize("path", PAGES)
def test_each_settings_page_loads_without_console_errors(app, make_shop, base_url, browser, path):
    shop = make_shop()
    name = "admin-settings" + path.replace("/settings", "").replace("/", "-")
    with admin_visit(browser, base_url, shop, path, name) as seen:
        assert seen.status == 200 and not seen.errors, seen.errors
        assert seen.page.title().startswith(("Settings", "Ship-from", "Boxes", "Rates", "Carrier",
                                             "Emails"))
        current = seen.page.query_selector("header.app a.current")
        assert current is not None and current.inner_text() == "Settings"


def test_a_merchant_changes_email_settings_and_sees_them_saved(
        app, svc, make_shop, base_url, browser):
    shop = make_shop()
    with admin_visit(browser, base_url, shop, "/settings/emails",
                     "admin-settings-emails-saved") as seen:
        page = seen.page
        page.fill("#emails-colour", "#D0451B")
        page.fill("#emails-reply_to", "help@maple.example")
        page.uncheck("#emails-customer-problem")
        page.click("[data-kind=shipped] summary")
        page.fill("#emails-templates-shipped-subject", "{order} left {shop} today")
        page.click("button[value=save]")
        page.wait_for_selector(".flash")
        assert "Settings saved." in page.inner_text(".flash")
        assert page.input_value("#emails-colour") == "#D0451B"
        assert not page.is_checked("#emails-customer-problem")
        assert page.is_checked("#emails-customer-shipped")
        assert "left" in page.inner_text("[data-preview=subject]")
        assert not seen.errors, seen.errors
    emails = stored(svc, shop)["emails"]
    assert emails["colour"] == "#D0451B" and emails["reply_to"] == "help@maple.example"
    assert emails["customer"] == ["shipped", "out_for_delivery", "delivered"]
    assert emails["templates"] == {"shipped": {"subject": "{order} left {shop} today"}}
    assert stored(svc, shop)["automation"] == "off"  # other sections' settings are kept


def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_saved(
        app, svc, make_shop, base_url, browser):
    shop = make_shop()
    before = stored(svc, shop)
    with admin_visit(browser, base_url, shop, "/settings/shipping",
                     "admin-settings-shipping-errors") as seen:
        page = seen.page
        page.fill("#policy-max_cost", "ten dollars")
        page.fill("#policy-excluded_services", "UPS")
        page.fill("#policy-max_days", "3")
        page.click("button[type=submit]")
        page.wait_for_selector("#problems")
        errors = errors_on(page)
        assert set(errors) == {"policy.max_cost", "policy.excluded_services"}
        assert "Enter a number" in errors["policy.max_cost"]
        assert "as Carrier / Service" in errors["policy.excluded_services"]
        field = page.query_selector("#policy-max_cost")
        assert field.get_attribute("aria-invalid") == "true"
        assert page.input_value("#policy-max_cost") == "ten dollars"  # the input is kept
        assert page.input_value("#policy-max_days") == "3"
        assert "Nothing was saved" in page.inner_text("#problems")
        assert not console_errors(seen), seen.errors
    assert stored(svc, shop) == before


def test_email_address_and_colour_errors_sit_next_to_their_fields(app, svc, make_shop, base_url):
    shop = make_shop()
    page = post(base_url, shop, "/settings/emails", {
        "action": "save", "emails.customer": ["delivered"], "emails.colour": "red",
        "emails.reply_to": "help at maple", "emails.templates.shipped.subject": "Hi {name}"})
    assert page.status_code == 422
    assert 'data-error-for="emails.colour"' in page.text
    assert "hex colour such as #2c6ecb" in page.text
    assert 'data-error-for="emails.reply_to"' in page.text
    assert "{name} is not something we can fill in" in page.text
    assert "emails" not in stored(svc, shop)


def test_shopifys_confirmation_and_our_shipped_email_are_not_both_on(app, svc, make_shop, base_url):
    shop = make_shop()
    page = post(base_url, shop, "/settings/emails", {
        "action": "save", "emails.customer": ["shipped", "delivered"], "notify_customer": "on"})
    assert page.status_code == 422 and 'data-error-for="notify_customer"' in page.text
    assert "both reach the customer" in page.text
    saved = post(base_url, shop, "/settings/emails", {
        "action": "save", "emails.customer": ["delivered"], "notify_customer": "on"})
    assert saved.status_code == 303
    assert stored(svc, shop)["notify_customer"] is True


def test_the_email_preview_shows_the_merchants_colour_and_escaped_text(
        app, svc, make_shop, base_url, browser):
    shop = make_shop()
    before = stored(svc, shop)
    with admin_visit(browser, base_url, shop, "/settings/emails",
                     "admin-settings-email-preview") as seen:
        page = seen.page
        page.fill("#emails-colour", "#0a7d3e")
        page.click("[data-kind=delivered] summary")
        page.fill("#emails-templates-delivered-intro",
                  "<b>Thanks</b> for {order}!<script>alert(1)</script>")
        page.select_option("#preview-kind", "delivered")
        page.click("button[value=preview]")
        page.wait_for_selector("text=(not saved yet)")
        frame = page.frame_locator("iframe")
        shown = frame.locator("body").inner_text()
        assert "<b>Thanks</b> for #1001!<script>alert(1)</script>" in shown
        assert frame.locator("b").count() == 0 and frame.locator("script").count() == 0
        style = frame.locator("table.card").get_attribute("style")
        assert "#0a7d3e" in style
        assert page.query_selector("[data-swatch]").get_attribute("data-swatch") == "#0a7d3e"
        assert "delivered" in page.inner_text("[data-preview=subject]")
        assert not seen.errors and not seen.dialogs
    assert stored(svc, shop) == before


def test_the_carrier_key_is_write_only(app, svc, make_shop, base_url, browser):
    shop = make_shop()
    with admin_visit(browser, base_url, shop, "/settings/carrier",
                     "admin-settings-carrier") as seen:
        page = seen.page
        page.fill("#carrier-label", "Main account")
        page.fill("#carrier-api_key", CARRIER_KEY)
        page.click("button.primary")
        page.wait_for_selector(".flash")
        assert "ending in …WXYZ" in page.inner_text("[data-carrier-key]")
        assert "test" in page.inner_text("[data-carrier-key]")
        assert page.input_value("#carrier-api_key") == ""
        assert CARRIER_KEY not in page.content() and "secret0123" not in page.content()
        assert not seen.errors
    account = stored(svc, shop)["carrier_account"]
    assert CARRIER_KEY not in str(stored(svc, shop))
    assert svc.box.decrypt(account["api_key"]) == CARRIER_KEY and account["label"] == "Main account"
    seen_anywhere = [httpx.get(page_url(base_url, shop, path)).text for path in PAGES]
    token = {"Authorization": f"Bearer {session_token(shop)}"}
    seen_anywhere += [httpx.get(f"{base_url}{path}", headers=token).text
                      for path in ("/api/orders", "/api/alerts")]
    for text in seen_anywhere:
        assert CARRIER_KEY not in text and account["api_key"] not in text
        assert "secret0123" not in text
    renamed = post(base_url, shop, "/settings/carrier",
                   {"carrier.label": "Renamed", "carrier.api_key": ""})
    assert renamed.status_code == 303
    assert svc.box.decrypt(stored(svc, shop)["carrier_account"]["api_key"]) == CARRIER_KEY
    removed = post(base_url, shop, "/settings/carrier/remove", {})
    assert removed.status_code == 303 and "carrier_account" not in stored(svc, shop)


def test_a_key_that_cannot_be_an_easypost_key_is_refused_and_not_shown_back(
        app, svc, make_shop, base_url):
    shop = make_shop()
    page = post(base_url, shop, "/settings/carrier",
                {"carrier.label": "x", "carrier.api_key": "sk_live_12345678"})
    assert page.status_code == 422 and 'data-error-for="carrier.api_key"' in page.text
    assert "starts with EZAK" in page.text and "sk_live_12345678" not in page.text
    assert "carrier_account" not in stored(svc, shop)


def test_ship_from_addresses_per_location_are_saved(app, svc, make_shop, base_url, browser):
    shop = make_shop()
    with admin_visit(browser, base_url, shop, "/settings/ship-from",
                     "admin-settings-ship-from") as seen:
        page = seen.page
        for field, value in {"name": "Maple & Co", "address1": "1 Main St", "city": "Portland",
                             "province_code": "or", "zip": "97201", "country_code": "us"}.items():
            page.fill(f"#origin-{field}", value)
        row = "[data-location-row='0']"
        page.fill(f"{row} #origins-0-location", "Brooklyn warehouse")
        for field, value in {"company": "3PL Inc", "address1": "5 Dock Rd", "city": "Brooklyn",
                             "province_code": "NY", "country_code": "US"}.items():
            page.fill(f"#origins-0-{field}", value)
        page.click("button[type=submit]")
        page.wait_for_selector("#problems")
        assert errors_on(page) == {"origins.0.zip": "Give the postal or ZIP code"}
        page.fill("#origins-0-zip", "11201")
        page.click("button[type=submit]")
        page.wait_for_selector(".flash")
        assert page.input_value("#origins-0-location") == "Brooklyn warehouse"
        assert not console_errors(seen), seen.errors
    saved = stored(svc, shop)
    assert saved["origin"] == {"name": "Maple & Co", "address1": "1 Main St", "city": "Portland",
                               "province_code": "OR", "zip": "97201", "country_code": "US"}
    assert saved["origins"]["Brooklyn warehouse"]["zip"] == "11201"
    cleared = post(base_url, shop, "/settings/ship-from",
                   {"origins.0.location": "Brooklyn warehouse", "origins.0.remove": "on"})
    assert cleared.status_code == 303
    assert "origin" not in stored(svc, shop) and "origins" not in stored(svc, shop)


def test_boxes_are_changed_added_and_removed_without_javascript(
        app, svc, make_shop, base_url, browser):
    shop = make_shop()
    with admin_visit(browser, base_url, shop, "/settings/boxes", "admin-settings-boxes",
                     javascript=False) as seen:
        page = seen.page
        page.fill("#boxes-0-name", "Mailer")
        page.check("input[name='boxes.2.remove']")
        page.fill("#boxes-3-name", "Tube")
        page.fill("#boxes-3-length", "30")
        page.fill("#boxes-3-width", "3")
        page.fill("#boxes-3-height", "0")
        page.select_option("select[name='boxes.3.unit']", "cm")
        page.click("button[type=submit]")
        assert errors_on(page) == {"boxes.3.height": "Enter a number above 0, such as 8"}
        assert page.input_value("#boxes-3-name") == "Tube"
        page.fill("#boxes-3-height", "3.5")
        page.click("button[type=submit]")
        assert "Settings saved." in page.inner_text(".flash")
    boxes = stored(svc, shop)["boxes"]
    assert [b["name"] for b in boxes] == ["Mailer", "Medium box", "Tube"]
    assert boxes[2]["inner"] == [30, 3, 3.5, "cm"]


def test_another_shops_token_sees_its_own_settings_only(app, svc, make_shop, base_url):
    mine, theirs = make_shop(), make_shop()
    assert post(base_url, theirs, "/settings/emails", {
        "action": "save", "emails.customer": ["delivered"], "emails.colour": "#123456",
        "emails.reply_to": "owner@theirs.example"}).status_code == 303
    key_saved = post(base_url, theirs, "/settings/carrier", {"carrier.api_key": CARRIER_KEY})
    assert key_saved.status_code == 303
    page = httpx.get(page_url(base_url, mine, "/settings/emails"))
    assert "owner@theirs.example" not in page.text and "#123456" not in page.text
    overview = httpx.get(page_url(base_url, mine, "/settings")).text
    assert "WXYZ" not in overview and "No EasyPost key of your own is set." in overview
    assert "emails" not in stored(svc, mine)


def test_merchant_text_is_escaped_on_every_settings_page(app, svc, make_shop, base_url):
    dock = {"company": "<script>x()</script>", "address1": "1 Main", "city": "Austin",
            "province_code": "TX", "zip": "78701", "country_code": "US"}
    shop = make_shop(boxes=[{"name": "<img src=x onerror=alert(1)>", "inner": [8, 6, 4, "in"]}],
                     origins={"<b>Dock</b>": dock})
    for path in PAGES:
        text = httpx.get(page_url(base_url, shop, path)).text
        assert "<img src=x" not in text and "<script>x()" not in text and "<b>Dock" not in text
    boxes_page = httpx.get(page_url(base_url, shop, "/settings/boxes")).text
    assert "&lt;img src=x onerror=alert(1)&gt;" in boxes_page
    assert "&lt;b&gt;Dock&lt;/b&gt;" in httpx.get(page_url(base_url, shop, "/settings")).text


def test_a_stored_problem_is_named_with_where_to_fix_it(app, svc, make_shop, base_url):
    shop = make_shop(label_format="GIF")
    overview = httpx.get(page_url(base_url, shop, "/settings")).text
    assert "label_format: use one of PDF, PNG, ZPL" in overview
    assert "/settings/shipping?" in overview
    page = post(base_url, shop, "/settings/emails",
                {"action": "save", "emails.customer": ["shipped"]})
    assert page.status_code == 422 and 'data-error-for="label_format"' in page.text
    assert "fix it here" in page.text and "emails" not in stored(svc, shop)
    removed = post(base_url, shop, "/settings/carrier/remove", {})  # removing a secret always works
    assert removed.status_code == 303
