"""POST /webhooks/shopify: only Shopify's signed, well-formed deliveries are recorded, once."""

from __future__ import annotations

import json

from sqlalchemy import text

from .helpers import drain, free_port, settings_for
from .webhook_client import post_webhook, sign


def deliveries(svc) -> list:
    with svc.db.engine.connect() as conn:
        return conn.execute(text("SELECT webhook_id, topic, status FROM webhook_deliveries")).all()


def order_payload(control, shop: str, **spec) -> dict:
    spec = {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 1}], "deliver": False, **spec}
    return control.post(f"/sandbox/shops/{shop}/orders", json=spec).raise_for_status().json()


def test_signed_order_webhook_is_recorded_before_the_answer_and_processed(
        svc, app, make_shop, control, base_url):
    shop = make_shop()
    payload = order_payload(control, shop)
    response = post_webhook(base_url, shop, "orders/create", payload, webhook_id="wh-1")
    assert response.status_code == 200
    assert [tuple(r) for r in deliveries(svc)] == [("wh-1", "orders/create", "pending")]
    drain(app)
    with svc.db.engine.connect() as conn:
        state, shopify_id = conn.execute(text("SELECT state, shopify_id FROM orders")).one()
    assert state == "ready"
    assert shopify_id == payload["id"] and payload["id"] > 2**53


def test_forged_signature_wrong_secret_and_altered_body_are_refused(
        svc, make_shop, control, base_url):
    shop = make_shop()
    payload = order_payload(control, shop)
    body = json.dumps(payload).encode()
    forged = post_webhook(base_url, shop, "orders/create", payload,
                          headers={"X-Shopify-Hmac-Sha256": "bm90IGEgcmVhbCBzaWduYXR1cmU="})
    wrong_secret = post_webhook(base_url, shop, "orders/create", payload, secret="not-our-secret")
    altered = body.replace(b'"quantity": 1', b'"quantity": 9', 1)
    assert altered != body and len(altered) == len(body)
    one_byte = post_webhook(base_url, shop, "orders/create", None, body=altered,
                            headers={"X-Shopify-Hmac-Sha256": sign(body)})
    assert [forged.status_code, wrong_secret.status_code, one_byte.status_code] == [401, 401, 401]
    assert deliveries(svc) == []


def test_the_previous_secret_still_verifies_during_rotation(
        database_url, sandbox, app_port, make_shop, control):
    import threading

    from werkzeug.serving import make_server

    from orderflow import create_app
    port = free_port()
    rotated = create_app(settings_for(
        database_url, sandbox, app_port, SHOPIFY_API_SECRET="new-secret-new-secret-new-secret-new",
        SHOPIFY_API_SECRET_OLD="test-client-secret-of-at-least-32-bytes"))
    server = make_server("127.0.0.1", port, rotated, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        shop = make_shop()
        payload = order_payload(control, shop)
        old = post_webhook(f"http://127.0.0.1:{port}", shop, "orders/create", payload)
        new = post_webhook(f"http://127.0.0.1:{port}", shop, "orders/create", payload,
                           secret="new-secret-new-secret-new-secret-new")
        other = post_webhook(f"http://127.0.0.1:{port}", shop, "orders/create", payload,
                             secret="other")
        assert (old.status_code, new.status_code, other.status_code) == (200, 200, 401)
    finally:
        server.shutdown()


def test_duplicate_webhook_id_is_answered_200_and_has_no_second_effect(
        svc, app, make_shop, control, base_url):
    shop = make_shop()
    payload = order_payload(control, shop)
    first = post_webhook(base_url, shop, "orders/create", payload, webhook_id="same-id")
    drain(app)
    second = post_webhook(base_url, shop, "orders/create", payload, webhook_id="same-id")
    drain(app)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"duplicate": "same-id"}
    assert len(deliveries(svc)) == 1
    with svc.db.engine.connect() as conn:
        events = conn.execute(text("SELECT kind FROM order_events ORDER BY id")).scalars().all()
    assert events == ["received", "ready"]


def test_bad_requests_get_a_4xx_with_a_reason_and_record_nothing(svc, make_shop, base_url):
    shop = make_shop()
    cases = {
        "malformed JSON": post_webhook(base_url, shop, "orders/create", None, body=b'{"id": 1,'),
        "JSON array": post_webhook(base_url, shop, "orders/create", None, body=b"[1, 2]"),
        "not UTF-8": post_webhook(base_url, shop, "orders/create", None, body=b'{"n": "\xff"}'),
        "no topic": post_webhook(base_url, shop, None, {"id": 1}),
        "no webhook id": post_webhook(base_url, shop, "orders/create", {"id": 1},
                                      headers={"X-Shopify-Webhook-Id": None}),
        "no signature": post_webhook(base_url, shop, "orders/create", {"id": 1},
                                     headers={"X-Shopify-Hmac-Sha256": None}),
        "bad shop domain": post_webhook(base_url, "evil.example.com", "orders/create", {"id": 1}),
        "unknown shop": post_webhook(base_url, "nobody.myshopify.com", "orders/create", {"id": 1}),
    }
    for case, response in cases.items():
        assert 400 <= response.status_code < 500, (case, response.status_code)
        assert response.json().get("error"), case
    assert deliveries(svc) == []


def test_an_unusable_order_body_fails_visibly_without_a_500(svc, app, make_shop, base_url):
    shop = make_shop()
    response = post_webhook(base_url, shop, "orders/create", {"id": 123, "line_items": "nope"})
    assert response.status_code == 200
    drain(app)
    with svc.db.engine.connect() as conn:
        status, error = conn.execute(text("SELECT status, error FROM webhook_deliveries")).one()
    assert status == "failed"
    assert "orders/create" in error


def test_fuzzed_order_bodies_never_500_and_never_leave_work_stuck(
        svc, app, make_shop, control, base_url):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    shop = make_shop()
    real = order_payload(control, shop)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
        | st.text(max_size=80),
        lambda inner: st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(key=st.sampled_from(sorted(real)), value=json_values)
    def post_mutant(key, value):
        response = post_webhook(base_url, shop, "orders/updated", dict(real, **{key: value}))
        assert response.status_code in (200, 400), response.text

    post_mutant()
    drain(app)
    with svc.db.engine.connect() as conn:
        statuses = set(conn.execute(text("SELECT status FROM webhook_deliveries")).scalars())
    assert statuses <= {"done", "failed"}
