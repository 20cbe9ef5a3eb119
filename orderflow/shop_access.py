"""A shop's access token, refreshed before it lapses, and the install that stores it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from .integrations.shopify.tokens import TokenSet
from .models import Shop, utcnow


class ShopNotInstalled(RuntimeError):
    """The shop has no token (never installed, or uninstalled): its work stops here."""


def store_tokens(shop: Shop, tokens: TokenSet, box) -> None:
    shop.access_token = box.encrypt(tokens.access_token)
    shop.access_token_expires_at = tokens.expires_at
    shop.refresh_token = box.encrypt(tokens.refresh_token)
    shop.refresh_token_expires_at = tokens.refresh_expires_at
    shop.scopes = tokens.scope


def install(session, domain: str, tokens: TokenSet, box) -> tuple[Shop, bool]:
    """Store a new token for `domain`; True when this is a (re)install rather than a refresh."""
    shop = session.scalar(select(Shop).where(Shop.domain == domain).with_for_update())
    if shop is None:
        shop = Shop(domain=domain)
        session.add(shop)
    fresh = not shop.installed
    store_tokens(shop, tokens, box)
    if fresh:
        shop.installed_at, shop.uninstalled_at = utcnow(), None
    session.flush()
    return shop, fresh


def _expiring(shop: Shop, margin: float) -> bool:
    expires = shop.access_token_expires_at
    if expires is None:
        return False
    return expires - timedelta(seconds=margin) <= datetime.now(timezone.utc)


def access_token(svc, shop_id: int) -> tuple[str, str]:
    """(domain, token) of an installed shop, refreshing the token first if it is about to lapse."""
    margin = svc.settings.TOKEN_REFRESH_MARGIN_SECONDS
    with svc.db.session() as s:
        shop = s.get(Shop, shop_id)
        if shop is None or not shop.installed:
            raise ShopNotInstalled(f"shop {shop_id} is not installed")
        if not _expiring(shop, margin):
            return shop.domain, svc.box.decrypt(shop.access_token)
    return _refresh(svc, shop_id, margin)


def _refresh(svc, shop_id: int, margin: float) -> tuple[str, str]:
    """Refresh under a row lock: refresh tokens are single-use, so only one worker may spend it."""
    with svc.db.session() as s, s.begin():
        shop = s.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
        if shop is None or not shop.installed:
            raise ShopNotInstalled(f"shop {shop_id} is not installed")
        if _expiring(shop, margin):
            current = TokenSet(
                access_token=svc.box.decrypt(shop.access_token), scope=shop.scopes or "",
                expires_at=shop.access_token_expires_at,
                refresh_token=svc.box.decrypt(shop.refresh_token),
                refresh_expires_at=shop.refresh_token_expires_at,
            )
            store_tokens(shop, svc.tokens.refresh(shop.domain, current), svc.box)
        return shop.domain, svc.box.decrypt(shop.access_token)
