"""From a ready order to a bought label and a Shopify fulfilment (steps 3 to 5 of the walk).

`plan_shipment` packs, rates and selects; `buy_label` buys exactly one label per parcel however
often it runs; `push_fulfilment` creates the Shopify fulfilment with tracking exactly once.
"""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ..fulfilment.carrier_selection import select_rate
from ..fulfilment.order_states import OrderState
from ..fulfilment.packing import pack
from ..fulfilment.shipment_rates import combine, parcel_rate
from ..fulfilment.types import Address, PackItem
from ..integrations.easypost.errors import (
    AddressUndeliverable, CarrierOutcomeUnknown, PostageExists, RateUnavailable,
)
from ..integrations.easypost.mapping import parcel_to_easypost
from ..integrations.easypost.statuses import shopify_company, tracking_url
from ..integrations.shopify import queries
from ..integrations.shopify.fulfilment_mapping import ShippableFulfilmentOrder, fulfilment_orders_to_ship
from ..integrations.shopify.mapping import PayloadError, id_to_gid
from ..db.models import LineItem, Order, ParcelRow, Shipment, ShopSettings, utcnow
from ..store.orders import record
from ..queue.calls import is_last_attempt, job
from ..services import carrier_for
from ..services import services
from ..store.shipments import (
    all_bought, live_shipments, move_order, parcel_row, reliability, selection_json,
)
from ..fulfilment.shop_settings import ShippingSettings, origin_for, read_settings
from ..services import access_token
from . import tracking
from .orders import read_fulfilment_orders

log = logging.getLogger(__name__)

UNFINISHED = ("planned", "rated", "bought")  # a fulfilled shipment leaves room for more
PUSH_MARK = "push_attempt"  # in Shipment.selection: a run may have sent fulfillmentCreate


class NotReadyYet(RuntimeError):
    """Shopify has not created the order's fulfilment orders yet: try again shortly."""


def _order_of_order(session, order_id: int) -> int:
    return order_id


def _order_of_parcel(session, parcel_id: int) -> int | None:
    parcel = session.get(ParcelRow, parcel_id)
    return parcel.shipment.order_id if parcel else None


def _order_of_shipment(session, shipment_id: int) -> int | None:
    shipment = session.get(Shipment, shipment_id)
    return shipment.order_id if shipment else None


