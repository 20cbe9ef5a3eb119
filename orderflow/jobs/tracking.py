"""Step 6 of the walk: where each parcel is, told to Shopify, the customer and the merchant once.

News comes from the carrier's tracker webhooks (recorded like Shopify's, see
webhooks/easypost.py) and, as a safety net, from polling trackers that went quiet. Either way it
goes through `apply_update`, which never moves a parcel backwards and turns each new shipment
status into notices (store/notices.py) that the jobs of notices.py tell exactly once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from ..db.models import Order, ParcelRow, Shipment, utcnow
from ..fulfilment import tracking as tk
from ..fulfilment.states.deliveries import DeliveryStatus
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import ShipmentState
from ..fulfilment.types import TrackerUpdate
from ..integrations.easypost.errors import CarrierResponseError
from ..integrations.easypost.mapping import tracker_from_easypost
from ..integrations.shopify.readers import PayloadError
from ..queue.calls import job, notice_calls
from ..queue.enqueue import enqueue
from ..services import carrier_for, services
from ..store import notices
from ..store.deliveries import claim, finish
from ..store.orders import move, record
from ..store.shipments import live_shipments

log = logging.getLogger(__name__)

CARRIER_SOURCE = "carrier"


def apply_tracker_webhook(svc, delivery, payload: dict) -> None:
    """The handler of a recorded tracker.created / tracker.updated event."""
    try:
        update = tracker_from_easypost(payload)
    except CarrierResponseError as exc:
        raise PayloadError(str(exc)) from exc
    source = f"carrier webhook {delivery.webhook_id}"
    apply_update(svc, delivery.resource_id, update, source, delivery.id)


def apply_update(svc, parcel_id: int, update: TrackerUpdate, source: str,
                 delivery_id: int | None = None) -> None:
    """Take the carrier's news of one parcel, in one transaction with the delivery's close."""
    with svc.db.session() as s, s.begin():
        shipment = s.scalar(select(Shipment).join(ParcelRow).where(ParcelRow.id == parcel_id)
                            .with_for_update(of=Shipment))
        delivery = claim(s, delivery_id) if delivery_id else None
        if delivery_id and delivery is None:
            return
        parcel = s.get(ParcelRow, parcel_id)
        if (shipment is None or parcel is None or parcel.voided_at
                or parcel.tracking_code != update.tracking_code):
            if delivery:
                finish(delivery, DeliveryStatus.SKIPPED, "the parcel was voided or relabelled")
            return
        planned = _shipment_moved(s, shipment, source) if _absorb(parcel, update) else []
        if delivery:
            finish(delivery)
        s.flush()
        calls = notice_calls(planned)
    _enqueue_notices(svc, calls)


def _absorb(parcel: ParcelRow, update: TrackerUpdate) -> bool:
    """Fold the update into the parcel; True when it brought news (a status or an event)."""
    now = utcnow()
    stale = (parcel.tracking_updated_at is not None and update.updated_at is not None
             and update.updated_at < parcel.tracking_updated_at)
    parcel.tracker_id = update.id
    parcel.tracking_checked_at = now
    before = parcel.tracking_events or []
    parcel.tracking_events = tk.merge_events(before, update.events)
    if not stale:
        parcel.tracking_updated_at = update.updated_at or parcel.tracking_updated_at
        parcel.tracking_estimate = update.est_delivery_date or parcel.tracking_estimate
    moved = tk.advances(parcel.tracking_status, update.status)
    parcel.signed_by = update.signed_by or parcel.signed_by
    if moved:
        parcel.tracking_status = update.status
    news = moved or len(parcel.tracking_events) > len(before)
    if news:
        parcel.tracking_moved_at = tk.moved_at(parcel.tracking_events, now)
    return news


def _live_parcels(shipment: Shipment) -> list[ParcelRow]:
    return [p for p in shipment.parcels if p.bought_at is not None and p.voided_at is None]


def _shipment_moved(s, shipment: Shipment, source: str) -> list:
    """The shipment's status after a parcel moved: timeline, order, delivery proof, notices."""
    s.flush()
    s.refresh(shipment, ["parcels"])
    parcels = _live_parcels(shipment)
    status = tk.shipment_status(p.tracking_status for p in parcels)
    events = tk.merge_events([e for p in parcels for e in p.tracking_events or []], ())
    if status == shipment.tracking_status:
        if not tk.delayed(status, events):
            return []
        return notices.plan(s, shipment, s.get(Order, shipment.order_id))  # a delay, told once
    shipment.tracking_status = status
    order = s.get(Order, shipment.order_id)
    record(s, order, "tracking", tk.news(status, tk.latest(events)), source)
    if status == tk.TrackingStatus.DELIVERED:
        _delivered(s, shipment, parcels, order, source)
    elif status in tk.MOVING:
        move(s, order, OrderState.IN_TRANSIT, f"In transit with {shipment.carrier}", source)
    return notices.plan(s, shipment, order)


