"""Shipping on demand from the admin: re-rate, buy a chosen rate, void, fetch the label file.

The checks and the enqueuing live in `orderflow.shipping_actions`, shared with the admin pages;
these handlers turn its refusals into JSON errors. Another shop's shipment is a 404, like a
missing one.
"""

from __future__ import annotations

from flask import Response, g, jsonify, request

from ..actions import shipping as actions
from ..db.models import Shipment
from ..services import services
from . import bp
from .auth import error_response


def shipment_json(shipment: Shipment) -> dict:
    return {
        "id": shipment.id, "state": shipment.state, "carrier": shipment.carrier,
        "service": shipment.service, "error": shipment.error,
        "cost": None if shipment.cost is None else {"amount": str(shipment.cost),
                                                    "currency": shipment.currency},
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


def _refused(exc: actions.Refused) -> Response:
    return error_response(exc.status, str(exc))


@bp.post("/orders/<int:order_id>/rates")
def rerate(order_id: int):
    """Rate the order again: a new shipment replaces one not yet bought."""
    try:
        actions.rerate(services(), g.shop.id, order_id)
    except actions.Refused as exc:
        return _refused(exc)
    return jsonify(queued="rating"), 202


@bp.post("/shipments/<int:shipment_id>/buy")
def buy(shipment_id: int):
    """Buy the rate the merchant chose among those we offered (`{"service": "UPS/Ground"}`)."""
    service = (request.get_json(silent=True) or {}).get("service")
    if not isinstance(service, str):
        return error_response(
            400, "send {\"service\": \"<carrier>/<service>\"}, one of the rates offered")
    try:
        ids = actions.buy(services(), g.shop.id, shipment_id, service)
    except actions.Refused as exc:
        return _refused(exc)
    return jsonify(queued="buying", parcels=ids), 202


@bp.post("/shipments/<int:shipment_id>/void")
def void(shipment_id: int):
    try:
        actions.void(services(), g.shop.id, shipment_id)
    except actions.Refused as exc:
        return _refused(exc)
    return jsonify(queued="voiding"), 202


@bp.get("/parcels/<int:parcel_id>/label")
def label(parcel_id: int):
    try:
        found = actions.label(services(), g.shop.id, parcel_id)
    except actions.Refused as exc:
        return _refused(exc)
    return Response(found.data, mimetype=found.mimetype,
                    headers={"Content-Disposition": f'inline; filename="{found.filename}"'})
