"""What a merchant does to one order's shipping, for the JSON API and the admin pages alike.

Carrier calls happen in jobs: each action checks the request against what we hold, records the
merchant's choice, commits and enqueues. A request that does not fit raises `Refused`, which
carries an HTTP status and message for the API and a code for the admin's flash message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from ..db.models import Order, ParcelRow, Shipment
from ..fulfilment.states import shipments as shipment_states
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import LABELLED, NOT_BOUGHT, ShipmentState
from ..fulfilment.validation import PAYMENT_REASONS, UNKNOWN_PAYMENT
from ..queue.calls import call
from ..queue.enqueue import enqueue
from ..store.orders import MERCHANT_HOLD, SHIPPED_STATES, move

SHIPPING_CANCELLED = MERCHANT_HOLD
SHOPIFY_HOLD = "Held in Shopify"  # how a fulfilment hold placed in Shopify starts its reason
_UNPAID = tuple(PAYMENT_REASONS.values()) + (UNKNOWN_PAYMENT,)


class Refused(Exception):
    """The action does not fit the order as it stands; nothing was changed."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


_MIME = {"PDF": "application/pdf", "PNG": "image/png", "ZPL": "application/zpl"}


@dataclass(frozen=True)
class Label:
    data: bytes
    format: str  # PDF, PNG or ZPL
    tracking_code: str | None

    @property
    def mimetype(self) -> str:
        return _MIME.get(self.format, "application/octet-stream")

    @property
    def filename(self) -> str:
        return f"label-{self.tracking_code}.{self.format.lower()}"


def _enqueue(svc, calls) -> None:
    if calls and not enqueue(svc, calls, "a merchant's action is refused while the queue is down"):
        raise Refused(503, "queue_down", "the job queue is unavailable; try again in a minute")


def _order(session, shop_id: int, order_id: int, lock: bool = False) -> Order:
    query = select(Order).where(Order.id == order_id, Order.shop_id == shop_id)
    order = session.scalar(query.with_for_update() if lock else query)
    if order is None:
        raise Refused(404, "not_found", "not found")
    return order


def _shipment(session, shop_id: int, shipment_id: int, order_id: int | None) -> Shipment:
    query = select(Shipment).where(Shipment.id == shipment_id, Shipment.shop_id == shop_id)
    if order_id is not None:
        query = query.where(Shipment.order_id == order_id)
    shipment = session.scalar(query)
    if shipment is None:
        raise Refused(404, "not_found", "not found")
    return shipment


def _drop_unbought(session, order_id: int) -> None:
    """Shipments not bought are only quotes: drop them, or refuse if a label is live."""
    for shipment in session.scalars(select(Shipment).where(Shipment.order_id == order_id)):
        if shipment.state in LABELLED:
            raise Refused(409, "label_bought", "this order has a bought label: void it first")
        if shipment.state in NOT_BOUGHT:
            shipment.state = shipment_states.transition(shipment.state, ShipmentState.VOIDED).value


def rerate(svc, shop_id: int, order_id: int) -> None:
    """Rate the order again: a new shipment replaces one not yet bought."""
    with svc.db.session() as s, s.begin():
        order = _order(s, shop_id, order_id, lock=True)
        if order.state != OrderState.READY.value:
            raise Refused(409, "not_ready",
                          f"only a ready order can be rated; this one is {order.state}")
        _drop_unbought(s, order.id)
    _enqueue(svc, [call("plan_shipment", order_id, True, job_id=f"rerate-{order_id}")])


def buy(svc, shop_id: int, shipment_id: int, service: str,
        order_id: int | None = None) -> list[int]:
    """Buy the rate the merchant chose among those we offered ("UPS/Ground"); the parcel ids."""
    with svc.db.session() as s, s.begin():
        shipment = _shipment(s, shop_id, shipment_id, order_id)
        if shipment.state != ShipmentState.RATED:
            raise Refused(409, "not_rated",
                          f"this shipment is {shipment.state}: only a rated shipment can be bought")
        parcel_rates = [next((r for r in p.rates or [] if r["service"] == service), None)
                        for p in shipment.parcels]
        if not parcel_rates or None in parcel_rates:
            raise Refused(422, "not_offered",
                          f"{service} was not offered for this shipment; re-rate to see what is")
        for parcel, rate in zip(shipment.parcels, parcel_rates, strict=True):
            parcel.rate_id, parcel.amount = rate["id"], rate["amount"]
        shipment.carrier, shipment.service = service.split("/", 1)
        shipment.cost = sum(Decimal(r["amount"]) for r in parcel_rates)
        ids = [p.id for p in shipment.parcels]
    _enqueue(svc, [call("buy_label", i, job_id=f"buy-{i}") for i in ids])
    return ids


