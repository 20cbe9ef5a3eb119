"""Persisting shipments and parcels, and what the merchant reads about them."""

from __future__ import annotations

from sqlalchemy import select

from ..db.models import Order, ParcelRow, Shipment
from ..fulfilment.carrier_names import tracking_url
from ..fulfilment.packing import carrier_billable_weight
from ..fulfilment.reliability import reliability_scores, reliability_table
from ..fulfilment.states.shipments import NOT_LIVE, ShipmentState
from ..fulfilment.tracking_view import ParcelFacts, ShipmentFacts
from ..fulfilment.types import DeliveryRecord, Parcel, Rate, Selection


def rate_json(rate: Rate) -> dict:
    return {"id": rate.id, "carrier": rate.carrier, "service": rate.service,
            "amount": str(rate.amount.amount), "currency": rate.amount.currency,
            "delivery_days": rate.delivery_days,
            "delivery_date": rate.delivery_date.isoformat() if rate.delivery_date else None}


def selection_json(selection: Selection) -> dict:
    return {"reason": selection.reason,
            "chosen": rate_json(selection.rate) if selection.rate else None,
            "alternatives": [dict(rate_json(a.rate), why_not=a.why_not)
                             for a in selection.alternatives]}


def billable_by_carrier(parcel: Parcel, rules) -> dict[str, int]:
    return {carrier: carrier_billable_weight(parcel, carrier, rules).billable_lb
            for carrier in rules}


def parcel_row(shipment: Shipment, position: int, parcel: Parcel, rules) -> ParcelRow:
    length, width, height = parcel.dimensions_in
    contents: dict = {}
    for unit in parcel.units:
        contents[unit.label] = contents.get(unit.label, 0) + 1
    contents = {"items": contents, "billable_lb": billable_by_carrier(parcel, rules)}
    return ParcelRow(shipment=shipment, shop_id=shipment.shop_id, position=position,
                     box=parcel.box or "own packaging", length_in=length, width_in=width,
                     height_in=height, weight_oz=parcel.weight_oz, contents=contents)


def live_shipments(session, order_id: int) -> list[Shipment]:
    return list(session.scalars(select(Shipment).where(
        Shipment.order_id == order_id, Shipment.state.not_in(NOT_LIVE))))


def reliability(session, shop_id: int) -> dict[tuple[str, str], float]:
    """On-time share per carrier service, from this shop's delivered shipments."""
    rows = session.execute(select(Shipment.carrier, Shipment.service, Shipment.estimated_delivery,
                                  Shipment.delivered_at)
                           .where(Shipment.shop_id == shop_id,
                                  Shipment.delivered_at.is_not(None))).all()
    records = [DeliveryRecord(c, sv, est, delivered.date()) for c, sv, est, delivered in rows]
    return reliability_table(reliability_scores(records))


def all_bought(shipment: Shipment) -> bool:
    return all(p.bought_at is not None and p.voided_at is None for p in shipment.parcels)


def shipment_facts(shipment: Shipment) -> ShipmentFacts:
    return ShipmentFacts(
        status=shipment.tracking_status, promised=shipment.estimated_delivery,
        delivered_at=shipment.delivered_at, proof=shipment.delivery_proof,
        voided=shipment.state == ShipmentState.VOIDED,
        parcels=tuple(_parcel_facts(p, shipment.carrier or "") for p in shipment.parcels),
    )


def _parcel_facts(parcel, carrier: str) -> ParcelFacts:
    events = parcel.tracking_events if isinstance(parcel.tracking_events, list) else []
    counts = (parcel.contents or {}).get("items") or {}
    return ParcelFacts(
        carrier=carrier, tracking_code=parcel.tracking_code,
        tracking_url=tracking_url(carrier, parcel.tracking_code or ""),
        status=parcel.tracking_status, events=tuple(e for e in events if isinstance(e, dict)),
        estimate=parcel.tracking_estimate, items=tuple(counts.items()),
        voided=parcel.voided_at is not None,
    )


def item_titles(order: Order) -> dict[str, str]:
    """Parcels list items by SKU when there is one; the customer knows them by title."""
    return {line.sku: line.title for line in order.line_items if line.sku}
