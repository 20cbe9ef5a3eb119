"""/api: App Bridge session tokens, one shop's data, and never another's."""

from __future__ import annotations

import httpx

from .helpers import drain, get, place, session_token


def test_orders_list_filters_by_state_and_pages(app, sandbox, make_shop, control, base_url):
    shop = make_shop()
    for status in ("paid", "pending", "paid", "paid"):
        place(control, shop, financial_status=status)
    drain(app, sandbox)
    token = session_token(shop)
    held = get(base_url, "/api/orders", token, state="on_hold").json()["orders"]
    assert [o["hold_reason"] for o in held] and all(
        "Payment pending" in o["hold_reason"] for o in held)
    first = get(base_url, "/api/orders", token, limit=3).json()
    second = get(base_url, "/api/orders", token, limit=3, before=first["next_before"]).json()
    ids = [o["id"] for o in first["orders"] + second["orders"]]
    assert len(ids) == 4 == len(set(ids)) and ids == sorted(ids, reverse=True)
    assert second["next_before"] is None
    assert get(base_url, "/api/orders", token, state="shipped").status_code == 400
    assert get(base_url, "/api/orders", token, limit="ten").status_code == 400


def test_order_page_has_its_timeline(app, sandbox, make_shop, control, base_url):
    shop = make_shop()
    placed = place(control, shop, financial_status="pending")
    drain(app, sandbox)
    token = session_token(shop)
    listed = get(base_url, "/api/orders", token).json()["orders"][0]
    order = get(base_url, f"/api/orders/{listed['id']}", token).json()["order"]
    assert order["shopify_id"] == str(placed["id"])
    assert [e["kind"] for e in order["timeline"]] == ["received", "held"]
    assert order["timeline"][0]["source"].startswith("webhook orders/create")


def test_expired_forged_or_wrong_audience_tokens_get_401_and_no_data(app, make_shop, base_url):
    shop = make_shop()
    for token in (session_token(shop, ttl=-120), session_token(shop, secret="forged"),
                  session_token(shop, aud="another-app"), "not-a-jwt", None):
        response = get(base_url, "/api/orders", token)
        assert response.status_code == 401, token
        assert "orders" not in response.json()


def test_another_shops_order_is_a_404(app, sandbox, make_shop, control, base_url):
    mine, theirs = make_shop(), make_shop()
    place(control, theirs)
    drain(app, sandbox)
    their_id = get(base_url, "/api/orders", session_token(theirs)).json()["orders"][0]["id"]
    response = get(base_url, f"/api/orders/{their_id}", session_token(mine))
    assert response.status_code == 404
    assert get(base_url, "/api/orders", session_token(mine)).json()["orders"] == []


def test_app_home_renders_the_dashboard_inside_the_admin(
        app, sandbox, make_shop, control, base_url):
    shop = make_shop()
    place(control, shop, customer={"first_name": "<script>alert(1)</script>", "last_name": "X"},
          shipping_address={"first_name": "<b>Eve</b>", "last_name": "Q", "address1": "1 Road",
                            "city": "Reno", "province_code": "NV", "zip": "89501",
                            "country_code": "US"})
    drain(app, sandbox)
    page = httpx.get(f"{base_url}/", params={"shop": shop, "host": "x", "embedded": "1",
                                             "id_token": session_token(shop)})
    assert page.status_code == 200
    assert "frame-ancestors https://" + shop in page.headers["Content-Security-Policy"]
    assert "Ready to ship" in page.text
    bare = httpx.get(f"{base_url}/", params={"shop": shop, "embedded": "1"})
    assert bare.status_code == 302 and "/auth/patch-id-token" in bare.headers["location"]
