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

from ..db.models import Shop, utcnow
from . import due, outbox
from .calls import call
from .enqueue import enqueue

log = logging.getLogger(__name__)


def schedule_reconciles(svc) -> int:
    """Enqueue a reconciler pass for every installed shop whose last pass is old enough."""
    recent = utcnow() - timedelta(seconds=svc.settings.RECONCILE_INTERVAL_SECONDS)
    with svc.db.session() as s:
        ids = s.scalars(select(Shop.id).where(
            Shop.access_token.is_not(None),
            or_(Shop.reconciled_through.is_(None), Shop.reconciled_through < recent),
        )).all()
    calls = [call("reconcile_shop", i, job_id=f"reconcile-{i}") for i in ids]
    return enqueue(svc, calls, "clock: reconciler passes wait for the queue", unless_alive=True)


def schedule_shipping(svc) -> int:
    """Shipping work that no job finished: ready orders without a shipment, purchases left by a
    dead run, bought labels whose fulfilment never reached Shopify. Returns how many enqueued."""
    settled = utcnow() - timedelta(seconds=svc.settings.SHIPPING_SETTLE_SECONDS)
    leased = utcnow() - svc.purchase_lease
    stamp = int(time.time())
    with svc.db.session() as s:
        planning = due.due_plans(s, settled)
        buying = due.due_buys(s, leased)
        pushing = due.due_pushes(s, settled)
    # Fresh job ids: a job whose worker was killed still looks started to RQ for minutes. Each
    # job is safe to run twice: planning locks the order, buying holds a lease, pushing locks
    # the shipment and looks for its fulfilment first.
    calls = ([call("plan_shipment", i, job_id=f"plan-{i}-{stamp}") for i in planning]
             + [call("buy_label", i, job_id=f"buy-{i}-{stamp}") for i in buying]
             + [call("push_fulfilment", i, job_id=f"push-{i}-{stamp}") for i in pushing])
    return enqueue(svc, calls, "clock: shipping work waits for the queue")


def schedule_tracking(svc) -> int:
    """Tracking work no webhook or job did: trackers never started, parcels gone quiet (the
    poll that recovers a lost webhook), shipments stalled for days, notices never told."""
    conf, stamp = svc.settings, f"-{int(time.time())}"
    with svc.db.session() as s:
        starts = due.due_starts(s, conf.SHIPPING_SETTLE_SECONDS)
        polls = due.due_polls(s, conf.TRACKING_POLL_SECONDS)
        stalled = due.due_stalled(s, conf.TRACKING_STALLED_DAYS)
        calls = ([call("start_tracking", i, job_id=f"track-{i}{stamp}") for i in starts]
                 + [call("poll_parcel", i, job_id=f"poll-{i}{stamp}") for i in polls]
                 + [call("flag_stalled", i, job_id=f"stalled-{i}{stamp}") for i in stalled]
                 + due.due_notice_calls(svc, s, stamp))
    return enqueue(svc, calls, "clock: tracking work waits for the queue")


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
