"""After the label: tracking news reaches the order, Shopify, the customer and the merchant,
once."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import text

from orderflow.queue import outbox
from orderflow.queue.clock import schedule_tracking
from orderflow.sandbox.easypost.webhooks import signature

from .helpers import (
    CARRIER_WEBHOOK_SECRET,
    drain,
    from_now,
    fulfilments,
    get,
    orders_by_shopify_id,
    parcels,
    place,
    post_event,
    session_token,
    tracker_event,
    wait_for,
    worker_env,
)


def settle(app, sandbox, carrier, rounds: int = 20) -> None:
    """Until neither sandbox has a webhook in flight and every recorded delivery is done."""
    for _ in range(rounds):
        assert carrier.wait_webhooks_idle(30)
        drain(app, sandbox)
        if carrier.wait_webhooks_idle(0.2) and _idle(app):
            return
    raise AssertionError("tracking work did not settle")


def _idle(app) -> bool:
    svc = app.extensions["orderflow"]
    with svc.db.engine.connect() as conn:
        return not conn.execute(text(
            "SELECT count(*) FROM webhook_deliveries "
            "WHERE status IN ('pending', 'queued')")).scalar()


def step(app, sandbox, carrier, until: str | None = None) -> None:
    carrier.advance_trackers(until)
    settle(app, sandbox, carrier)


def shipped(app, sandbox, carrier, make_shop, control, smtp_server, **settings):
    carrier.reset()
    smtp_server.clear()
    shop = make_shop(automation="buy", **settings)
    order = place(control, shop, line_items=[{"sku": "MUG-CERAMIC", "quantity": 2}])
    settle(app, sandbox, carrier)
    return shop, order


def shipment_row(svc, shopify_id: int):
    with svc.db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT sh.* FROM shipments sh JOIN orders o ON o.id = sh.order_id "
            "WHERE o.shopify_id = :id AND sh.state = 'fulfilled'"), {"id": shopify_id}).one()


def notices(svc, channel: str | None = None) -> list:
    with svc.db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT channel, kind, state, recipient, error FROM notices "
            "WHERE CAST(:channel AS text) IS NULL OR channel = :channel ORDER BY id"),
            {"channel": channel}).all()


def shopify_events(control, shop, order) -> list[str]:
    """The live fulfilment's events in Shopify, oldest first, as Shopify spells their status."""
    [fulfilment] = [f for f in fulfilments(control, shop, order) if f["status"] != "cancelled"]
    events = control.get(f"/sandbox/shops/{shop}/fulfillments/{fulfilment['id']}/events").json()
    return [e["status"].upper() for e in events]


def mails(smtp_server) -> list:
    return [r.message for r in smtp_server.received]


def subjects(smtp_server) -> list[str]:
    return [m["Subject"] for m in mails(smtp_server)]


def test_a_parcel_travels_to_delivery_and_everyone_is_told_once(
        app, svc, sandbox, carrier, make_shop, control, smtp_server, base_url):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server,
                          emails={"alert_email": "ops@merchant.example"})
    assert subjects(smtp_server) == [f"Your order {order['name']} is on its way"]
    shipped_mail = mails(smtp_server)[0]
    assert shipped_mail["To"] == "customer@example.com"
    for status in ("in_transit", "out_for_delivery", "delivered"):
        step(app, sandbox, carrier, status)
    local = orders_by_shopify_id(svc)[order["id"]]
    assert local.state == "delivered"
    row = shipment_row(svc, order["id"])
    assert row.tracking_status == "delivered" and row.delivered_at is not None
    assert row.delivery_proof["signed_by"] and row.delivery_proof["where"]
    assert shopify_events(control, shop, order) == ["IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"]
    assert len(subjects(smtp_server)) == 3
    assert [n.kind for n in notices(svc, "email")] == ["shipped", "out_for_delivery", "delivered"]
    assert all(n.state == "sent" for n in notices(svc))
    detail = get(base_url, f"/api/orders/{local.id}", session_token(shop)).json()["order"]
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds.index("fulfilled") < kinds.index("in_transit") < kinds.index("delivered")


