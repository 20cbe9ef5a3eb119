"""The dashboard: where the shop's orders stand, today's labels, and what needs a person."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import g, render_template
from sqlalchemy import func, select

from ..db.models import Alert, Order, ParcelRow, Shipment
from ..fulfilment.states.orders import OrderState
from ..services import services
from . import bp

# The states a merchant watches, in the order of the walk.
BOARD = tuple((state.value, label) for state, label in (
    (OrderState.READY, "Ready to ship"), (OrderState.ON_HOLD, "On hold"),
    (OrderState.LABEL_BOUGHT, "Label bought"), (OrderState.FULFILLED, "Fulfilled"),
    (OrderState.IN_TRANSIT, "In transit"), (OrderState.DELIVERED, "Delivered"),
    (OrderState.EXCEPTION, "Exception")))
# What needs a person, besides the open delivery alerts.
_NEEDS_PERSON = (OrderState.ON_HOLD.value, OrderState.EXCEPTION.value)


@bp.get("/")
def dashboard():
    shop_id = g.shop.id
    start = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
    with services().db.session() as s:
        counts = dict(s.execute(select(Order.state, func.count()).where(Order.shop_id == shop_id)
                                .group_by(Order.state)).all())
        labels = s.execute(
            select(Shipment.currency, func.count(ParcelRow.id),
                   func.coalesce(func.sum(ParcelRow.amount), 0))
            .join(Shipment, Shipment.id == ParcelRow.shipment_id)
            .where(ParcelRow.shop_id == shop_id, ParcelRow.bought_at >= start,
                   ParcelRow.voided_at.is_(None))
            .group_by(Shipment.currency)).all()
        alerts = s.execute(
            select(Alert, Order.name, Order.id).join(Order, Order.id == Alert.order_id)
            .where(Alert.shop_id == shop_id, Alert.resolved_at.is_(None))
            .order_by(Alert.id.desc()).limit(20)).all()
    board = [(state, label, counts.get(state, 0)) for state, label in BOARD]
    return render_template("admin/dashboard.html", board=board, labels=labels, alerts=alerts,
                           needs_person=sum(counts.get(s, 0) for s in _NEEDS_PERSON) + len(alerts))