def void(svc, shop_id: int, shipment_id: int, order_id: int | None = None) -> None:
    """Refund the shipment's labels and cancel its Shopify fulfilment (in a job)."""
    with svc.db.session() as s:
        shipment = _shipment(s, shop_id, shipment_id, order_id)
        if shipment.state == ShipmentState.VOIDED:
            raise Refused(409, "already_voided", "this shipment's labels are already voided")
        if not any(p.bought_at for p in shipment.parcels):
            raise Refused(409, "nothing_bought", "no label was bought for this shipment")
    _enqueue(svc, [call("void_shipment", shipment_id, job_id=f"void-{shipment_id}")])


def label(svc, shop_id: int, parcel_id: int, order_id: int | None = None) -> Label:
    """The parcel's label file, to view or print again."""
    query = select(ParcelRow).where(ParcelRow.id == parcel_id, ParcelRow.shop_id == shop_id)
    if order_id is not None:
        query = query.join(Shipment).where(Shipment.order_id == order_id)
    with svc.db.session() as s:
        parcel = s.scalar(query)
        if parcel is None:
            raise Refused(404, "not_found", "not found")
        if parcel.voided_at is not None:
            raise Refused(410, "label_voided", "this label was voided")
        if parcel.label_data is None:
            raise Refused(409, "no_label", "no label has been bought for this parcel yet")
        return Label(parcel.label_data, (parcel.label_format or "PDF").upper(),
                     parcel.tracking_code)


def is_unpaid_hold(reason: str | None) -> bool:
    return any(part in (reason or "") for part in _UNPAID)


def release_hold(svc, shop_id: int, order_id: int) -> str:
    """Ship an order we held, on the merchant's word: ready, then rated (never bought) at once.

    Returns the reason it was held. A hold placed in Shopify must be released there: our
    planning skips fulfilment orders Shopify holds, so releasing it here would ship nothing.
    """
    with svc.db.session() as s, s.begin():
        order = _order(s, shop_id, order_id, lock=True)
        if order.state != OrderState.ON_HOLD.value:
            raise Refused(409, "not_held",
                          f"only an order on hold can be released; this one is {order.state}")
        reason = order.hold_reason or ""
        if SHOPIFY_HOLD in reason:
            raise Refused(409, "held_in_shopify", "this order is held in Shopify: release it there")
        move(s, order, OrderState.READY, f"Hold released by the merchant (was: {reason})", "admin")
    _enqueue(svc, [call("plan_shipment", order_id, True, job_id=f"rerate-{order_id}")])
    return reason


def cancel_shipping(svc, shop_id: int, order_id: int) -> None:
    """Stop shipping the order: quotes dropped, on hold until the merchant releases it."""
    with svc.db.session() as s, s.begin():
        order = _order(s, shop_id, order_id, lock=True)
        if order.state in SHIPPED_STATES:
            raise Refused(409, "already_shipped",
                          f"this order is {order.state}: it has already shipped")
        if order.state in (OrderState.CANCELLED.value, OrderState.NOTHING_TO_SHIP.value):
            raise Refused(409, "nothing_to_cancel",
                          f"this order is {order.state}: nothing is shipped")
        _drop_unbought(s, order.id)
        if order.state != OrderState.ON_HOLD.value:
            move(s, order, OrderState.ON_HOLD, SHIPPING_CANCELLED, "admin")
        elif SHIPPING_CANCELLED not in (order.hold_reason or ""):
            # The other reasons stay: releasing the hold later still warns of an open payment.
            move(s, order, OrderState.ON_HOLD,
                 "; ".join(filter(None, (SHIPPING_CANCELLED, order.hold_reason))), "admin",
                 event=(OrderState.ON_HOLD.value, SHIPPING_CANCELLED))
