"""Voiding a shipment: its labels refunded by the carrier, its Shopify fulfilment cancelled, and
the order ready to be rated and bought anew."""

from __future__ import annotations

import logging

from ..db.models import Order, Shipment, utcnow
from ..fulfilment.states import shipments as shipment_states
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import ShipmentState
from ..integrations.shopify import operations
from ..integrations.shopify.errors import ShopifyUserError
from ..queue.calls import job
from ..services import access_token, carrier_for, services
from ..store.orders import move, record
from .failures import gives_up, of_shipment, order_exception

log = logging.getLogger(__name__)


@job
@gives_up(order_exception("void the label", of_shipment))
def void_shipment(shipment_id: int) -> None:
    """Refund every label of the shipment and cancel its Shopify fulfilment; the order is ready
    again, to be rated and bought anew."""
    svc = services()
    with svc.db.session() as s:
        shipment = s.get(Shipment, shipment_id)
        if shipment is None or shipment.state == ShipmentState.VOIDED:
            return
        to_refund = [(p.id, p.carrier_shipment_id) for p in shipment.parcels
                     if p.bought_at and not p.voided_at]
        fulfillment_id, shop_id = shipment.shopify_fulfillment_id, shipment.shop_id
    carrier = carrier_for(svc, shop_id)
    statuses = {pid: carrier.refund(carrier_id) for pid, carrier_id in to_refund}
    _record_refunds(svc, shipment_id, statuses)
    if fulfillment_id:
        _cancel_fulfilment(svc, shop_id, fulfillment_id)
    with svc.db.session() as s, s.begin():
        shipment = s.get(Shipment, shipment_id)
        if shipment.state != ShipmentState.VOIDED:  # a void racing this one may have voided it
            shipment.state = shipment_states.transition(shipment.state,
                                                        ShipmentState.VOIDED).value
        order = s.get(Order, shipment.order_id)
        refunds = ", ".join(sorted({p.refund_status for p in shipment.parcels if p.refund_status}))
        record(s, order, "label_voided", f"Label voided; carrier refund {refunds or 'not needed'}",
               "shipping")
        move(s, order, OrderState.READY, "Ready to ship again after the label was voided",
             "shipping")


def _record_refunds(svc, shipment_id: int, statuses: dict[int, str]) -> None:
    """Committed before anything else can fail, so a retry never asks for a refund twice."""
    with svc.db.session() as s, s.begin():
        for parcel in s.get(Shipment, shipment_id).parcels:
            if parcel.id in statuses:
                parcel.refund_status, parcel.voided_at = statuses[parcel.id], utcnow()


def _cancel_fulfilment(svc, shop_id: int, fulfillment_id: str) -> None:
    """A fulfilment Shopify will not cancel stays, with a warning: the labels are refunded."""
    domain, token = access_token(svc, shop_id)
    try:
        operations.cancel_fulfilment(svc.admin, domain, token, fulfillment_id)
    except ShopifyUserError as exc:
        log.warning("fulfilment %s not cancelled: %s", fulfillment_id, "; ".join(exc.messages))