def fails_visibly(what: str, order_of):
    """On its last attempt a failing job leaves the order in `exception` with the reason."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(entity_id: int, *args):
            try:
                return fn(entity_id, *args)
            except Exception as exc:
                if not is_last_attempt():
                    raise
                log.exception("%s for %s failed for good", what, entity_id)
                _give_up(entity_id, order_of, f"Could not {what}: {exc}")
        return run
    return wrap


def _give_up(entity_id: int, order_of, message: str) -> None:
    svc = services()
    with svc.db.session() as s, s.begin():
        order_id = order_of(s, entity_id)
        order = s.get(Order, order_id) if order_id else None
        if order is not None:
            for shipment in live_shipments(s, order.id):
                if shipment.state in ("planned", "rated"):
                    shipment.state, shipment.error = "exception", message
            move_order(s, order, OrderState.EXCEPTION, message, "shipping")


def _address(data: dict | None) -> Address | None:
    return Address(**data) if data else None


@dataclass(frozen=True)
class _OrderToPlan:
    id: int
    shop_id: int
    shopify_id: int
    total: Decimal
    lines: int
    destination: Address | None
    settings: ShippingSettings
    busy: frozenset[str]  # fulfilment orders with a shipment under way
    scores: dict  # on-time share per carrier service, for the selection policy


def _order_to_plan(svc, order_id: int, on_demand: bool) -> _OrderToPlan | None:
    """What planning needs from our database, read at once; None when there is nothing to do."""
    with svc.db.session() as s:
        order = s.get(Order, order_id)
        if order is None or order.state != OrderState.READY.value:
            return None
        settings_row = s.get(ShopSettings, order.shop_id)
        settings = read_settings(settings_row.data if settings_row else None, order.currency)
        if settings.automation == "off" and not on_demand:
            return None
        busy = frozenset(sh.fulfillment_order_id for sh in live_shipments(s, order_id)
                         if sh.state in UNFINISHED)
        lines = s.scalar(select(func.count()).where(LineItem.order_id == order_id))
        return _OrderToPlan(order.id, order.shop_id, order.shopify_id, order.total_price, lines,
                            _address(order.shipping_address), settings, busy,
                            reliability(s, order.shop_id))


@job(queue="shipping", timeout=300)
@fails_visibly("plan the shipment", _order_of_order)
def plan_shipment(order_id: int, on_demand: bool = False) -> None:
    svc = services()
    order = _order_to_plan(svc, order_id, on_demand)
    if order is None:
        return
    domain, token = access_token(svc, order.shop_id)
    data = read_fulfilment_orders(svc, domain, token, queries.FULFILLMENT_ORDERS_TO_SHIP,
                                  order.shopify_id, order.lines)
    fulfilment_orders = [fo for fo in fulfilment_orders_to_ship(data)
                         if fo.status != "ON_HOLD" and fo.id not in order.busy]
    if not fulfilment_orders:
        if order.busy:
            return
        raise NotReadyYet(f"order {order_id} has no open fulfilment order yet")
    try:
        verified = carrier_for(svc, order.shop_id).verify_address(order.destination)
    except AddressUndeliverable as exc:
        _hold(svc, order_id, f"The carrier cannot deliver to this address: {exc}")
        return
    for fo in fulfilment_orders:
        _plan_one(svc, order, fo, verified.address,
                  buy=order.settings.automation == "buy" and not on_demand)


def _hold(svc, order_id: int, reason: str) -> None:
    with svc.db.session() as s, s.begin():
        move_order(s, s.get(Order, order_id), OrderState.ON_HOLD, reason, "shipping")


def _pack_item(line, settings) -> PackItem:
    """Shopify gives the weight; the shop's per-SKU facts add dimensions and own packaging."""
    facts = settings.products.get(line.sku) if line.sku else None
    return PackItem(title=line.title, quantity=line.quantity, sku=line.sku,
                    weight_g=line.weight_g or (facts.weight_g if facts else None),
                    dimensions=facts.dimensions if facts else None,
                    ships_alone=facts.ships_alone if facts else False)


def _plan_one(svc, planned: _OrderToPlan, fo: ShippableFulfilmentOrder, destination,
              buy: bool) -> None:
    order_id, shop_id, settings = planned.id, planned.shop_id, planned.settings
    order_total = planned.total
    packing = pack([_pack_item(line, settings) for line in fo.lines], settings.boxes, settings.packing)
    origin = origin_for(settings, fo.location_name) or fo.origin
    carrier = carrier_for(svc, shop_id)
    options = {"label_format": settings.label_format, "label_size": "4x6"}
    if settings.signature_above is not None and order_total > settings.signature_above:
        options["delivery_confirmation"] = "SIGNATURE"
    insure = settings.insure_above is not None and order_total > settings.insure_above
    carrier_shipments = [
        carrier.create_shipment(
            destination, origin, parcel_to_easypost(*p.dimensions_in, p.weight_oz), options,
            reference=f"order-{order_id}-{fo.id.rsplit('/', 1)[-1]}-{n}")
        for n, p in enumerate(packing.parcels)
    ]
    offered = combine([c.rates for c in carrier_shipments])
    selection = select_rate(offered, settings.policy, planned.scores)
    with svc.db.session() as s, s.begin():
        order = s.scalar(select(Order).where(Order.id == order_id).with_for_update())
        if order.state != OrderState.READY.value:
            return  # held or cancelled while we rated: its carrier shipments cost nothing unbought
        if any(sh.fulfillment_order_id == fo.id and sh.state in UNFINISHED
               for sh in live_shipments(s, order_id)):
            return  # another run planned it first; its carrier shipments cost nothing unbought
        warnings = list(packing.warnings + packing.errors)
        shipment = Shipment(shop_id=shop_id, order_id=order_id, fulfillment_order_id=fo.id,
                            lines=[{"id": line.id, "quantity": line.quantity} for line in fo.lines],
                            selection=selection_json(selection) | {"warnings": warnings})
        s.add(shipment)
        for n, (parcel, carrier) in enumerate(zip(packing.parcels, carrier_shipments)):
            row = parcel_row(shipment, n, parcel, settings.dim_rules)
            s.add(row)
            row.carrier_shipment_id = carrier.id
            row.rates = [{"id": r.id, "service": f"{r.carrier}/{r.service}", "amount": str(r.amount.amount)}
                         for r in carrier.rates]
            if insure:
                row.insurance = (order_total / len(packing.parcels)).quantize(Decimal("0.01"))
            if selection.rate is not None:
                own = parcel_rate(carrier.rates, selection.rate.id)
                row.rate_id, row.amount = own.id, own.amount.amount
        if selection.rate is None:
            shipment.state, shipment.error = "exception", selection.reason
            move_order(s, order, OrderState.ON_HOLD, f"No rate to buy: {selection.reason}", "shipping")
            return
        shipment.state = "rated"
        shipment.carrier, shipment.service = selection.rate.carrier, selection.rate.service
        shipment.cost, shipment.currency = selection.rate.amount.amount, selection.rate.amount.currency
        shipment.estimated_delivery = selection.rate.delivery_date
        record(s, order, "rated", f"{len(packing.parcels)} parcel(s); {selection.reason}", "shipping")
        for warning in warnings:
            record(s, order, "packing_warning", warning, "shipping")
        s.flush()
        parcel_ids = [p.id for p in shipment.parcels]
    if buy:
        svc.queue.enqueue_many([buy_label.call(i, job_id=f"buy-{i}") for i in parcel_ids])


