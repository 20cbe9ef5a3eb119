"""Batch label purchase in the embedded admin: select orders, watch the job, print its labels."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

import httpx
from pypdf import PdfReader
from redis import Redis
from sqlalchemy import select, text

from orderflow.db.models import Batch
from orderflow.jobs.batches import buy_batch

from .admin import admin_visit, page_url
from .browser import ARTIFACTS
from .helpers import (
    REDIS_URL,
    TWO_KINDS,
    buys,
    drain,
    events,
    orders_by_shopify_id,
    place,
    session_token,
    wait_for,
    worker_env,
)

HOSTILE = "<script>alert(1)</script>"
TEE_SHIPS_ALONE = {"TEE-CLASSIC-M": {"ships_alone": True, "dimensions": [12, 10, 2, "in"]}}


def bought_parcels(svc, order_ids: list[int]) -> list:
    """The live labels of these orders, in the order a batch of them prints them."""
    with svc.db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.id, p.carrier_shipment_id, p.tracking_code, sh.order_id FROM parcels p "
            "JOIN shipments sh ON sh.id = p.shipment_id WHERE sh.order_id = ANY(:ids) "
            "AND p.bought_at IS NOT NULL AND p.voided_at IS NULL ORDER BY sh.id, p.position"),
            {"ids": order_ids}).all()
    return sorted(rows, key=lambda r: order_ids.index(r.order_id))


def batch_row(svc, batch_id: int) -> Batch:
    with svc.db.session() as s:
        return s.get(Batch, batch_id)


def ready_orders(app, sandbox, control, shop, count: int, **spec) -> list:
    placed = [place(control, shop, **spec) for _ in range(count)]
    drain(app, sandbox)
    known = orders_by_shopify_id(app.extensions["orderflow"])
    assert all(known[p["id"]].state == "ready" for p in placed)
    return [known[p["id"]] for p in placed]


def post_batch(base_url, shop, order_ids) -> httpx.Response:
    return httpx.post(page_url(base_url, shop, "/batches"), data={"order_id": order_ids})


def started_batch(base_url, shop, order_ids) -> int:
    response = post_batch(base_url, shop, order_ids)
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].split("?")[0].rsplit("/", 1)[1])


def download(page, selector: str) -> bytes:
    with page.expect_download() as event:
        page.click(selector)
    return Path(event.value.path()).read_bytes()


def test_a_merchant_buys_labels_for_selected_orders_watches_progress_and_prints(
        app, svc, sandbox, carrier, make_shop, control, base_url, browser):
    shop = make_shop(products=TEE_SHIPS_ALONE)
    guest = {"first_name": HOSTILE, "last_name": "Ñandú", "email": "hostile@example.com"}
    orders = (ready_orders(app, sandbox, control, shop, 1, line_items=TWO_KINDS, customer=guest)
              + ready_orders(app, sandbox, control, shop, 3))
    chosen = [o.id for o in orders[:3]]
    carrier.set_faults(buy_latency_ms=300)  # labels come one by one, as they do for real
    try:
        with admin_visit(browser, base_url, shop, "/batches", "admin-batches") as seen:
            assert seen.status == 200 and HOSTILE in seen.text()
            for order_id in chosen:
                seen.page.check(f"#order-{order_id}")
            seen.page.screenshot(path=str(ARTIFACTS / "admin-batches-select.png"), full_page=True)
            seen.page.click("text=Buy labels for the selected orders")
            bar = seen.page.wait_for_selector("progress#batch-bar")
            assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("0", "3")
            assert "0 of 3 orders" in seen.text() and "Batch started" in seen.text()
            seen.page.evaluate("""() => {
                window.sameDocument = true; window.barValues = [];
                const bar = document.getElementById('batch-bar');
                new MutationObserver(() => barValues.push(bar.value))
                    .observe(bar, {attributes: true});
            }""")
            drain(app, sandbox)
            seen.page.wait_for_selector("#labels-pdf")
            values = seen.page.evaluate("window.sameDocument && window.barValues")
            assert values and values[-1] == 3 and values == sorted(values), values
            assert "3 of 3 orders" in seen.text() and HOSTILE in seen.text()
            labels = PdfReader(BytesIO(download(seen.page, "#labels-pdf"))).pages
            slips = PdfReader(BytesIO(download(seen.page, "#packing-slips"))).pages
            assert not seen.errors and not seen.dialogs
    finally:
        carrier.clear_faults()
    with svc.db.session() as s:
        [batch] = s.scalars(select(Batch)).all()
    assert sorted(batch.order_ids) == sorted(chosen), "in the order the page listed them"
    parcels = bought_parcels(svc, batch.order_ids)
    assert len(labels) == len(parcels) > len(chosen), "the first order ships in two parcels"
    for page, parcel in zip(labels, parcels, strict=True):
        assert [round(float(v)) for v in page.mediabox[2:]] == [288, 432]
        assert parcel.tracking_code in page.extract_text()
    assert buys(carrier, parcels) == [1] * len(parcels)
    slip_text = [page.extract_text() for page in slips]
    assert len(slips) >= 3 and orders[3].name not in "".join(slip_text)
    for order in orders[:3]:
        assert any(f"Order {order.name}" in page for page in slip_text), order.name
    [hostile] = [page for page in slip_text if HOSTILE in page]
    assert "Ñandú" in hostile and f"Order {orders[0].name}" in hostile
    assert all(p.tracking_code in "".join(slip_text) for p in parcels)


def test_a_batch_run_again_or_after_its_worker_was_killed_buys_no_label_twice(
        app, svc, sandbox, carrier, make_shop, control, base_url):
    shop = make_shop()
    orders = ready_orders(app, sandbox, control, shop, 3)
    carrier.set_faults(buy_latency_ms=1500)
    batch_id = started_batch(base_url, shop, [o.id for o in orders])
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("flask")), "--app", "orderflow", "worker", "shipping"],
        cwd=Path(__file__).resolve().parents[1], env=worker_env(svc), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: batch_row(svc, batch_id).finished >= 1, "the first order's label")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        carrier.clear_faults()
    assert batch_row(svc, batch_id).state == "running"
    # The killed run's buy may still be under way at the carrier (its 1.5 s latency outlasts the
    # test's 1 s lease; a real lease outlasts the job's timeout): let it land, then the lease end.
    wait_for(lambda: not carrier.store.purchasing, "the killed run's purchase at the carrier")
    time.sleep(svc.settings.PURCHASE_LEASE_SECONDS)  # the killed run's purchase lease runs out
    with app.app_context():
        buy_batch(batch_id)
        buy_batch(batch_id)
    batch = batch_row(svc, batch_id)
    assert (batch.state, batch.finished, batch.failed) == ("done", 3, 0)
    assert [batch.results[str(o.id)]["state"] for o in orders] == ["bought"] * 3
    parcels = bought_parcels(svc, [o.id for o in orders])
    assert len(parcels) == 3 and buys(carrier, parcels) == [1] * 3
    with svc.db.session() as s, s.begin():
        s.get(Batch, batch_id).state = "running"  # as if the last commit was lost
    with app.app_context():
        buy_batch(batch_id)
    assert buys(carrier, parcels) == [1] * 3 and batch_row(svc, batch_id).finished == 3


def test_orders_that_cannot_be_bought_are_skipped_or_failed_with_a_reason(
        app, svc, sandbox, carrier, make_shop, control, base_url):
    shop, other = make_shop(), make_shop()
    ready, bought, cancelled = ready_orders(app, sandbox, control, shop, 3)
    [nowhere] = ready_orders(app, sandbox, control, shop, 1, shipping_address={
        "first_name": "Nobody", "last_name": "Here", "address1": "1 UNDELIVERABLE Road",
        "city": "Portland", "province_code": "OR", "zip": "97205", "country_code": "US"})
    pending = place(control, shop, financial_status="pending")
    [theirs] = ready_orders(app, sandbox, control, other, 1)
    started_batch(base_url, shop, [bought.id])
    control.post(f"/sandbox/shops/{shop}/orders/{cancelled.shopify_id}/cancel").raise_for_status()
    drain(app, sandbox)
    held = orders_by_shopify_id(svc)[pending["id"]]
    ids = [ready.id, nowhere.id, bought.id, cancelled.id, held.id, theirs.id]
    with svc.db.session() as s, s.begin():  # the form refuses another shop's order; the job too
        s.add(batch := Batch(shop_id=shop_id(svc, shop), order_ids=ids, results={}, total=len(ids)))
    with app.app_context():
        buy_batch(batch.id)
    done = batch_row(svc, batch.id)
    assert (done.state, done.finished, done.failed) == ("done", 6, 1)
    results = done.results
    assert [results[str(i)]["state"] for i in ids] == ["bought", "failed"] + ["skipped"] * 4
    assert "cannot deliver" in results[str(nowhere.id)]["message"]
    assert "already bought" in results[str(bought.id)]["message"]
    assert "Cancelled" in results[str(cancelled.id)]["message"]
    assert "Payment pending" in results[str(held.id)]["message"]
    assert "not in this shop" in results[str(theirs.id)]["message"]
    assert bought_parcels(svc, [nowhere.id, cancelled.id, held.id, theirs.id]) == []
    assert "batch_failed" in events(svc, nowhere.shopify_id)


def shop_id(svc, domain: str) -> int:
    with svc.db.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM shops WHERE domain = :d"), {"d": domain}).scalar()


def test_a_posted_order_of_another_shop_starts_nothing_and_says_why(
        app, svc, sandbox, carrier, make_shop, control, base_url):
    mine, theirs = make_shop(), make_shop()
    [own] = ready_orders(app, sandbox, control, mine, 1)
    [foreign] = ready_orders(app, sandbox, control, theirs, 1)
    for posted, message in (([own.id, foreign.id], "not this shop&#39;s orders"),
                            ([], "Select at least one order"), (["1; DROP"], "not this shop"),
                            (list(range(1, 300)), "at most 250 orders")):
        page = httpx.post(page_url(base_url, mine, "/batches"), data={"order_id": posted},
                          follow_redirects=True)
        assert page.status_code == 200 and message in page.text, posted
    drain(app, sandbox)
    with svc.db.session() as s:
        assert s.scalars(select(Batch)).all() == []
    assert bought_parcels(svc, [own.id, foreign.id]) == []


def test_another_shops_batch_is_not_found(app, svc, sandbox, make_shop, control, base_url):
    mine, theirs = make_shop(), make_shop()
    [order] = ready_orders(app, sandbox, control, theirs, 1)
    batch_id = started_batch(base_url, theirs, [order.id])
    drain(app, sandbox)
    for path in ("", "/progress", "/labels.pdf", "/labels.zpl", "/packing-slips.pdf"):
        assert httpx.get(page_url(base_url, mine, f"/batches/{batch_id}{path}")).status_code == 404
    for path in ("", "/progress", "/labels.pdf", "/packing-slips.pdf"):
        owner = httpx.get(page_url(base_url, theirs, f"/batches/{batch_id}{path}"))
        assert owner.status_code == 200, path


def test_the_progress_answers_app_bridge_fetches_and_its_links_carry_that_token(
        app, svc, sandbox, make_shop, control, base_url):
    shop = make_shop()
    orders = ready_orders(app, sandbox, control, shop, 1)
    batch_id = started_batch(base_url, shop, [o.id for o in orders])
    drain(app, sandbox)
    token = session_token(shop)
    progress = httpx.get(f"{base_url}/batches/{batch_id}/progress?shop={shop}",
                         headers={"Authorization": f"Bearer {token}"})
    assert progress.status_code == 200
    data = progress.json()
    assert (data["state"], data["finished"], data["text"]) == ("done", 1, "1 of 1 order")
    assert f"id_token={token}" in data["html"] and "labels.pdf" in data["html"]


def test_a_batch_whose_job_was_lost_starts_again_when_its_page_is_open(
        app, svc, sandbox, carrier, make_shop, control, base_url):
    shop = make_shop()
    orders = ready_orders(app, sandbox, control, shop, 2)
    batch_id = started_batch(base_url, shop, [o.id for o in orders])
    Redis.from_url(REDIS_URL).flushdb()  # Redis restarted empty: the job is gone
    drain(app, sandbox)
    assert batch_row(svc, batch_id).state == "queued"
    assert httpx.get(page_url(base_url, shop, f"/batches/{batch_id}")).status_code == 200
    drain(app, sandbox)
    assert batch_row(svc, batch_id).state == "done"
    assert buys(carrier, bought_parcels(svc, [o.id for o in orders])) == [1, 1]


def test_without_javascript_the_batch_page_refreshes_itself(
        app, svc, sandbox, make_shop, control, base_url, browser):
    shop = make_shop()
    orders = ready_orders(app, sandbox, control, shop, 2)
    batch_id = started_batch(base_url, shop, [o.id for o in orders])
    with admin_visit(browser, base_url, shop, f"/batches/{batch_id}", "admin-batch-no-js",
                     javascript=False) as seen:
        assert seen.status == 200 and "0 of 2 orders" in seen.text()
        assert seen.page.query_selector('noscript meta[http-equiv="refresh"]') is not None
        drain(app, sandbox)
        seen.page.wait_for_selector("text=2 of 2 orders", timeout=15_000)
        assert seen.page.query_selector('meta[http-equiv="refresh"]') is None, "done: it stops"


def test_png_labels_print_on_4x6_pages_and_zpl_labels_as_one_file(
        app, svc, sandbox, carrier, make_shop, control, base_url):
    for fmt in ("PNG", "ZPL"):
        shop = make_shop(label_format=fmt)
        orders = ready_orders(app, sandbox, control, shop, 2)
        batch_id = started_batch(base_url, shop, [o.id for o in orders])
        drain(app, sandbox)
        parcels = bought_parcels(svc, [o.id for o in orders])
        assert len(parcels) == len(orders) == 2
        page = httpx.get(page_url(base_url, shop, f"/batches/{batch_id}"))
        pdf = httpx.get(page_url(base_url, shop, f"/batches/{batch_id}/labels.pdf"))
        zpl = httpx.get(page_url(base_url, shop, f"/batches/{batch_id}/labels.zpl"))
        if fmt == "PNG":
            pages = PdfReader(BytesIO(pdf.content)).pages
            assert len(pages) == len(parcels) and zpl.status_code == 404
            assert all([round(float(v)) for v in p.mediabox[2:]] == [288, 432] for p in pages)
        else:
            assert pdf.status_code == 404 and "cannot hold" in page.text
            assert zpl.status_code == 200
            assert zpl.content.count(b"^XA") == len(parcels)
            assert all(p.tracking_code.encode() in zpl.content for p in parcels)
