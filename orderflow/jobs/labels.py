"""Step 4 of the walk: exactly one label per parcel, however often `buy_label` runs.

A run takes the parcel's purchase lease before it calls the carrier. A run that finds a lease
still running leaves the parcel to it; one that finds a lease over (its run died: RQ kills a run
at its timeout, before the lease ends) looks the carrier shipment up and adopts postage bought
there. The shipment is `bought` once all its parcels are; then its fulfilment is pushed.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..db.models import Order, ParcelRow, Shipment, utcnow
from ..fulfilment.states import shipments as shipment_states
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import ShipmentState
from ..integrations.easypost.errors import CarrierOutcomeUnknown, PostageExists, RateUnavailable
from ..queue.calls import call, job
from ..services import carrier_for, services
from ..store.orders import move
from ..store.shipments import all_bought
from .failures import gives_up, of_parcel, order_exception

log = logging.getLogger(__name__)


def _start_purchase(svc, parcel_id: int) -> tuple[ParcelRow, bool] | None:
    """Take the parcel's purchase lease; (parcel, retrying) or None when it is already bought."""
    with svc.db.session() as s, s.begin():
        parcel = s.scalar(select(ParcelRow).where(ParcelRow.id == parcel_id).with_for_update())
        if parcel is None or parcel.bought_at is not None or parcel.voided_at is not None:
            return None
        now = utcnow()
        started = parcel.buy_started_at
        if started is not None and started + svc.purchase_lease > now:
            log.info("parcel %s is being bought by another run; it will finish it", parcel_id)
            return None
        parcel.buy_started_at = now
        return parcel, started is not None


@job
@gives_up(order_exception("buy the label", of_parcel))
def buy_label(parcel_id: int) -> None:
    """Exactly one label: a retry looks the carrier shipment up and adopts postage it finds."""
    svc = services()
    started = _start_purchase(svc, parcel_id)
    if started is None:
        return
    parcel, retrying = started
    carrier = carrier_for(svc, parcel.shop_id)
    bought = carrier.retrieve(parcel.carrier_shipment_id) if retrying else None
    if bought is None or bought.label is None:
        bought = _buy(carrier, parcel)
    label_bytes = carrier.download(bought.label.url)
    with svc.db.session() as s, s.begin():
        # The shipment's lock first: two parcels finishing at once must not both see the other
        # unbought, or nobody would move the shipment on.
        shipment = s.scalar(select(Shipment).join(ParcelRow).where(ParcelRow.id == parcel_id)
                            .with_for_update(of=Shipment))
        row = s.scalar(select(ParcelRow).where(ParcelRow.id == parcel_id).with_for_update())
        row.tracking_code, row.label_url = bought.tracking_code, bought.label.url
        row.label_format, row.label_data = bought.label.format, label_bytes
        row.bought_at, row.buy_started_at = utcnow(), None
        s.flush()
        s.refresh(shipment, ["parcels"])
        if all_bought(shipment) and shipment.state == ShipmentState.RATED:
            shipment.state = shipment_states.transition(shipment.state,
                                                        ShipmentState.BOUGHT).value
            order = s.get(Order, shipment.order_id)
            move(s, order, OrderState.LABEL_BOUGHT,
                 f"Label bought: {shipment.carrier} {shipment.service}, "
                 f"{', '.join(p.tracking_code for p in shipment.parcels)}", "shipping")
            ship_id = shipment.id
        else:
            ship_id = None
    if ship_id:
        svc.queue.enqueue_many([call("push_fulfilment", ship_id, job_id=f"push-{ship_id}")])


def _buy(carrier, parcel: ParcelRow):
    try:
        return carrier.buy(parcel.carrier_shipment_id, parcel.rate_id, parcel.insurance)
    except (PostageExists, CarrierOutcomeUnknown):
        found = carrier.retrieve(parcel.carrier_shipment_id)
        if found.label is None:
            raise
        return found
    except RateUnavailable:
        fresh = carrier.rerate(parcel.carrier_shipment_id)
        wanted = _service(parcel)
        rate = next((r for r in fresh.rates if f"{r.carrier}/{r.service}" == wanted), None)
        if rate is None:
            raise
        return carrier.buy(parcel.carrier_shipment_id, rate.id, parcel.insurance)


def _service(parcel: ParcelRow) -> str:
    return next(r["service"] for r in parcel.rates if r["id"] == parcel.rate_id)