def _start_purchase(svc, parcel_id: int) -> tuple[ParcelRow, bool] | None:
    """Take the parcel's purchase lease; (parcel, retrying) or None when it is already bought."""
    with svc.db.session() as s, s.begin():
        parcel = s.scalar(select(ParcelRow).where(ParcelRow.id == parcel_id).with_for_update())
        if parcel is None or parcel.bought_at is not None or parcel.voided_at is not None:
            return None
        now = utcnow()
        started = parcel.buy_started_at
        if started is not None and started + purchase_lease(svc) > now:
            log.info("parcel %s is being bought by another run; it will finish it", parcel_id)
            return None
        parcel.buy_started_at = now
        return parcel, started is not None


def purchase_lease(svc) -> timedelta:
    """Longer than a buy_label run can live (RQ kills it at its timeout): once the lease is over,
    the run that took it is dead, and a new run may look the purchase up and finish it."""
    return timedelta(seconds=svc.settings.PURCHASE_LEASE_SECONDS)


@job(queue="shipping", timeout=120)
@fails_visibly("buy the label", _order_of_parcel)
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
        if all_bought(shipment) and shipment.state == "rated":
            shipment.state = "bought"
            order = s.get(Order, shipment.order_id)
            move_order(s, order, OrderState.LABEL_BOUGHT,
                       f"Label bought: {shipment.carrier} {shipment.service}, "
                       f"{', '.join(p.tracking_code for p in shipment.parcels)}", "shipping")
            ship_id = shipment.id
        else:
            ship_id = None
    if ship_id:
        svc.queue.enqueue_many([push_fulfilment.call(ship_id, job_id=f"push-{ship_id}")])


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
        rate = next((r for r in fresh.rates if f"{r.carrier}/{r.service}" == _service(parcel)), None)
        if rate is None:
            raise
        return carrier.buy(parcel.carrier_shipment_id, rate.id, parcel.insurance)


def _service(parcel: ParcelRow) -> str:
    return next(r["service"] for r in parcel.rates if r["id"] == parcel.rate_id)


