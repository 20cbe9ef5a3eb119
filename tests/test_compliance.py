"""Uninstall, and the privacy webhooks: data really goes, and only the right data."""

from __future__ import annotations

from sqlalchemy import text

from .helpers import drain, get, place, session_token
from .webhook_client import post_webhook


def database_text(svc) -> str:
    """Every row of every table, as text: where a customer's data could hide."""
    tables = ["shops", "customers", "orders", "line_items", "order_events", "webhook_deliveries",
              "data_requests"]
    with svc.db.engine.connect() as conn:
        return "\n".join(str(row) for t in tables
                         for row in conn.execute(text(f"SELECT * FROM {t}")))


JANE = {"first_name": "Jane", "last_name": "Doe-Redacted", "email": "jane.private@example.com",
        "phone": "+1 555 0199"}
JANE_ADDRESS = {"first_name": "Jane", "last_name": "Doe-Redacted", "address1": "77 Secret Lane",
                "city": "Hiddenville", "zip": "90210", "province_code": "CA",
                "country_code": "US", "country": "United States", "phone": "+1 555 0199"}


def test_customer_redact_really_removes_their_personal_data(
        app, svc, sandbox, make_shop, control, base_url):
    shop = make_shop()
    jane = place(control, shop, customer=JANE, email=JANE["email"], shipping_address=JANE_ADDRESS,
                 billing_address=JANE_ADDRESS, note="Leave with Jane's neighbour")
    place(control, shop,
          customer={"first_name": "Bob", "last_name": "Keep", "email": "bob@example.com"})
    drain(app, sandbox)
    assert "Secret Lane" in database_text(svc)
    control.post(f"/sandbox/shops/{shop}/compliance/customers-redact",
                 json={"customer_id": jane["customer"]["id"]}).raise_for_status()
    drain(app, sandbox)
    everything = database_text(svc)
    for secret in ("jane.private", "Doe-Redacted", "Secret Lane", "Hiddenville", "0199",
                   "neighbour"):
        assert secret not in everything, secret
    assert "bob@example.com" in everything
    orders = get(base_url, "/api/orders", session_token(shop)).json()["orders"]
    assert len(orders) == 2, "orders stay for the accounts"


def test_data_request_gives_the_merchant_what_we_hold(app, sandbox, make_shop, control, base_url):
    shop = make_shop()
    jane = place(control, shop, customer=JANE, email=JANE["email"], shipping_address=JANE_ADDRESS)
    drain(app, sandbox)
    control.post(f"/sandbox/shops/{shop}/compliance/customers-data_request",
                 json={"customer_id": jane["customer"]["id"]}).raise_for_status()
    drain(app, sandbox)
    exports = get(base_url, "/api/data-requests", session_token(shop)).json()["data_requests"]
    assert len(exports) == 1
    export = exports[0]["export"]
    assert export["customer"]["email"] == JANE["email"]
    assert export["orders"][0]["shipping_address"]["address1"] == "77 Secret Lane"


def test_uninstall_deletes_the_token_and_stops_the_shops_work(
        app, svc, sandbox, make_shop, control, base_url):
    shop = make_shop()
    placed = place(control, shop, deliver=False)
    control.post(f"/sandbox/shops/{shop}/uninstall").raise_for_status()
    drain(app, sandbox)
    with svc.db.engine.connect() as conn:
        token, uninstalled = conn.execute(text(
            "SELECT access_token, uninstalled_at FROM shops WHERE domain = :d"), {"d": shop}).one()
    assert token is None and uninstalled is not None
    late = post_webhook(base_url, shop, "orders/create", placed)
    assert late.status_code == 401


def test_shop_redact_erases_the_shop(app, svc, sandbox, make_shop, control):
    shop, other = make_shop(), make_shop()
    place(control, shop)
    place(control, other)
    drain(app, sandbox)
    control.post(f"/sandbox/shops/{shop}/uninstall").raise_for_status()
    control.post(f"/sandbox/shops/{shop}/compliance/shop-redact").raise_for_status()
    drain(app, sandbox)
    everything = database_text(svc)
    assert shop not in everything
    assert other in everything
    with svc.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM orders")).scalar() == 1
