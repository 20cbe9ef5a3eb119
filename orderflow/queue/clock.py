"""Scheduled work: the outbox dispatcher, its sweeper, and the reconciler's timetable.

Production runs it as its own process (`flask --app orderflow clock`, see the Procfile); several
clocks may run at once, since every step locks the rows it takes. The embedded mode runs it in a
thread of the web process.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import or_, select

from . import outbox
from ..jobs.reconcile import reconcile_shop
from ..db.models import Shop, utcnow
from .calls import QueueUnavailable

log = logging.getLogger(__name__)


def schedule_reconciles(svc) -> int:
    """Enqueue a reconciler pass for every installed shop whose last pass is old enough."""
    due = utcnow() - timedelta(seconds=svc.settings.RECONCILE_INTERVAL_SECONDS)
    with svc.db.session() as s:
        ids = s.scalars(select(Shop.id).where(
            Shop.access_token.is_not(None),
            or_(Shop.reconciled_through.is_(None), Shop.reconciled_through < due),
        )).all()
    job_ids = {i: f"reconcile-{i}" for i in ids}
    try:
        running = svc.queue.alive(list(job_ids.values())) if ids else set()
        calls = [reconcile_shop.call(i, job_id=j) for i, j in job_ids.items() if j not in running]
        if calls:
            svc.queue.enqueue_many(calls)
    except QueueUnavailable as exc:
        log.warning("clock: reconciler passes wait for the queue: %s", exc)
        return 0
    return len(calls)


def schedule_shipping(svc) -> int:
    """Shipping work that no job finished: ready orders without a shipment, purchases left by a
    dead run, bought labels whose fulfilment never reached Shopify. Returns how many enqueued."""
    from ..jobs import shipping
    from ..db.models import Order, ParcelRow, Shipment
    settle = utcnow() - timedelta(seconds=svc.settings.SHIPPING_SETTLE_SECONDS)
    lease = utcnow() - shipping.purchase_lease(svc)
    stamp = int(time.time())
    with svc.db.session() as s:
        planning = s.scalars(select(Order.id).where(
            Order.state == "ready", Order.updated_at < settle,
            ~select(Shipment.id).where(Shipment.order_id == Order.id,
                                       Shipment.state.in_(shipping.UNFINISHED)).exists(),
        ).limit(500)).all()
        buying = s.scalars(select(ParcelRow.id).where(
            ParcelRow.buy_started_at < lease, ParcelRow.bought_at.is_(None),
            ParcelRow.voided_at.is_(None)).limit(500)).all()
        pushing = s.scalars(select(Shipment.id).where(
            Shipment.state == "bought", Shipment.shopify_fulfillment_id.is_(None),
            Shipment.created_at < settle).limit(500)).all()
    # Fresh job ids: a job whose worker was killed still looks started to RQ for minutes. Each
    # job is safe to run twice: planning locks the order, buying holds a lease, pushing locks
    # the shipment and looks for its fulfilment first.
    calls = ([shipping.plan_shipment.call(i, job_id=f"plan-{i}-{stamp}") for i in planning]
             + [shipping.buy_label.call(i, job_id=f"buy-{i}-{stamp}") for i in buying]
             + [shipping.push_fulfilment.call(i, job_id=f"push-{i}-{stamp}") for i in pushing])
    return _enqueue(svc, calls, "shipping")


def schedule_tracking(svc) -> int:
    """Tracking work no webhook or job did: trackers never started, parcels gone quiet (the
    poll that recovers a lost webhook), shipments stalled for days, notices never told."""
    from ..jobs import notices, tracking
    conf, stamp = svc.settings, f"-{int(time.time())}"
    with svc.db.session() as s:
        starts = tracking.due_starts(s, conf.SHIPPING_SETTLE_SECONDS)
        polls = tracking.due_polls(s, conf.TRACKING_POLL_SECONDS)
        stalled = tracking.due_stalled(s, conf.TRACKING_STALLED_DAYS)
        calls = ([tracking.start_tracking.call(i, job_id=f"track-{i}{stamp}") for i in starts]
                 + [tracking.poll_parcel.call(i, job_id=f"poll-{i}{stamp}") for i in polls]
                 + [tracking.flag_stalled.call(i, job_id=f"stalled-{i}{stamp}") for i in stalled])
        try:
            calls += notices.due_calls(svc, s, stamp)
        except QueueUnavailable:
            pass
    return _enqueue(svc, calls, "tracking")


def _enqueue(svc, calls: list, what: str) -> int:
    """How many were enqueued; none while the queue is down (the next pass finds them again)."""
    if not calls:
        return 0
    try:
        svc.queue.enqueue_many(calls)
    except QueueUnavailable as exc:
        log.warning("clock: %s work waits for the queue: %s", what, exc)
        return 0
    return len(calls)


class Clock:
    def __init__(self, app, sweep_every: float = 30.0, reconcile_every: float = 30.0):
        self._app = app
        self._sweep_every = sweep_every
        self._reconcile_every = reconcile_every
        self._stop = threading.Event()

    def run(self) -> None:
        svc = self._app.extensions["orderflow"]
        poll = svc.settings.OUTBOX_POLL_SECONDS
        next_sweep = next_reconcile = 0.0
        with self._app.app_context():
            while not self._stop.is_set():
                try:
                    moved = outbox.dispatch(svc)
                    now = time.monotonic()
                    if now >= next_sweep:
                        outbox.sweep(svc)
                        next_sweep = now + self._sweep_every
                    if now >= next_reconcile:
                        schedule_reconciles(svc)
                        schedule_shipping(svc)
                        schedule_tracking(svc)
                        next_reconcile = now + self._reconcile_every
                except Exception:
                    log.exception("clock: a pass failed; trying again")
                    moved = 0
                if not moved:
                    self._stop.wait(poll)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="clock", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
