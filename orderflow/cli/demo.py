"""The embedded demo: a sandbox shop, a real install, varied orders, and what became of them."""

from __future__ import annotations

import faulthandler
import logging
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select
from werkzeug.serving import make_server

from ..db.migrate import upgrade
from ..db.models import Alert, Notice, Order, ParcelRow, Shipment, WebhookDelivery
from ..fulfilment.states.deliveries import UNFINISHED
from ..fulfilment.states.notices import NoticeState
from ..fulfilment.tracking import PROBLEMS
from ..queue.clock import Clock

SHOP = "demo-store.myshopify.com"
DEMO_DB = Path("instance") / "demo.db"
DEMO_MAIL = Path("instance") / "mail"
CARRIER_SECRET = "demo-carrier-webhook-secret"
ADDRESS = {"first_name": "Ada", "last_name": "Lovelace", "address1": "12 Analytical Row",
           "city": "Portland", "province": "Oregon", "province_code": "OR", "zip": "97205",
           "country": "United States", "country_code": "US", "phone": "+1 503 555 0100"}


def demo_orders() -> list[tuple[str, dict]]:
    """What a real store sends in a day, the awkward cases included."""
    many = [{"sku": "MUG-CERAMIC", "quantity": 1, "price": "1.50"} for _ in range(60)]
    return [
        ("paid", {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 2}], "financial_status": "paid",
                  "customer": {"first_name": "Ada", "last_name": "Lovelace",
                               "email": "ada@example.com"}}),
        ("pending payment", {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 1}],
                             "financial_status": "pending"}),
        ("partly paid", {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 3}],
                         "financial_status": "partially_paid"}),
        ("digital only", {"line_items": [{"title": "E-book: Knitting", "quantity": 1,
                                          "price": "9.00", "requires_shipping": False}],
                          "shipping_address": None}),
        ("unicode names", {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 1}],
                           "customer": {"first_name": "José", "last_name": "Müller-Łukasiewicz",
                                        "email": "jose@example.com"},
                           "shipping_address": {"first_name": "美咲", "last_name": "佐藤",
                                                "address1": "千代田区丸の内1-1", "city": "東京",
                                                "zip": "100-0005", "province_code": "JP-13",
                                                "country": "Japan", "country_code": "JP"}}),
        ("in euros", {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 1, "price": "12.90"}],
                      "currency": "EUR"}),
        ("in yen", {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 1, "price": "1800"}],
                    "currency": "JPY"}),
        ("60 line items", {"line_items": many}),
        ("too few in stock", {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 500}]}),
        ("to be cancelled", {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 1}]}),
        ("edited after creation", {"line_items": [{"sku": "MUG-CERAMIC", "quantity": 1}],
                                   "shipping_address": dict(ADDRESS, zip="")}),
    ]


def _serve(app, port: int):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per webhook
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server


def _install(app_url: str) -> None:
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        page = browser.get(f"{app_url}/auth/install", params={"shop": SHOP})
    if page.status_code != 200 or "installed" not in page.text.lower():
        raise SystemExit(f"install failed ({page.status_code}): {page.text[:300]}")


