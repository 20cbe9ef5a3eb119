"""The signed unsubscribe link, and the per-shop opt-out list it writes to.

Tokens carry no expiry on purpose: an unsubscribe link must keep working in an email read months
later. They name the shop and the address, so one shop's link never silences another shop.
"""

from __future__ import annotations

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..db.models import EmailOptOut, utcnow


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="unsubscribe")


def _normalise(email: str) -> str:
    return email.strip().lower()


def unsubscribe_token(secret_key: str, shop_id: int, email: str) -> str:
    return _serializer(secret_key).dumps([shop_id, _normalise(email)])


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, str] | None:
    """The shop id and address a token names, or None when it is forged, damaged or malformed."""
    try:
        payload = _serializer(secret_key).loads(token)
    except BadData:
        return None
    if not (isinstance(payload, list) and len(payload) == 2):
        return None
    shop_id, email = payload
    if type(shop_id) is not int or not isinstance(email, str) or not email:
        return None
    return shop_id, email


def opted_out(session, shop_id: int, email: str) -> bool:
    return session.get(EmailOptOut, (shop_id, _normalise(email))) is not None


def opt_out(session, shop_id: int, email: str) -> None:
    """Record the opt-out; a second one (a double click, a one-click POST racing it) is a no-op."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(EmailOptOut).values(
        shop_id=shop_id, email=_normalise(email), created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["shop_id", "email"]))