def _delivered(s, shipment: Shipment, parcels: list[ParcelRow], order: Order, source: str) -> None:
    proofs = [_proof(p) for p in parcels]
    shipment.delivered_at = max(p["at_time"] for p in proofs)
    shipment.delivery_proof = {
        "at": shipment.delivered_at.isoformat(),
        "where": next((p["where"] for p in proofs if p["where"]), None),
        "signed_by": next((p["signed_by"] for p in proofs if p["signed_by"]), None),
        "message": next((p["message"] for p in proofs if p["message"]), None),
        "parcels": [{k: v for k, v in p.items() if k != "at_time"} for p in proofs],
    }
    others = [sh for sh in live_shipments(s, order.id) if sh.id != shipment.id]
    if all(sh.delivered_at is not None for sh in others):
        signed = shipment.delivery_proof["signed_by"]
        move(s, order, OrderState.DELIVERED,
             "Delivered" + (f", signed for by {signed}" if signed else ""), source)


def _proof(parcel: ParcelRow) -> dict:
    event = tk.latest(parcel.tracking_events or [], tk.TrackingStatus.DELIVERED.value)
    at = tk.moved_at([event] if event else [], parcel.tracking_checked_at or utcnow())
    return {"tracking_code": parcel.tracking_code, "at": at.isoformat(), "at_time": at,
            "where": tk.place(event), "message": (event or {}).get("message"),
            "signed_by": parcel.signed_by}


@job
def start_tracking(shipment_id: int) -> None:
    """After the fulfilment reached Shopify: each parcel's tracker, the "shipped" email, and
    the notices for news that came before Shopify had the fulfilment."""
    svc = services()
    with svc.db.session() as s:
        shipment = s.get(Shipment, shipment_id)
        if shipment is None or shipment.state != ShipmentState.FULFILLED:
            return
        untracked = [(p.id, p.tracking_code) for p in _live_parcels(shipment) if not p.tracker_id]
        name, shop_id = shipment.carrier, shipment.shop_id
    carrier = carrier_for(svc, shop_id)
    for parcel_id, code in untracked:
        apply_update(svc, parcel_id, carrier.create_tracker(code, name), CARRIER_SOURCE)
    with svc.db.session() as s, s.begin():
        shipment = s.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update())
        order = s.get(Order, shipment.order_id)
        planned = notices.plan(s, shipment, order, shipped=True)
        s.flush()
        calls = notice_calls(planned)
    _enqueue_notices(svc, calls)


@job
def poll_parcel(parcel_id: int) -> None:
    """The safety net for lost webhooks: read the tracker's whole state from the carrier."""
    svc = services()
    with svc.db.session() as s:
        parcel = s.get(ParcelRow, parcel_id)
        if parcel is None or parcel.voided_at or not parcel.tracking_code:
            return
        tracker_id, code, name = parcel.tracker_id, parcel.tracking_code, parcel.shipment.carrier
        carrier = carrier_for(svc, parcel.shop_id)
    update = (carrier.retrieve_tracker(tracker_id) if tracker_id
              else carrier.create_tracker(code, name))
    apply_update(svc, parcel_id, update, "carrier poll")


@job
def flag_stalled(shipment_id: int) -> None:
    """No movement for the configured days: an alert for the merchant, once."""
    svc = services()
    since = utcnow() - timedelta(days=svc.settings.TRACKING_STALLED_DAYS)
    with svc.db.session() as s, s.begin():
        shipment = s.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update())
        if shipment is None or shipment.tracking_status in tk.FINAL:
            return
        moved = [p.tracking_moved_at or p.bought_at for p in _live_parcels(shipment)]
        if not moved or max(moved) >= since:
            return
        order = s.get(Order, shipment.order_id)
        days = svc.settings.TRACKING_STALLED_DAYS
        message = (f"No tracking movement for {days:g} days on "
                   f"{', '.join(p.tracking_code for p in _live_parcels(shipment))}: "
                   f"ask {shipment.carrier} to trace it.")
        planned = notices.raise_alert(s, shipment, order, "stalled", message)
        s.flush()
        calls = notice_calls(planned)
    _enqueue_notices(svc, calls)


def _enqueue_notices(svc, calls: list) -> None:
    enqueue(svc, calls, "notices wait for the queue (the clock enqueues them again)")