def test_a_forged_or_missing_carrier_signature_is_refused_and_changes_nothing(
        app, svc, sandbox, carrier, make_shop, control, smtp_server, base_url):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server)
    [parcel] = parcels(svc, order["id"])
    event = tracker_event(parcel.tracking_code, "delivered", from_now(1), from_now(1))
    assert post_event(base_url, event, secret="not-the-secret").status_code == 401
    body = json.dumps(event).encode()
    unsigned = httpx.post(f"{base_url}/webhooks/easypost", content=body)
    assert unsigned.status_code == 401
    tampered = httpx.post(f"{base_url}/webhooks/easypost",
                          content=body.replace(b"delivered", b"DELIVERED", 1),
                          headers={"X-Hmac-Signature": signature(body, CARRIER_WEBHOOK_SECRET)})
    assert tampered.status_code == 401
    settle(app, sandbox, carrier)
    assert shipment_row(svc, order["id"]).tracking_status != "delivered"


def test_duplicate_and_out_of_order_events_never_move_a_parcel_back(
        app, svc, sandbox, carrier, make_shop, control, smtp_server, base_url):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server)
    [parcel] = parcels(svc, order["id"])
    code = parcel.tracking_code
    # After the sandbox's own "label created" scan, which it stamps with the time it is bought.
    out = tracker_event(code, "out_for_delivery", from_now(2), from_now(2))
    transit = tracker_event(code, "in_transit", from_now(1), from_now(1))
    for event in (out, out, transit, transit):
        assert post_event(base_url, event).status_code == 200
    settle(app, sandbox, carrier)
    row = shipment_row(svc, order["id"])
    assert row.tracking_status == "out_for_delivery"
    with svc.db.engine.connect() as conn:
        history = conn.execute(text("SELECT tracking_events FROM parcels WHERE id = :i"),
                               {"i": parcel.id}).scalar()
    assert [e["status"] for e in history][-2:] == ["in_transit", "out_for_delivery"]
    assert shopify_events(control, shop, order).count("OUT_FOR_DELIVERY") == 1
    assert subjects(smtp_server).count(f"Your order {order['name']} is out for delivery") == 1


def test_the_sandbox_carrier_duplicating_and_reordering_its_webhooks_tells_each_status_once(
        app, svc, sandbox, carrier, make_shop, control, smtp_server):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server)
    carrier.set_faults(duplicate_webhooks=True, reorder_webhooks=True)
    for status in ("in_transit", "out_for_delivery", "delivered"):
        step(app, sandbox, carrier, status)
    carrier.clear_faults()
    assert shipment_row(svc, order["id"]).tracking_status == "delivered"
    events = shopify_events(control, shop, order)
    assert len(events) == len(set(events)) and events[-1] == "DELIVERED"
    kinds = [n.kind for n in notices(svc, "email")]
    assert len(kinds) == len(set(kinds)) == len(subjects(smtp_server))


def test_a_late_parcel_is_told_to_shopify_as_delayed_with_the_new_estimate(
        app, svc, sandbox, carrier, make_shop, control, smtp_server, base_url):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server)
    [parcel] = parcels(svc, order["id"])
    carrier.force_outcome(parcel.tracking_code, "delayed")
    step(app, sandbox, carrier, "in_transit")
    before = shipment_row(svc, order["id"])
    promised = _estimate(svc, parcel.id)
    step(app, sandbox, carrier)
    assert shipment_row(svc, order["id"]).tracking_status == before.tracking_status == "in_transit"
    assert shopify_events(control, shop, order) == ["IN_TRANSIT", "DELAYED"]
    assert _estimate(svc, parcel.id) > promised
    step(app, sandbox, carrier, "delivered")
    assert shopify_events(control, shop, order)[-1] == "DELIVERED"


def _estimate(svc, parcel_id):
    with svc.db.engine.connect() as conn:
        return conn.execute(text("SELECT tracking_estimate FROM parcels WHERE id = :i"),
                            {"i": parcel_id}).scalar()


def test_a_lost_webhook_is_recovered_by_polling(
        app, svc, sandbox, carrier, make_shop, control, smtp_server, monkeypatch):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server)
    carrier.set_faults(drop_webhooks=100)
    step(app, sandbox, carrier, "delivered")
    carrier.clear_faults()
    assert shipment_row(svc, order["id"]).tracking_status != "delivered"
    monkeypatch.setattr(svc, "settings",
                        dataclasses.replace(svc.settings, TRACKING_POLL_SECONDS=0.0))
    assert schedule_tracking(svc) >= 1
    settle(app, sandbox, carrier)
    assert shipment_row(svc, order["id"]).tracking_status == "delivered"
    assert orders_by_shopify_id(svc)[order["id"]].state == "delivered"
    assert shopify_events(control, shop, order)[-1] == "DELIVERED"