def _wait(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            faulthandler.dump_traceback(all_threads=True)  # where the work is stuck
            raise SystemExit(f"demo: timed out waiting for {what}")
        time.sleep(0.2)


def _place_orders(sandbox: httpx.Client) -> list[str]:
    names = []
    for label, spec in demo_orders():
        spec = {"email": "buyer@example.com", "shipping_address": ADDRESS, **spec}
        order = sandbox.post(f"/sandbox/shops/{SHOP}/orders", json=spec).raise_for_status().json()
        names.append((label, order))
    by_label = dict(names)
    sandbox.post(f"/sandbox/shops/{SHOP}/orders/{by_label['to be cancelled']['id']}/cancel",
                 json={"reason": "customer"}).raise_for_status()
    sandbox.put(f"/sandbox/shops/{SHOP}/orders/{by_label['edited after creation']['id']}",
                json={"shipping_address": ADDRESS}).raise_for_status()
    return [(label, order["name"]) for label, order in names]


def _processed(svc):
    def done() -> bool:
        with svc.db.session() as s:
            waiting = s.scalar(select(func.count()).select_from(WebhookDelivery)
                               .where(WebhookDelivery.status.in_(UNFINISHED)))
        return waiting == 0 and svc.queue.idle()
    return done


def print_table(svc, labels: dict[str, str], out=sys.stdout) -> None:
    with svc.db.session() as s:
        orders = s.scalars(select(Order).order_by(Order.shopify_created_at, Order.id)).all()
        shipments = {sh.order_id: sh for sh in s.scalars(select(Shipment)).all()}
        tracking = {sh.id: ", ".join(p.tracking_code or "-" for p in sh.parcels)
                    for sh in shipments.values()}
    row = "{:<7} {:<22} {:>12} {:<15} {:<20} {:<22} {:>8} {:<24} {}"
    print(row.format("Order", "Case", "Total", "Payment", "State", "Carrier", "Cost", "Tracking",
                     "Why"), file=out)
    for o in orders:
        sh = shipments.get(o.id)
        carrier = f"{sh.carrier} {sh.service}" if sh and sh.carrier else ""
        cost = f"{sh.cost:.2f}" if sh and sh.cost is not None else ""
        why = o.hold_reason or (sh.selection or {}).get("reason", "") if sh else o.hold_reason or ""
        problem = sh and sh.tracking_status in PROBLEMS
        state = o.state + (f" ({sh.tracking_status})" if problem else "")
        print(row.format(o.name, labels.get(o.name, ""), f"{o.total_price:.2f} {o.currency}",
                         o.financial_status or "-", state, carrier[:22], cost,
                         tracking.get(sh.id, "") if sh else "", why or ""), file=out)


def _deliver(svc, carrier) -> None:
    """Walk the sandbox carrier's parcels through to their end, one status at a time, letting
    the app take in each step (webhooks, Shopify events, emails) before the next."""
    with svc.db.session() as s:
        lost = s.scalar(select(ParcelRow.tracking_code).join(Shipment).join(Order)
                        .where(ParcelRow.tracking_code.is_not(None))
                        .order_by(Order.shopify_id.desc()).limit(1))
    if lost:
        carrier.force_outcome(lost, "failure")  # the last order placed
    while carrier.advance_trackers():
        _wait(lambda: carrier.wait_webhooks_idle(1), "carrier webhooks")
        _wait(_processed(svc), "tracking updates")


def _print_alerts_and_mail(svc, app_url: str, out=sys.stdout) -> None:
    with svc.db.session() as s:
        token, name = s.execute(select(Shipment.tracking_token, Order.name).join(Order)
                                .where(Shipment.tracking_token.is_not(None))
                                .order_by(Order.id)).first()
        print(f"\nThe customer's tracking page of {name}: {app_url}/t/{token}", file=out)
        for alert, name in s.execute(select(Alert, Order.name)
                                     .join(Order, Order.id == Alert.order_id)):
            print(f"\nAlert for {name}: {alert.message}", file=out)
        sent = s.execute(select(Notice.channel, func.count())
                         .where(Notice.state == NoticeState.SENT)
                         .group_by(Notice.channel)).all()
    told = ", ".join(f"{n} {_CHANNELS.get(c, c)}" for c, n in sent) or "nothing"
    mails = sorted(DEMO_MAIL.glob("*.eml"))
    print(f"Told: {told}. The {len(mails)} emails are in {DEMO_MAIL.resolve()}/ "
          "(open an .eml file with any mail client).", file=out)


_CHANNELS = {"email": "customer emails", "shopify": "Shopify fulfilment events",
             "merchant": "merchant alerts"}


def run_demo(create_app, port: int, sandbox_port: int, carrier_port: int,
             keep_serving: bool = True) -> None:
    """`create_app` is the app factory (passed in, so the CLI that app.py registers does not import
    app.py back)."""
    from ..sandbox.easypost import SandboxEasyPost
    from ..sandbox.shopify import SandboxShopify

    app_url, sandbox_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
    carrier = SandboxEasyPost(port=carrier_port, time_scale=0,
                              webhook_url=f"{app_url}/webhooks/easypost",
                              webhook_secret=CARRIER_SECRET).start()
    DEMO_DB.parent.mkdir(exist_ok=True)
    DEMO_DB.unlink(missing_ok=True)
    shutil.rmtree(DEMO_MAIL, ignore_errors=True)
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("SMTP_URL", None)
    app = create_app({"DATABASE_URL": f"sqlite:///{DEMO_DB}", "APP_URL": app_url,
                      "SHOPIFY_SANDBOX_URL": sandbox_url, "RECONCILE_INTERVAL_SECONDS": 60.0,
                      "EASYPOST_API_BASE": f"{carrier.url}/v2",
                      "CARRIER_WEBHOOK_SECRET": CARRIER_SECRET,
                      "MAIL_DIR": str(DEMO_MAIL), "JOB_RETRY_SECONDS": "1,2,4,8,15"})
    svc = app.extensions["orderflow"]
    upgrade(svc.settings.DATABASE_URL)
    sandbox = SandboxShopify(svc.settings.SHOPIFY_API_KEY, svc.settings.SHOPIFY_API_SECRET,
                             app_webhooks_uri=svc.webhook_uri, port=sandbox_port).start()
    server = _serve(app, port)
    Clock(app).start_thread()
    print(f"sandbox Shopify at {sandbox.url}; sandbox EasyPost at {carrier.url}; "
          f"the app at {app_url}")

    with httpx.Client(base_url=sandbox.url, timeout=30) as control:
        control.post("/sandbox/shops",
                     json={"domain": SHOP, "name": "Demo Store"}).raise_for_status()
        _install(app_url)
        print(f"installed on {SHOP} through the OAuth code flow")
        _wait(lambda: len(control.get(f"/sandbox/shops/{SHOP}/webhook-subscriptions").json()) >= 3,
              "webhook subscriptions")
        labels = {name: label for label, name in _place_orders(control)}
    _wait(lambda: sandbox.wait_webhooks_idle(1), "webhook deliveries")
    _wait(_processed(svc), "order processing")
    print()
    print_table(svc, labels)
    _deliver(svc, carrier)
    print("\nThe carrier moved every parcel on to its end; one of them it could not deliver:\n")
    print_table(svc, labels)
    _print_alerts_and_mail(svc, app_url)
    if not keep_serving:
        server.shutdown()
        sandbox.stop()
        carrier.stop()
        return
    print(f"\nOpen {sandbox.url}/admin/apps/embedded?shop={SHOP} to see the app inside the "
          "sandbox admin. Ctrl-C stops.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()
        sandbox.stop()
        carrier.stop()
