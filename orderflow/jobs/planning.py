"""Step 3 of the walk: a ready order's fulfilment orders packed, rated and a rate selected.

`plan_shipment` reads what is left to ship from Shopify, verifies the address, and for each
fulfilment order packs the items, rates the parcels and lets the selection policy pick (and say
why); the shipment is recorded `rated`, and with automation "buy" its labels are bought next.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from ..db.models import LineItem, Order, Shipment, ShopSettings
from ..fulfilment.carrier_selection import select_rate
from ..fulfilment.label_options import label_options, parcel_insurance
from ..fulfilment.packing import pack
from ..fulfilment.shipment_rates import combine, parcel_rate
from ..fulfilment.shop_settings import ShippingSettings, origin_for, read_settings
from ..fulfilment.states import shipments as shipment_states
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import UNFINISHED, ShipmentState
from ..fulfilment.types import Address, PackItem
from ..integrations.easypost.errors import AddressUndeliverable
from ..integrations.easypost.mapping import parcel_to_easypost
from ..integrations.shopify import operations
from ..integrations.shopify.fulfilment_orders import NotReadyYet, OpenFulfilmentOrder, to_ship
from ..queue.calls import call, job
from ..services import access_token, carrier_for, services
from ..store.orders import move, record
from ..store.shipments import live_shipments, parcel_row, reliability, selection_json
from .failures import gives_up, of_order, order_exception


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


@job
@gives_up(order_exception("plan the shipment", of_order))
def plan_shipment(order_id: int, on_demand: bool = False) -> None:
    svc = services()
    order = _order_to_plan(svc, order_id, on_demand)
    if order is None:
        return
    domain, token = access_token(svc, order.shop_id)
    found = operations.fulfilment_orders(svc.admin, domain, token, order.shopify_id, order.lines)
    fulfilment_orders = [fo for fo in to_ship(found) if fo.id not in order.busy]
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
        order = s.get(Order, order_id)
        if order.state != OrderState.ON_HOLD:  # a hold it has already keeps its reason
            move(s, order, OrderState.ON_HOLD, reason, "shipping")


def _moved(shipment: Shipment, state: ShipmentState) -> str:
    return shipment_states.transition(shipment.state, state).value


def _pack_item(line, settings) -> PackItem:
    """Shopify gives the weight; the shop's per-SKU facts add dimensions and own packaging."""
    facts = settings.products.get(line.sku) if line.sku else None
    return PackItem(title=line.title or line.sku or "Item", quantity=line.remaining,
                    sku=line.sku, weight_g=line.weight_g or (facts.weight_g if facts else None),
                    dimensions=facts.dimensions if facts else None,
                    ships_alone=facts.ships_alone if facts else False)


def _plan_one(svc, planned: _OrderToPlan, fo: OpenFulfilmentOrder, destination,
              buy: bool) -> None:
    order_id, shop_id, settings = planned.id, planned.shop_id, planned.settings
    order_total = planned.total
    packing = pack([_pack_item(line, settings) for line in fo.lines], settings.boxes,
                   settings.packing)
    origin = origin_for(settings, fo.location_name) or fo.origin
    carrier = carrier_for(svc, shop_id)
    options = label_options(settings.label_format, order_total, settings.signature_above)
    insurance = parcel_insurance(order_total, settings.insure_above, len(packing.parcels))
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
                            state=ShipmentState.PLANNED.value,
                            lines=[{"id": line.id, "quantity": line.remaining}
                                   for line in fo.lines],
                            selection=selection_json(selection) | {"warnings": warnings})
        s.add(shipment)
        for n, (parcel, carrier) in enumerate(zip(packing.parcels, carrier_shipments, strict=True)):
            row = parcel_row(shipment, n, parcel, settings.dim_rules)
            s.add(row)
            row.carrier_shipment_id = carrier.id
            row.rates = [{"id": r.id, "service": f"{r.carrier}/{r.service}",
                          "amount": str(r.amount.amount)} for r in carrier.rates]
            if insurance is not None:
                row.insurance = insurance
            if selection.rate is not None:
                own = parcel_rate(carrier.rates, selection.rate.id)
                row.rate_id, row.amount = own.id, own.amount.amount
        if selection.rate is None:
            shipment.state = _moved(shipment, ShipmentState.EXCEPTION)
            shipment.error = selection.reason
            move(s, order, OrderState.ON_HOLD, f"No rate to buy: {selection.reason}", "shipping")
            return
        shipment.state = _moved(shipment, ShipmentState.RATED)
        shipment.carrier, shipment.service = selection.rate.carrier, selection.rate.service
        shipment.cost = selection.rate.amount.amount
        shipment.currency = selection.rate.amount.currency
        shipment.estimated_delivery = selection.rate.delivery_date
        record(s, order, "rated", f"{len(packing.parcels)} parcel(s); {selection.reason}",
               "shipping")
        for warning in warnings:
            record(s, order, "packing_warning", warning, "shipping")
        s.flush()
        parcel_ids = [p.id for p in shipment.parcels]
    if buy:
        svc.queue.enqueue_many([call("buy_label", i, job_id=f"buy-{i}") for i in parcel_ids])
