"""Tracking in the admin: delivery alerts that need a person, and what each customer was told."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from ..db.models import Alert, Notice, Order, utcnow
from ..services import services
from . import bp
from .auth import error_response


def alert_json(alert: Alert, order: Order) -> dict:
    return {"id": alert.id, "kind": alert.kind, "message": alert.message,
            "created_at": alert.created_at.isoformat(),
            "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
            "shipment_id": alert.shipment_id,
            "order": {"id": order.id, "name": order.name, "state": order.state}}


def notice_json(notice: Notice) -> dict:
    """What was told to whom: "sent", or why not ("skipped", "failed", "unconfirmed")."""
    return {"channel": notice.channel, "kind": notice.kind, "state": notice.state,
            "recipient": notice.recipient, "error": notice.error,
            "sent_at": notice.sent_at.isoformat() if notice.sent_at else None}


@bp.get("/alerts")
def alerts():
    """Open delivery alerts, newest first; `?all=1` includes resolved ones."""
    query = (select(Alert, Order).join(Order, Order.id == Alert.order_id)
             .where(Alert.shop_id == g.shop.id))
    if request.args.get("all") != "1":
        query = query.where(Alert.resolved_at.is_(None))
    with services().db.session() as s:
        rows = s.execute(query.order_by(Alert.id.desc()).limit(200)).all()
        return jsonify(alerts=[alert_json(a, o) for a, o in rows])


@bp.post("/alerts/<int:alert_id>/resolve")
def resolve_alert(alert_id: int):
    with services().db.session() as s, s.begin():
        alert = s.scalar(select(Alert).where(Alert.id == alert_id, Alert.shop_id == g.shop.id))
        if alert is None:
            return error_response(404, "not found")
        alert.resolved_at = alert.resolved_at or utcnow()
        return jsonify(alert=alert_json(alert, s.get(Order, alert.order_id)))
