"""A shop's install and its tokens, stored encrypted inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select

from ..db.models import Shop, utcnow
from ..integrations.shopify.tokens import TokenSet


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
