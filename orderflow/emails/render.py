"""Shipping emails as complete MIME messages: a plain-text part and an HTML part with inlined CSS.

Everything a customer or a carrier wrote (names, item titles, the carrier's words) goes through
Jinja's autoescaping; the shop's colour and logo are used only when they are a #hex colour and an
https:// address, so a settings document cannot inject CSS or markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

# The rules an email's settings follow live in the domain; imported here for the renderer, and
# for callers that import them from this module.
from ..fulfilment.email_rules import (
    DEFAULT_COLOUR,
    KINDS,
    Wording,
    fill_placeholders,
    is_email_address,
    is_hex_colour,
    is_https_url,
    is_web_url,
)

SUBJECTS = {
    "shipped": "Your order {order} is on its way",
    "out_for_delivery": "Your order {order} is out for delivery",
    "delivered": "Your order {order} has been delivered",
    "problem": "There's a problem delivering your order {order}",
}
ALERT_SUBJECTS = {
    "failed": "Delivery failed for order {order}",
    "returning": "Order {order} is being returned to you",
    "stalled": "Order {order} has stopped moving",
    "cancelled": "The shipment of order {order} was cancelled",
}
ALERT_SUBJECT = "A delivery problem needs your attention: order {order}"

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# Optional sections leave runs of empty lines in the text part; one empty line between paragraphs
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")


@dataclass(frozen=True)
class Brand:
    shop_name: str
    logo_url: str | None = None
    colour: str = DEFAULT_COLOUR
    reply_to: str | None = None


@dataclass(frozen=True)
class Item:
    title: str
    quantity: int


@dataclass(frozen=True)
class Tracking:
    carrier: str
    service: str | None
    number: str
    url: str | None


@dataclass(frozen=True)
class CustomerEmail:
    kind: str  # one of KINDS
    order_name: str  # "#1001"
    customer_name: str | None
    items: tuple[Item, ...]
    tracking: tuple[Tracking, ...]
    estimated_delivery: date | None
    tracking_page_url: str
    problem: str | None = None  # the carrier's words, for kind "problem"
    # Shown as given, in its own timezone: pass the carrier's local time of the scan
    delivered_at: datetime | None = None
    delivered_where: str | None = None  # "Brooklyn, NY"
    signed_by: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown email kind {self.kind!r}; use one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class MerchantAlert:
    order_name: str
    kind: str  # failed, returning, stalled, cancelled (any other reads as a generic problem)
    message: str
    tracking_numbers: tuple[str, ...]
    order_url: str | None = None


def _subject(email: CustomerEmail, brand: Brand, wording: Wording) -> str:
    order = _one_line(email.order_name)
    if wording.subject and wording.subject.strip():
        return _one_line(fill_placeholders(wording.subject, order=order, shop=brand.shop_name))
    return SUBJECTS[email.kind].format(order=order)


def _intro(email: CustomerEmail, brand: Brand, wording: Wording) -> tuple[str, ...]:
    """The merchant's paragraphs, placeholders filled; the templates escape them."""
    text = fill_placeholders((wording.intro or "").replace("\r\n", "\n"),
                             order=_one_line(email.order_name), shop=brand.shop_name)
    return tuple(p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip())


def safe_brand(brand: Brand) -> Brand:
    """The brand with anything unusable replaced: default colour, no logo, no Reply-To."""
    return replace(
        brand,
        shop_name=_one_line(brand.shop_name) or "our shop",
        colour=brand.colour.lower() if is_hex_colour(brand.colour) else DEFAULT_COLOUR,
        logo_url=brand.logo_url if is_https_url(brand.logo_url) else None,
        reply_to=brand.reply_to if is_email_address(brand.reply_to) else None,
    )


def customer_message(email: CustomerEmail, brand: Brand, to: str, sender: str,
                     unsubscribe_url: str, message_id: str,
                     wording: Wording | None = None) -> EmailMessage:
    """`wording`: the merchant's own subject and opening paragraph for this kind, if any."""
    brand, wording = safe_brand(brand), wording or Wording()
    subject = _subject(email, brand, wording)
    message = _headers(subject, brand.shop_name, to, sender, message_id, brand.reply_to)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    _add_bodies(message, email.kind, email=email, brand=brand, subject=subject,
                unsubscribe_url=unsubscribe_url, intro=_intro(email, brand, wording))
    return message


def merchant_message(alert: MerchantAlert, brand: Brand, to: str, sender: str,
                     message_id: str) -> EmailMessage:
    brand = safe_brand(brand)
    template = ALERT_SUBJECTS.get(alert.kind, ALERT_SUBJECT)
    subject = template.format(order=_one_line(alert.order_name))
    message = _headers(subject, f"Orderflow for {brand.shop_name}", to, sender, message_id)
    _add_bodies(message, "merchant_alert", alert=alert, brand=brand, subject=subject)
    return message


def _headers(subject: str, display_name: str, to: str, sender: str, message_id: str,
             reply_to: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = Address(display_name=display_name, addr_spec=sender)
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id
    # RFC 3834: tells mail servers not to answer it with out-of-office replies.
    message["Auto-Submitted"] = "auto-generated"
    return message


def _add_bodies(message: EmailMessage, template: str, **context) -> None:
    """Quoted-printable keeps every line short and 7-bit, whatever the server accepts."""
    context["button_text"] = _text_colour_on(context["brand"].colour)
    text = _BLANK_LINES.sub("\n\n", _env.get_template(f"emails/{template}.txt").render(context))
    html = _inliner.inline(_env.get_template(f"emails/{template}.html").render(context))
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def _text_colour_on(colour: str) -> str:
    """White or near-black, whichever reads better on the shop's colour (WCAG contrast)."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#202223"


def _day(value: date) -> str:
    return f"{value:%A}, {value:%B} {value.day}"


def _time(value: datetime) -> str:
    return value.strftime("%I:%M %p").lstrip("0")


def _web_url(value) -> str | None:
    return value if is_web_url(value) else None


_env = Environment(
    loader=PackageLoader("orderflow", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
)
_env.filters.update(day=_day, time=_time, web_url=_web_url, one_line=_one_line)
# No network: the templates link no stylesheets, and customer text is escaped, so none can appear.
_inliner = css_inline.CSSInliner(load_remote_stylesheets=False)
