"""Shipping on demand from the admin: re-rate, buy a chosen rate, void, fetch the label file.

Carrier calls happen in jobs; these handlers check the request against what we hold, record the
merchant's choice and enqueue. Another shop's shipment is a 404, like a missing one.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Response, g, jsonify, request
from sqlalchemy import select

from ..jobs.shipping import buy_label, plan_shipment, void_shipment
from ..models import Order, ParcelRow, Shipment
from ..queue import QueueUnavailable
from ..services import services
from .blueprint import error_response, bp

_MIME = {"PDF": "application/pdf", "PNG": "image/png", "ZPL": "application/zpl"}


def _enqueue(calls) -> Response | None:
    try:
        services().queue.enqueue_many(calls)
    except QueueUnavailable:
        return error_response(503, "the job queue is unavailable; try again in a minute")
    return None


def _shipment(session, shipment_id: int) -> Shipment | None:
    return session.scalar(select(Shipment).where(Shipment.id == shipment_id,
                                                 Shipment.shop_id == g.shop.id))


def shipment_json(shipment: Shipment) -> dict:
    return {
        "id": shipment.id, "state": shipment.state, "carrier": shipment.carrier,
        "service": shipment.service, "error": shipment.error,
        "cost": None if shipment.cost is None else {"amount": str(shipment.cost), "currency": shipment.currency},
        "selection": shipment.selection, "shopify_fulfillment_id": shipment.shopify_fulfillment_id,
        "parcels": [{
            "id": p.id, "box": p.box, "weight_oz": str(p.weight_oz), "contents": p.contents,
            "dimensions_in": [str(p.length_in), str(p.width_in), str(p.height_in)],
            "tracking_code": p.tracking_code, "label_format": p.label_format,
            "bought": p.bought_at is not None, "voided": p.voided_at is not None,
            "refund_status": p.refund_status, "tracking_status": p.tracking_status,
            "tracking_events": p.tracking_events or [],
            "estimated_delivery": p.tracking_estimate.isoformat() if p.tracking_estimate else None,
        } for p in shipment.parcels],
        "tracking_status": shipment.tracking_status,
        "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
        "delivery_proof": shipment.delivery_proof,
    }


@bp.post("/orders/<int:order_id>/rates")
def rerate(order_id: int):
    """Rate the order again: a new shipment replaces one not yet bought."""
    with services().db.session() as s, s.begin():
        order = s.scalar(select(Order).where(Order.id == order_id, Order.shop_id == g.shop.id))
        if order is None:
            return error_response(404, "not found")
        if order.state != "ready":
            return error_response(409, f"only a ready order can be rated; this one is {order.state}")
        for shipment in s.scalars(select(Shipment).where(Shipment.order_id == order.id)):
            if shipment.state in ("bought", "fulfilled"):
                return error_response(409, "this order has a bought label: void it first")
            if shipment.state in ("planned", "rated", "exception"):
                shipment.state = "voided"
    problem = _enqueue([plan_shipment.call(order_id, True, job_id=f"rerate-{order_id}")])
    return problem or (jsonify(queued="rating"), 202)


@bp.post("/shipments/<int:shipment_id>/buy")
def buy(shipment_id: int):
    """Buy the rate the merchant chose among those we offered (`{"service": "UPS/Ground"}`)."""
    service = (request.get_json(silent=True) or {}).get("service")
    if not isinstance(service, str):
        return error_response(400, "send {\"service\": \"<carrier>/<service>\"}, one of the rates offered")
    with services().db.session() as s, s.begin():
        shipment = _shipment(s, shipment_id)
        if shipment is None:
            return error_response(404, "not found")
        if shipment.state != "rated":
            return error_response(409, f"this shipment is {shipment.state}: only a rated shipment can be bought")
        parcel_rates = [next((r for r in p.rates or [] if r["service"] == service), None)
                        for p in shipment.parcels]
        if not parcel_rates or None in parcel_rates:
            return error_response(422, f"{service} was not offered for this shipment; re-rate to see what is")
        for parcel, rate in zip(shipment.parcels, parcel_rates):
            parcel.rate_id, parcel.amount = rate["id"], rate["amount"]
        shipment.carrier, shipment.service = service.split("/", 1)
        shipment.cost = sum(Decimal(r["amount"]) for r in parcel_rates)
        ids = [p.id for p in shipment.parcels]
    problem = _enqueue([buy_label.call(i, job_id=f"buy-{i}") for i in ids])
    return problem or (jsonify(queued="buying", parcels=ids), 202)


@bp.post("/shipments/<int:shipment_id>/void")
def void(shipment_id: int):
    with services().db.session() as s:
        shipment = _shipment(s, shipment_id)
        if shipment is None:
            return error_response(404, "not found")
        if shipment.state == "voided":
            return error_response(409, "this shipment's labels are already voided")
        if not any(p.bought_at for p in shipment.parcels):
            return error_response(409, "no label was bought for this shipment")
    problem = _enqueue([void_shipment.call(shipment_id, job_id=f"void-{shipment_id}")])
    return problem or (jsonify(queued="voiding"), 202)


@bp.get("/parcels/<int:parcel_id>/label")
def label(parcel_id: int):
    with services().db.session() as s:
        parcel = s.scalar(select(ParcelRow).where(ParcelRow.id == parcel_id,
                                                  ParcelRow.shop_id == g.shop.id))
        if parcel is None:
            return error_response(404, "not found")
        if parcel.voided_at is not None:
            return error_response(410, "this label was voided")
        if parcel.label_data is None:
            return error_response(409, "no label has been bought for this parcel yet")
        fmt = parcel.label_format or "PDF"
        return Response(parcel.label_data, mimetype=_MIME.get(fmt.upper(), "application/octet-stream"),
                        headers={"Content-Disposition": f'inline; filename="label-{parcel.tracking_code}.{fmt.lower()}"'})
