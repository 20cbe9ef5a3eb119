"""The emails page's preview: the real customer email as the form's unsaved values would send
it, filled with a sample order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import g
from werkzeug.datastructures import MultiDict

from ..emails.render import Brand, CustomerEmail, Item, Tracking, customer_message, safe_brand
from ..fulfilment.email_rules import DEFAULT_COLOUR, Wording
from ..services import services
from .settings_forms import form_text


def sample_email(kind: str) -> CustomerEmail:
    today = date.today()
    return CustomerEmail(
        kind=kind, order_name="#1001", customer_name="Jane",
        items=(Item("Blue enamel mug", 2), Item("Linen tea towel", 1)),
        tracking=(Tracking("UPS", "Ground", "1Z999AA10123456784",
                           "https://www.ups.com/track?tracknum=1Z999AA10123456784"),),
        estimated_delivery=today + timedelta(days=3), tracking_page_url=_app_link("/t/preview"),
        problem="Address not found: the building number is missing",
        delivered_at=datetime.now(UTC).replace(microsecond=0),
        delivered_where="Brooklyn, NY", signed_by="J SMITH")


def _app_link(path: str) -> str:
    return services().settings.APP_URL.rstrip("/") + path


def preview(values: MultiDict, kind: str) -> dict:
    """The real email for `kind` as the form's values would send it, with sample order data.
    Values the email cannot use fall back like a send would (render.safe_brand)."""
    brand = Brand(shop_name=g.shop.name or g.shop.domain.split(".")[0],
                  logo_url=form_text(values, "emails.logo_url") or None,
                  colour=form_text(values, "emails.colour") or DEFAULT_COLOUR,
                  reply_to=form_text(values, "emails.reply_to") or None)
    wording = Wording(form_text(values, f"emails.templates.{kind}.subject") or None,
                      form_text(values, f"emails.templates.{kind}.intro") or None)
    message = customer_message(sample_email(kind), brand, "jane@example.com",
                               services().settings.MAIL_FROM,
                               _app_link("/email/unsubscribe/preview"), "<preview@orderflow>",
                               wording)
    return {"kind": kind, "subject": message["Subject"], "sender": message["From"],
            "colour": safe_brand(brand).colour,
            "reply_to": message["Reply-To"], "html": message.get_body(("html",)).get_content()}
