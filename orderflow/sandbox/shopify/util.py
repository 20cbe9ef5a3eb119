"""Small helpers shared by the sandbox modules: ids, clocks, money, gids, HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import random
import secrets
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

try:
    from zoneinfo import ZoneInfo

    SHOP_TZ = ZoneInfo("America/New_York")
except Exception:  # pragma: no cover - no tz database
    SHOP_TZ = timezone(timedelta(hours=-5))

MAX_SAFE_JS_INT = 2**53


class IdGenerator:
    """Unique, increasing ids with random gaps.

    Big ids start well above 2**53 (like today's Shopify order and line item ids) and are odd
    and even at random, so any float round-trip in a client shows up as a changed id.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._big = 820_000_000_000_000_000 + random.randrange(10**15)
        self._small = itertools.count(60_000_000_000 + random.randrange(10**9), 7)

    def big(self) -> int:
        with self._lock:
            self._big += random.randrange(1, 5000)
            return self._big

    def small(self) -> int:
        with self._lock:
            return next(self._small)


def utc_now() -> datetime:
    return datetime.now(UTC)


def whole_seconds(dt: datetime) -> datetime:
    return dt.replace(microsecond=0)


def rest_time(dt: datetime | None) -> str | None:
    """REST/webhook timestamps: shop time zone with offset, e.g. 2026-01-31T19:00:00-05:00."""
    return dt.astimezone(SHOP_TZ).isoformat(timespec="seconds") if dt else None


def gql_time(dt: datetime | None) -> str | None:
    """GraphQL DateTime: UTC with a Z suffix."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """ISO-8601 to an aware datetime (naive values are taken as UTC)."""
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def money(value: Decimal | int | float | str) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def money_set(amount: Decimal | str, currency: str) -> dict:
    """REST `*_set` bag: the same amount in shop and presentment money."""
    value = {"amount": money(amount), "currency_code": currency}
    return {"shop_money": dict(value), "presentment_money": dict(value)}


def gid(kind: str, ident: int) -> str:
    return f"gid://shopify/{kind}/{ident}"


def gid_id(value: str, kind: str | None = None) -> int | None:
    """The numeric id inside a gid (optionally of one kind), or None."""
    if not isinstance(value, str) or not value.startswith("gid://shopify/"):
        return None
    parts = value[len("gid://shopify/"):].split("/")
    if len(parts) != 2 or (kind and parts[0] != kind):
        return None
    digits = parts[1].split("?")[0]
    return int(digits) if digits.isdigit() else None


def hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def hmac_b64(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def random_token(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def shop_host_param(domain: str) -> str:
    """The `host` parameter Shopify passes to apps: base64url of the admin URL, no padding."""
    return b64url(f"admin.shopify.com/store/{shop_name(domain)}")


def shop_name(domain: str) -> str:
    return domain.removesuffix(".myshopify.com")
