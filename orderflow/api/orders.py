"""The admin's JSON API: orders, their timelines and shipments, and privacy exports."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db.models import Alert, DataRequest, Notice, Order, OrderEvent, Shipment
from ..fulfilment.states.orders import OrderState
from ..services import services
from . import bp
from .auth import error_response
from .shipping import shipment_json
from .tracking import alert_json, notice_json

MAX_PAGE = 100

@bp.errorhandler(404)
def not_found(_exc):
    return error_response(404, "not found")


def _money(amount, currency) -> dict:
    return {"amount": str(amount), "currency": currency}


def order_summary(order: Order) -> dict:
    return {
        "id": order.id, "shopify_id": str(order.shopify_id), "name": order.name,
        "state": order.state, "hold_reason": order.hold_reason,
        "financial_status": order.financial_status,
        "total": _money(order.total_price, order.currency),
        "placed_at": order.shopify_created_at.isoformat(),
        "updated_at": order.shopify_updated_at.isoformat(),
        "cancelled": order.cancelled_at is not None,
    }


def order_detail(order: Order, events: list[OrderEvent]) -> dict:
    return order_summary(order) | {
        "email": order.email, "note": order.note, "tags": order.tags, "test": order.test,
        "shipping_address": order.shipping_address, "billing_address": order.billing_address,
        "customer": None if order.customer is None else {
            "shopify_id": str(order.customer.shopify_id), "email": order.customer.email,
            "first_name": order.customer.first_name, "last_name": order.customer.last_name},
        "line_items": [{
            "shopify_id": str(li.shopify_id), "title": li.title, "sku": li.sku,
            "quantity": li.quantity, "price": _money(li.price, order.currency),
            "requires_shipping": li.requires_shipping, "gift_card": li.gift_card,
        } for li in order.line_items],
        "timeline": [{"at": e.created_at.isoformat(), "kind": e.kind, "message": e.message,
                      "source": e.source} for e in events],
    }


def _int_arg(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ValueError(f"'{name}' must be a whole number")
    return int(raw)


@bp.get("/orders")
def orders():
    state = request.args.get("state")
    if state and state not in {s.value for s in OrderState}:
        return error_response(400, f"unknown state '{state}'; use one of "
                      + ", ".join(s.value for s in OrderState))
    try:
        limit = min(_int_arg("limit", 50) or 50, MAX_PAGE)
        before = _int_arg("before")
    except ValueError as exc:
        return error_response(400, str(exc))
    query = select(Order).where(Order.shop_id == g.shop.id)
    if state:
        query = query.where(Order.state == state)
    if before:
        query = query.where(Order.id < before)
    with services().db.session() as s:
        rows = s.scalars(query.order_by(Order.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return jsonify(orders=[order_summary(o) for o in page],
                   next_before=page[-1].id if len(rows) > limit else None)


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    with services().db.session() as s:
        found = s.scalar(
            select(Order).where(Order.id == order_id, Order.shop_id == g.shop.id)
            .options(selectinload(Order.line_items), selectinload(Order.customer))
        )
        if found is None:
            return error_response(404, "not found")
        events = s.scalars(select(OrderEvent).where(OrderEvent.order_id == found.id)
                           .order_by(OrderEvent.id)).all()
        shipments = s.scalars(select(Shipment).where(Shipment.order_id == found.id)
                              .options(selectinload(Shipment.parcels)).order_by(Shipment.id)).all()
        told = s.scalars(select(Notice).join(Shipment).where(Shipment.order_id == found.id)
                         .order_by(Notice.id)).all()
        raised = s.scalars(select(Alert).where(Alert.order_id == found.id).order_by(Alert.id)).all()
        return jsonify(order=order_detail(found, events)
                       | {"shipments": [shipment_json(sh) for sh in shipments],
                          "notices": [notice_json(n) for n in told],
                          "alerts": [alert_json(a, found) for a in raised]})


@bp.get("/data-requests")
def data_requests():
    with services().db.session() as s:
        rows = s.scalars(select(DataRequest).where(DataRequest.shop_id == g.shop.id)
                         .order_by(DataRequest.id.desc())).all()
        return jsonify(data_requests=[{
            "id": r.id, "created_at": r.created_at.isoformat(),
            "customer_shopify_id": str(r.customer_shopify_id) if r.customer_shopify_id else None,
            "export": r.export} for r in rows])
