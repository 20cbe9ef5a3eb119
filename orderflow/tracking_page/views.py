"""GET /t/<token>: a shipment's tracking page for its customer.

The token is the only key: whoever holds it sees that shipment's progress, and nothing that
identifies anyone (no address, email, phone, price or internal id).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..fulfilment.tracking_view import ParcelFacts, ShipmentFacts, tracking_page
from ..integrations.easypost.statuses import tracking_url
from ..models import Order, Shipment, Shop, ShopSettings
from ..services import services

bp = Blueprint("tracking_page", __name__)

# secrets.token_urlsafe(24) is 32 characters; the column leaves room for up to 43.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,43}")
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src https:; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}


@bp.get("/t/<token>")
def show(token: str):
    """A token of the wrong shape is 404 without a query; any other costs one lookup."""
    context = _context(token) if _TOKEN.fullmatch(token) else None
    if context is None:
        return render_template("tracking/not_found.html"), 404
    return render_template("tracking/page.html", **context)


@bp.after_request
def _headers(response):
    response.headers.update(HEADERS)
    return response


def _context(token: str) -> dict | None:
    with services().db.session() as s:
        found = s.execute(
            select(Shipment, Order, Shop)
            .join(Order, (Order.id == Shipment.order_id) & (Order.shop_id == Shipment.shop_id))
            .join(Shop, Shop.id == Order.shop_id)
            .where(Shipment.tracking_token == token)
            .options(selectinload(Shipment.parcels), selectinload(Order.line_items))
        ).one_or_none()
        if found is None:
            return None
        shipment, order, shop = found
        settings = s.get(ShopSettings, shop.id)
        return {"page": tracking_page(_facts(shipment), _titles(order)),
                "shop_name": shop.name or shop.domain.removesuffix(".myshopify.com"),
                "order_name": order.name, "carrier": shipment.carrier, "service": shipment.service,
                **_branding(settings.data if settings else None)}


def _facts(shipment: Shipment) -> ShipmentFacts:
    return ShipmentFacts(
        status=shipment.tracking_status, promised=shipment.estimated_delivery,
        delivered_at=shipment.delivered_at, proof=shipment.delivery_proof,
        voided=shipment.state == "voided",
        parcels=tuple(_parcel(p, shipment.carrier or "") for p in shipment.parcels),
    )


def _parcel(parcel, carrier: str) -> ParcelFacts:
    events = parcel.tracking_events if isinstance(parcel.tracking_events, list) else []
    counts = (parcel.contents or {}).get("items") or {}
    return ParcelFacts(
        carrier=carrier, tracking_code=parcel.tracking_code,
        tracking_url=tracking_url(carrier, parcel.tracking_code or ""),
        status=parcel.tracking_status, events=tuple(e for e in events if isinstance(e, dict)),
        estimate=parcel.tracking_estimate, items=tuple(counts.items()),
        voided=parcel.voided_at is not None,
    )


def _titles(order: Order) -> dict[str, str]:
    """Parcels list items by SKU when there is one; the customer knows them by title."""
    return {line.sku: line.title for line in order.line_items if line.sku}


def _branding(data: dict | None) -> dict:
    """The shop's logo and colour from its email settings, when they are safe to use."""
    emails = (data or {}).get("emails")
    emails = emails if isinstance(emails, dict) else {}
    colour, logo = emails.get("colour"), emails.get("logo_url")
    return {"colour": colour if isinstance(colour, str) and _COLOUR.fullmatch(colour) else None,
            "logo_url": logo if _https_url(logo) else None}


def _https_url(value) -> bool:
    if not isinstance(value, str) or len(value) > 2000 or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname)
