"""Step 5 of the walk: the Shopify fulfilment of a bought shipment, with its tracking, once.

Shopify has no idempotency key for fulfillmentCreate, so `push_fulfilment` commits a mark of
its run before anything reaches Shopify; a run that finds an earlier mark (that run may have
reached Shopify, its answer lost or its worker killed) looks the fulfilment up by our tracking
numbers before it creates one. Then the shipment is tracked.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from ..db.models import Order, Shipment, ShopSettings, utcnow
from ..fulfilment.shop_settings import read_settings
from ..fulfilment.states import shipments as shipment_states
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import ShipmentState
from ..integrations.shopify import operations
from ..integrations.shopify.operations import tracking_input
from ..queue.calls import call, job
from ..services import access_token, services
from ..store.orders import move
from .failures import gives_up, of_shipment, order_exception

PUSH_MARK = "push_attempt"  # in Shipment.selection: a run may have sent fulfillmentCreate


@job
@gives_up(order_exception("create the fulfilment in Shopify", of_shipment))
def push_fulfilment(shipment_id: int) -> None:
    """Create the Shopify fulfilment once. The shipment row stays locked from the look-up to the
    commit, so a second run waits and then finds the fulfilment; a run after one that may have
    reached Shopify (its answer lost, its worker killed) finds it there by our tracking numbers."""
    svc = services()
    attempt = _mark_attempt(svc, shipment_id)
    if attempt is None:
        return
    with svc.db.session() as s, s.begin():
        shipment = s.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update())
        if (shipment is None or shipment.shopify_fulfillment_id
                or shipment.state != ShipmentState.BOUGHT):
            return
        order = s.get(Order, shipment.order_id)
        settings_row = s.get(ShopSettings, order.shop_id)
        notify = read_settings(settings_row.data if settings_row else None).notify_customer
        numbers = [p.tracking_code for p in shipment.parcels if p.voided_at is None]
        domain, token = access_token(svc, order.shop_id)
        fulfillment_id = None
        if _may_exist(shipment, *attempt):
            fulfillment_id = _existing_fulfilment(svc, domain, token, order.shopify_id, numbers)
        if fulfillment_id is None:
            fulfillment_id = operations.create_fulfilment(
                svc.admin, domain, token, shipment.fulfillment_order_id, shipment.lines,
                tracking_input(shipment.carrier, numbers), notify)
        shipment.shopify_fulfillment_id, shipment.fulfilled_at = fulfillment_id, utcnow()
        shipment.state = shipment_states.transition(shipment.state,
                                                    ShipmentState.FULFILLED).value
        shipment.tracking_token = shipment.tracking_token or secrets.token_urlsafe(24)
        move(s, order, OrderState.FULFILLED,
             f"Fulfilled in Shopify with tracking {', '.join(numbers)}", "shipping")
    svc.queue.enqueue_many([call("start_tracking", shipment_id, job_id=f"track-{shipment_id}")])


def _mark_attempt(svc, shipment_id: int) -> tuple[str, bool] | None:
    """Commit a mark of this run before anything reaches Shopify: (the run's mark, whether an
    earlier run left one), or None when there is nothing to push. The mark outlives a worker
    killed after Shopify created the fulfilment but before our commit."""
    with svc.db.session() as s, s.begin():
        shipment = s.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update())
        if (shipment is None or shipment.shopify_fulfillment_id
                or shipment.state != ShipmentState.BOUGHT):
            return None
        selection = dict(shipment.selection or {})
        earlier = PUSH_MARK in selection
        mark = secrets.token_hex(8)
        shipment.selection = selection | {PUSH_MARK: mark}
        return mark, earlier


def _may_exist(shipment: Shipment, mark: str, earlier: bool) -> bool:
    """Only a run that found an earlier mark, or whose own mark another run has since replaced,
    can find a fulfilment of ours in Shopify; the first run of a shipment skips the look-up."""
    return earlier or (shipment.selection or {}).get(PUSH_MARK) != mark


def _existing_fulfilment(svc, domain, token, shopify_id, numbers) -> str | None:
    for fulfilment in operations.order_fulfilments(svc.admin, domain, token, shopify_id):
        if fulfilment.status == "CANCELLED":
            continue
        if set(numbers) & {t.number for t in fulfilment.tracking}:
            return fulfilment.id
    return None
