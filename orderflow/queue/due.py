"""Work recorded in the database that no job is doing: what the clock's passes look for.

Each look-up returns ids (or, for notices, the calls that tell them); the clock enqueues them.
Every job they lead to is safe to run twice, so work that is merely slow is no harm to find.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..db.models import Alert, Notice, Order, ParcelRow, Shipment, utcnow
from ..fulfilment.states.notices import NoticeState
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import UNFINISHED, ShipmentState
from ..fulfilment.tracking import FINAL
from .calls import notice_calls
from .enqueue import alive

LIMIT = 500  # ids per look-up and pass


def due_plans(session, settled) -> list[int]:
    """Ready orders, quiet since `settled`, without a shipment under way."""
    return list(session.scalars(select(Order.id).where(
        Order.state == OrderState.READY, Order.updated_at < settled,
        ~select(Shipment.id).where(Shipment.order_id == Order.id,
                                   Shipment.state.in_(UNFINISHED)).exists(),
    ).limit(LIMIT)))


def due_buys(session, leased) -> list[int]:
    """Parcels whose purchase started before `leased` (its lease is over) and never ended."""
    return list(session.scalars(select(ParcelRow.id).where(
        ParcelRow.buy_started_at < leased, ParcelRow.bought_at.is_(None),
        ParcelRow.voided_at.is_(None)).limit(LIMIT)))


def due_pushes(session, settled) -> list[int]:
    """Shipments bought before `settled` whose fulfilment never reached Shopify."""
    return list(session.scalars(select(Shipment.id).where(
        Shipment.state == ShipmentState.BOUGHT, Shipment.shopify_fulfillment_id.is_(None),
        Shipment.created_at < settled).limit(LIMIT)))


def due_polls(session, poll_seconds: float, limit: int = LIMIT) -> list[int]:
    """Parcels on their way that the carrier has not told us about for a while."""
    quiet = utcnow() - timedelta(seconds=poll_seconds)
    return list(session.scalars(
        select(ParcelRow.id).join(Shipment).where(
            Shipment.state == ShipmentState.FULFILLED, ParcelRow.voided_at.is_(None),
            ParcelRow.bought_at.is_not(None),
            (ParcelRow.tracking_status.is_(None)) | ParcelRow.tracking_status.not_in(
                [s.value for s in FINAL]),
            ParcelRow.tracking_checked_at.is_(None) | (ParcelRow.tracking_checked_at < quiet),
            Shipment.fulfilled_at < quiet,
        ).order_by(ParcelRow.tracking_checked_at.nulls_first()).limit(limit)))


def due_stalled(session, stalled_days: float, limit: int = LIMIT) -> list[int]:
    """Shipments in transit without movement for `stalled_days` and no alert for it yet."""
    since = utcnow() - timedelta(days=stalled_days)
    return list(session.scalars(
        select(Shipment.id).join(ParcelRow).where(
            Shipment.state == ShipmentState.FULFILLED,
            Shipment.tracking_status.not_in([s.value for s in FINAL]),
            ParcelRow.voided_at.is_(None), ParcelRow.tracking_moved_at < since,
            ~select(Alert.id).where(Alert.shipment_id == Shipment.id,
                                    Alert.kind == "stalled").exists(),
        ).distinct().limit(limit)))


def due_starts(session, settle_seconds: float, limit: int = LIMIT) -> list[int]:
    """Fulfilled shipments whose start_tracking job never ran (the queue was down)."""
    settled = utcnow() - timedelta(seconds=settle_seconds)
    return list(session.scalars(
        select(Shipment.id).join(ParcelRow).where(
            Shipment.state == ShipmentState.FULFILLED, Shipment.fulfilled_at < settled,
            ParcelRow.voided_at.is_(None), ParcelRow.tracker_id.is_(None),
        ).distinct().limit(limit)))


def due_notice_calls(svc, session, stamp: str, limit: int = LIMIT) -> list:
    """Jobs for notices no job is telling: pending ones whose job is gone (the queue was down or
    lost it), and ones left "sending" by a run that died, past the lease (a Shopify event is
    then looked up before it is sent again; an email is not resent)."""
    conf = svc.settings
    settled = utcnow() - timedelta(seconds=conf.SHIPPING_SETTLE_SECONDS)
    leased = utcnow() - timedelta(seconds=conf.OUTBOX_LEASE_SECONDS)
    pending = session.scalars(select(Notice).where(
        Notice.state == NoticeState.PENDING, Notice.created_at < settled).limit(limit)).all()
    running = alive(svc, [f"notice-{n.id}" for n in pending])
    lost = [n for n in pending if f"notice-{n.id}" not in running]
    dead = session.scalars(select(Notice).where(
        Notice.state == NoticeState.SENDING, Notice.started_at < leased).limit(limit)).all()
    # A killed run's job can look started to RQ for a while: a fresh id for those.
    return notice_calls(lost) + notice_calls(dead, stamp)
