"""GET /t/<token>: a shipment's tracking page for its customer.

The token is the only key: whoever holds it sees that shipment's progress, and nothing that
identifies anyone (no address, email, phone, price or internal id).
"""

from __future__ import annotations

import re

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db.models import Order, Shipment, Shop, ShopSettings
from ..emails.render import is_hex_colour, is_https_url
from ..fulfilment.tracking_view import tracking_page
from ..services import services
from ..store.shipments import item_titles, shipment_facts
from . import bp

# secrets.token_urlsafe(24) is 32 characters; the column leaves room for up to 43.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,43}")
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
        return {"page": tracking_page(shipment_facts(shipment), item_titles(order)),
                "shop_name": shop.name or shop.domain.removesuffix(".myshopify.com"),
                "order_name": order.name, "carrier": shipment.carrier, "service": shipment.service,
                **_branding(settings.data if settings else None)}


def _branding(data: dict | None) -> dict:
    """The shop's logo and colour from its email settings, when they are safe to use."""
    emails = (data or {}).get("emails")
    emails = emails if isinstance(emails, dict) else {}
    colour, logo = emails.get("colour"), emails.get("logo_url")
    return {"colour": colour if is_hex_colour(colour) else None,
            "logo_url": logo if is_https_url(logo) else None}
