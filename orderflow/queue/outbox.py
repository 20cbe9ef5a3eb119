"""The outbox: recorded deliveries become jobs in batches, after their commit, and none is lost.

`dispatch` enqueues pending rows (Redis down: they stay pending and the next pass tries again).
`sweep` finds queued rows that no job finished and whose job is no longer waiting or running
(a worker killed, Redis restarted empty) and makes them pending again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from ..db.models import WebhookDelivery, utcnow
from ..fulfilment.states.deliveries import DeliveryStatus
from .calls import call
from .enqueue import alive, enqueue

log = logging.getLogger(__name__)


def job_id(delivery_id: int) -> str:
    return f"delivery-{delivery_id}"


def dispatch(svc, batch: int | None = None) -> int:
    """Enqueue one batch of pending deliveries; returns how many."""
    batch = batch or svc.settings.OUTBOX_BATCH
    with svc.db.session() as s, s.begin():
        ids = s.scalars(
            select(WebhookDelivery.id).where(WebhookDelivery.status == DeliveryStatus.PENDING)
            .order_by(WebhookDelivery.id).limit(batch).with_for_update(skip_locked=True)
        ).all()
        if not ids:
            return 0
        calls = [call("process_delivery", i, job_id=job_id(i)) for i in ids]
        if not enqueue(svc, calls, f"outbox: {len(ids)} deliveries wait for the queue"):
            s.rollback()
            return 0
        # Only rows still pending: where rows are not locked (SQLite), a job may have finished
        # its delivery already, and `done` must never become `queued` again.
        s.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids),
                                                WebhookDelivery.status == DeliveryStatus.PENDING)
                  .values(status=DeliveryStatus.QUEUED.value, queued_at=utcnow()))
    return len(ids)


def sweep(svc) -> int:
    """Make stale queued deliveries pending again; returns how many."""
    cutoff = utcnow() - timedelta(seconds=svc.settings.OUTBOX_LEASE_SECONDS)
    with svc.db.session() as s, s.begin():
        ids = s.scalars(
            select(WebhookDelivery.id).where(WebhookDelivery.status == DeliveryStatus.QUEUED,
                                             WebhookDelivery.queued_at < cutoff)
            .limit(5000).with_for_update(skip_locked=True)
        ).all()
        if not ids:
            return 0
        running = alive(svc, [job_id(i) for i in ids])
        lost = [i for i in ids if job_id(i) not in running]
        fresh = [i for i in ids if job_id(i) in running]
        if lost:
            s.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(lost),
                                                    WebhookDelivery.status == DeliveryStatus.QUEUED)
                      .values(status=DeliveryStatus.PENDING.value))
        if fresh:
            s.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(fresh))
                      .values(queued_at=utcnow()))
    if lost:
        log.warning("outbox: %d deliveries had no live job; enqueueing them again", len(lost))
    return len(lost)