@pytest.mark.parametrize("outcome, alert",
                         [("failure", "failed"), ("return_to_sender", "returning")])
def test_a_delivery_problem_alerts_the_merchant_and_tells_the_customer(
        outcome, alert, app, svc, sandbox, carrier, make_shop, control, smtp_server, base_url):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server,
                          emails={"alert_email": "ops@merchant.example"})
    [parcel] = parcels(svc, order["id"])
    carrier.force_outcome(parcel.tracking_code, outcome)
    step(app, sandbox, carrier, "failure" if outcome == "failure" else "return_to_sender")
    alerts = get(base_url, "/api/alerts", session_token(shop)).json()["alerts"]
    assert [a["kind"] for a in alerts] == [alert]
    assert alerts[0]["order"]["name"] == order["name"]
    to = {m["To"]: m["Subject"] for m in mails(smtp_server)}
    assert "ops@merchant.example" in to and order["name"] in to["ops@merchant.example"]
    assert ("problem" in to["customer@example.com"].lower()
            or "problem" in mails(smtp_server)[-1].get_body(("plain",)).get_content().lower())
    assert shopify_events(control, shop, order)[-1] == "FAILURE"


def test_a_parcel_without_movement_for_days_raises_one_alert(
        app, svc, sandbox, carrier, make_shop, control, smtp_server, base_url, monkeypatch):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server,
                          emails={"alert_email": "ops@merchant.example"})
    step(app, sandbox, carrier, "in_transit")
    with svc.db.engine.begin() as conn:
        conn.execute(text("UPDATE parcels SET tracking_moved_at = now() - interval '6 days'"))
    for _ in range(2):
        schedule_tracking(svc)
        settle(app, sandbox, carrier)
    alerts = get(base_url, "/api/alerts", session_token(shop)).json()["alerts"]
    assert [a["kind"] for a in alerts] == ["stalled"]
    assert sum("ops@merchant.example" == m["To"] for m in mails(smtp_server)) == 1


def test_emails_respect_the_shops_choice_and_the_customers_unsubscribe(
        app, svc, sandbox, carrier, make_shop, control, smtp_server, base_url):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server,
                          emails={"customer": ["delivered"]})
    assert subjects(smtp_server) == []
    link = None
    step(app, sandbox, carrier, "out_for_delivery")
    assert subjects(smtp_server) == []
    # a second order of the same customer, who unsubscribes from its first email
    step(app, sandbox, carrier, "delivered")
    [delivered] = mails(smtp_server)
    link = delivered["List-Unsubscribe"].strip("<>")
    assert httpx.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    smtp_server.clear()
    order2 = place(control, shop, line_items=[{"sku": "MUG-CERAMIC", "quantity": 1}])
    settle(app, sandbox, carrier)
    step(app, sandbox, carrier, "delivered")
    assert subjects(smtp_server) == []
    assert all(n.state in ("sent", "skipped") for n in notices(svc))
    assert any(n.kind == "delivered" and n.state == "skipped" and "unsubscribed" in (n.error or "")
               for n in notices(svc, "email"))
    assert orders_by_shopify_id(svc)[order2["id"]].state == "delivered"


def _worker(svc, *queues: str) -> subprocess.Popen:
    env = worker_env(svc) | {"SMTP_URL": svc.settings.SMTP_URL, "MAIL_FROM": svc.settings.MAIL_FROM,
                             "CARRIER_WEBHOOK_SECRET": svc.settings.CARRIER_WEBHOOK_SECRET}
    return subprocess.Popen([str(Path(sys.executable).with_name("flask")), "--app", "orderflow",
                             "worker", *queues], cwd=Path(__file__).resolve().parents[1], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _out_for_delivery_without_emailing(app, svc, sandbox, carrier) -> None:
    """The carrier's news taken in by a worker that leaves the email queue alone."""
    carrier.advance_trackers("out_for_delivery")
    assert carrier.wait_webhooks_idle(30)
    outbox.dispatch(svc)
    queues = [Queue(n, connection=svc.queue.redis) for n in ("webhooks", "tracking")]
    with app.app_context():
        SimpleWorker(queues, connection=svc.queue.redis).work(burst=True)


def test_an_email_is_sent_once_when_the_worker_dies_right_after_sending_it(
        app, svc, sandbox, carrier, make_shop, control, smtp_server):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server)
    _out_for_delivery_without_emailing(app, svc, sandbox, carrier)
    smtp_server.clear()
    worker = _worker(svc, "email")
    smtp_server.on_message = lambda _received: os.killpg(worker.pid, signal.SIGKILL)
    try:
        smtp_server.wait_for(1, timeout=30)
    finally:
        worker.wait(timeout=30)
    smtp_server.on_message = None
    assert schedule_tracking(svc) >= 1, "the clock finds the notice its job left sending"
    settle(app, sandbox, carrier)
    assert subjects(smtp_server) == [f"Your order {order['name']} is out for delivery"]
    [notice] = [n for n in notices(svc, "email") if n.kind == "out_for_delivery"]
    assert notice.state == "unconfirmed" and "at most once" in notice.error


