"""A worker killed (SIGKILL) at each point of the label job ends, once restarted, with exactly one
label and one fulfilment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from orderflow.jobs.labels import buy_label
from orderflow.queue.clock import schedule_shipping

from .helpers import (
    buys,
    drain,
    fulfilments,
    orders_by_shopify_id,
    parcels,
    place,
    wait_for,
    worker_env,
)


def bought_at(svc, parcel_id):
    with svc.db.engine.connect() as conn:
        return conn.execute(text("SELECT buy_started_at, bought_at FROM parcels WHERE id = :i"),
                            {"i": parcel_id}).one()


def rated_parcel(app, svc, sandbox, make_shop, control):
    shop = make_shop(automation="plan")
    order = place(control, shop)
    drain(app, sandbox)
    [row] = parcels(svc, order["id"])
    return shop, order, row


@pytest.mark.parametrize("point", ["before the carrier call", "after buy before commit",
                                   "after commit before push",
                                   "after Shopify created the fulfilment, before our commit"])
def test_worker_killed_at_each_point_of_the_label_job_buys_one_label(
        point, app, svc, sandbox, carrier, make_shop, control):
    shop, order, row = rated_parcel(app, svc, sandbox, make_shop, control)
    if point == "before the carrier call":
        carrier.set_faults(timeout=1, timeout_mode="before", path_contains="/buy", timeout_s=30)
    elif point == "after buy before commit":
        carrier.set_faults(timeout=1, timeout_mode="after", path_contains="/buy", timeout_s=30)
    elif point == "after commit before push":
        control.post("/sandbox/faults", json={"latency_ms": 4000})
    else:
        control.post("/sandbox/faults", json={"slow_fulfillment_answer_ms": 8000})
    svc.queue.enqueue_many([buy_label.call(row.id, job_id=f"buy-{row.id}")])
    root = Path(__file__).resolve().parents[1]
    worker = subprocess.Popen([str(Path(sys.executable).with_name("flask")), "--app", "orderflow",
                               "worker", "shipping"], cwd=root, env=worker_env(svc),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        if point == "before the carrier call":
            wait_for(lambda: bought_at(svc, row.id)[0] is not None, "the purchase lease")
            time.sleep(0.5)
        elif point == "after buy before commit":
            wait_for(lambda: buys(carrier, [row]) == [1], "the carrier's purchase")
            assert bought_at(svc, row.id)[1] is None
        elif point == "after commit before push":
            wait_for(lambda: bought_at(svc, row.id)[1] is not None, "the committed label")
            time.sleep(0.5)
        else:
            wait_for(lambda: fulfilments(control, shop, order), "the fulfilment in Shopify")
    finally:
        # the whole group: RQ's scheduler runs in a child process that outlives its worker
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    carrier.clear_faults()
    control.delete("/sandbox/faults")
    time.sleep(svc.settings.PURCHASE_LEASE_SECONDS + 0.2)
    assert schedule_shipping(svc) >= 1, "the clock finds the unfinished work"
    drain(app, sandbox)
    assert buys(carrier, parcels(svc, order["id"])) == [1]
    assert len(fulfilments(control, shop, order)) == 1
    assert orders_by_shopify_id(svc)[order["id"]].state == "fulfilled"