@job(queue="shipping", timeout=300)
@fails_visibly("create the fulfilment in Shopify", _order_of_shipment)
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
        if shipment is None or shipment.shopify_fulfillment_id or shipment.state != "bought":
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
            fulfillment_id = _create_fulfilment(svc, domain, token, {
                "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": shipment.fulfillment_order_id,
                                                 "fulfillmentOrderLineItems": shipment.lines}],
                "trackingInfo": tracking_input(shipment.carrier, numbers),
                "notifyCustomer": notify,
            })
        shipment.shopify_fulfillment_id, shipment.fulfilled_at = fulfillment_id, utcnow()
        shipment.state = "fulfilled"
        shipment.tracking_token = shipment.tracking_token or secrets.token_urlsafe(24)
        move_order(s, order, OrderState.FULFILLED,
                   f"Fulfilled in Shopify with tracking {', '.join(numbers)}", "shipping")
    svc.queue.enqueue_many([tracking.start_tracking.call(shipment_id, job_id=f"track-{shipment_id}")])


def _mark_attempt(svc, shipment_id: int) -> tuple[str, bool] | None:
    """Commit a mark of this run before anything reaches Shopify: (the run's mark, whether an
    earlier run left one), or None when there is nothing to push. The mark outlives a worker
    killed after Shopify created the fulfilment but before our commit."""
    with svc.db.session() as s, s.begin():
        shipment = s.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update())
        if shipment is None or shipment.shopify_fulfillment_id or shipment.state != "bought":
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


def _create_fulfilment(svc, domain: str, token: str, request: dict) -> str:
    result = svc.admin.graphql(domain, token, queries.FULFILLMENT_CREATE,
                               {"fulfillment": request})["fulfillmentCreate"]
    if result["userErrors"]:
        raise PayloadError("Shopify refused the fulfilment: "
                           + "; ".join(e["message"] for e in result["userErrors"]))
    return result["fulfillment"]["id"]


def tracking_input(carrier: str, numbers: list[str]) -> dict:
    """Shopify's exact company name builds its own links; otherwise we give ours (notes, sec. 3)."""
    info = {"company": shopify_company(carrier) or carrier, "numbers": numbers}
    urls = [tracking_url(carrier, n) for n in numbers]
    if all(urls):
        info["urls"] = urls
    return info


def _existing_fulfilment(svc, domain, token, shopify_id, numbers) -> str | None:
    data = svc.admin.graphql(domain, token, queries.ORDER_FULFILLMENTS,
                             {"id": id_to_gid("Order", shopify_id)})
    for fulfillment in (data.get("order") or {}).get("fulfillments") or []:
        if fulfillment.get("status") == "CANCELLED":
            continue
        if set(numbers) & {t.get("number") for t in fulfillment.get("trackingInfo") or []}:
            return fulfillment["id"]
    return None



@job(queue="shipping", timeout=300)
@fails_visibly("void the label", _order_of_shipment)
def void_shipment(shipment_id: int) -> None:
    """Refund every label of the shipment and cancel its Shopify fulfilment; the order is ready
    again, to be rated and bought anew."""
    svc = services()
    with svc.db.session() as s:
        shipment = s.get(Shipment, shipment_id)
        if shipment is None or shipment.state == "voided":
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
        shipment.state = "voided"
        order = s.get(Order, shipment.order_id)
        refunds = ", ".join(sorted({p.refund_status for p in shipment.parcels if p.refund_status}))
        record(s, order, "label_voided", f"Label voided; carrier refund {refunds or 'not needed'}",
               "shipping")
        move_order(s, order, OrderState.READY, "Ready to ship again after the label was voided",
                   "shipping")


def _record_refunds(svc, shipment_id: int, statuses: dict[int, str]) -> None:
    """Committed before anything else can fail, so a retry never asks for a refund twice."""
    with svc.db.session() as s, s.begin():
        for parcel in s.get(Shipment, shipment_id).parcels:
            if parcel.id in statuses:
                parcel.refund_status, parcel.voided_at = statuses[parcel.id], utcnow()


def _cancel_fulfilment(svc, shop_id: int, fulfillment_id: str) -> None:
    domain, token = access_token(svc, shop_id)
    result = svc.admin.graphql(domain, token, queries.FULFILLMENT_CANCEL,
                               {"id": fulfillment_id})["fulfillmentCancel"]
    errors = [e["message"] for e in result["userErrors"]]
    if errors and not (result.get("fulfillment") or {}).get("status") == "CANCELLED":
        log.warning("fulfilment %s not cancelled: %s", fulfillment_id, "; ".join(errors))
