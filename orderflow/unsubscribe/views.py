"""The unsubscribe link of customer emails: a confirmation page, and the POST that opts out.

GET only asks: mail scanners and link previews fetch every link in a message, and must not
unsubscribe anyone. POST does it, from the page's button or from a mail client's RFC 8058
one-click request; the signed token is what authorises it, so there is no session or CSRF token.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import render_template

from ..db.models import Shop
from ..emails.unsubscribe import opt_out, read_unsubscribe_token
from ..services import services
from . import bp


class Recipient(NamedTuple):
    shop_id: int
    shop_name: str
    email: str


@bp.after_request
def _private(response):
    """The token is a credential: keep it out of caches, Referer headers and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _recipient(svc, token: str) -> Recipient | None:
    found = read_unsubscribe_token(svc.settings.SECRET_KEY, token)
    if found is None:
        return None
    with svc.db.session() as s:
        shop = s.get(Shop, found[0])
        return Recipient(shop.id, shop.name or shop.domain, found[1]) if shop else None


def _invalid():
    return render_template("unsubscribe/invalid.html"), 404


@bp.get("/unsubscribe/<token>")
def confirm(token: str):
    recipient = _recipient(services(), token)
    if recipient is None:
        return _invalid()
    return render_template("unsubscribe/confirm.html", shop_name=recipient.shop_name,
                           email=recipient.email)


@bp.post("/unsubscribe/<token>")
def unsubscribe(token: str):
    svc = services()
    recipient = _recipient(svc, token)
    if recipient is None:
        return _invalid()
    with svc.db.session() as s, s.begin():
        opt_out(s, recipient.shop_id, recipient.email)
    return render_template("unsubscribe/done.html", shop_name=recipient.shop_name)