def test_a_mail_server_refusing_for_a_while_delays_the_email_but_sends_it_once(
        app, svc, sandbox, carrier, make_shop, control, smtp_server):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server)
    smtp_server.clear()
    smtp_server.refuse = "451 4.3.0 Mailbox busy, try again later"
    step(app, sandbox, carrier, "out_for_delivery")
    [notice] = [n for n in notices(svc, "email") if n.kind == "out_for_delivery"]
    assert notice.state == "pending" and "451" in notice.error, (
        notices(svc), subjects(smtp_server))
    assert subjects(smtp_server) == []
    smtp_server.refuse = None
    assert schedule_tracking(svc) >= 1
    settle(app, sandbox, carrier)
    assert subjects(smtp_server) == [f"Your order {order['name']} is out for delivery"]
    assert [n.state for n in notices(svc, "email") if n.kind == "out_for_delivery"] == ["sent"]


def test_a_shopify_event_is_pushed_once_when_the_worker_dies_waiting_for_shopify(
        app, svc, sandbox, carrier, make_shop, control, smtp_server):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server)
    control.post("/sandbox/faults", json={"latency_ms": 3000})
    carrier.advance_trackers("in_transit")
    assert carrier.wait_webhooks_idle(30)
    outbox.dispatch(svc)
    with app.app_context():
        SimpleWorker([Queue("webhooks", connection=svc.queue.redis)],
                     connection=svc.queue.redis).work(burst=True)
    worker = _worker(svc, "tracking")
    try:
        wait_for(lambda: [n.state for n in notices(svc, "shopify")] == ["sending"], "the push")
        time.sleep(1.0)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    time.sleep(3.0)  # Shopify finishes the request the dead worker made
    control.delete("/sandbox/faults")
    assert schedule_tracking(svc) >= 1, "the clock finds the notice its job left sending"
    settle(app, sandbox, carrier)
    assert shopify_events(control, shop, order) == ["IN_TRANSIT"]
    with svc.db.engine.connect() as conn:
        state, detail = conn.execute(
            text("SELECT state, detail FROM notices WHERE channel = 'shopify'")).one()
    assert state == "sent" and detail["adopted"] is True


def test_an_out_for_delivery_email_the_delivery_overtook_is_not_sent(
        app, svc, sandbox, carrier, make_shop, control, smtp_server):
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server)
    smtp_server.clear()
    _out_for_delivery_without_emailing(app, svc, sandbox, carrier)
    step(app, sandbox, carrier, "delivered")
    assert subjects(smtp_server) == [f"Your order {order['name']} has been delivered"]
    [late] = [n for n in notices(svc, "email") if n.kind == "out_for_delivery"]
    assert late.state == "skipped" and "delivered now" in late.error


def test_a_shop_with_its_own_carrier_account_buys_and_tracks_through_it(
        app, svc, sandbox, carrier, make_shop, control, smtp_server):
    own = "EZTK" + "shopowned" * 3 + "K9Z1"
    account = {"api_key": svc.box.encrypt(own), "last4": "K9Z1", "mode": "test"}
    shop, order = shipped(app, sandbox, carrier, make_shop, control, smtp_server,
                          carrier_account=account)
    step(app, sandbox, carrier, "delivered")
    used = carrier.stats()["requests_by_key"]
    for call in ("address_create", "shipment_create", "shipment_buy", "tracker_create"):
        assert any(k.startswith(call) and k.endswith("K9Z1") for k in used), used
    assert not any(k.endswith(svc.settings.EASYPOST_API_KEY[-4:]) for k in used), used
    assert shipment_row(svc, order["id"]).tracking_status == "delivered"
