"""Installing: the OAuth code flow's checks, tokens encrypted at rest, refreshed before they
lapse."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from orderflow.integrations.shopify.oauth import query_hmac
from orderflow.services import access_token

from .helpers import API_SECRET, drain


def new_shop(control) -> str:
    domain = f"oauth-{uuid.uuid4().hex[:8]}.myshopify.com"
    control.post("/sandbox/shops", json={"domain": domain}).raise_for_status()
    return domain


def test_code_flow_installs_and_stores_the_token_encrypted(app, svc, control, base_url):
    shop = new_shop(control)
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        page = browser.get(f"{base_url}/auth/install", params={"shop": shop})
    assert page.status_code == 200 and "installed" in page.text.lower()
    with svc.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT access_token FROM shops WHERE domain = :d"),
                              {"d": shop}).scalar()
    assert stored and not stored.startswith("shpat_")
    assert svc.box.decrypt(stored).startswith("shpat_")


def test_callback_refuses_bad_hmac_state_shop_and_stale_requests(app, control, base_url):
    shop = new_shop(control)
    with httpx.Client(timeout=30) as browser:
        start = browser.get(f"{base_url}/auth/install", params={"shop": shop})
        assert start.status_code == 302
        state = httpx.URL(start.headers["location"]).params["state"]

        def callback(**overrides):
            params = {"code": "x", "shop": shop, "state": state,
                      "timestamp": str(int(datetime.now().timestamp()))}
            params.update(overrides)
            params["hmac"] = overrides.get("hmac") or query_hmac(list(params.items()), API_SECRET)
            return browser.get(f"{base_url}/auth/callback", params=params)

        assert callback(hmac="0" * 64).status_code == 400
        assert callback(state="guessed").status_code == 400
        assert callback(shop="evil.example.com").status_code == 400
        assert callback(timestamp="1000").status_code == 400
    assert httpx.get(f"{base_url}/auth/install", params={"shop": "not a shop"}).status_code == 400


def test_an_expiring_token_is_refreshed_before_it_lapses(app, svc, make_shop, control):
    shop = make_shop()
    with svc.db.engine.begin() as conn:
        shop_id, before = conn.execute(text(
            "UPDATE shops SET access_token_expires_at = :soon WHERE domain = :d "
            "RETURNING id, refresh_token"),
            {"soon": datetime.now(UTC) + timedelta(seconds=30), "d": shop}).one()
    with app.app_context():
        domain, token = access_token(svc, shop_id)
    with svc.db.engine.connect() as conn:
        after, expires = conn.execute(text(
            "SELECT refresh_token, access_token_expires_at FROM shops WHERE id = :i"),
            {"i": shop_id}).one()
    assert domain == shop and token.startswith("shpat_")
    assert svc.box.decrypt(after) != svc.box.decrypt(before), "the refresh token rotated"
    assert expires > datetime.now(UTC) + timedelta(minutes=10)


def test_tokens_and_secrets_never_reach_the_logs(app, svc, sandbox, make_shop, control, caplog):
    import logging
    caplog.set_level(logging.DEBUG)
    shop = make_shop()
    control.post(f"/sandbox/shops/{shop}/orders",
                 json={"line_items": [{"sku": "MUG-CERAMIC", "quantity": 1}]})
    drain(app, sandbox)
    with svc.db.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT access_token, refresh_token FROM shops WHERE domain = :d"),
            {"d": shop}).one()
    secrets = [svc.box.decrypt(stored[0]), svc.box.decrypt(stored[1]), API_SECRET]
    assert caplog.records, "the flow logged something"
    for secret in secrets:
        assert secret not in caplog.text
