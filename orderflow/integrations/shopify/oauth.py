"""The authorization-code install: shop domain, state and query HMAC checks, the authorize URL."""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import urlencode

from .transport import admin_url

SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")


def valid_shop_domain(shop: str | None) -> bool:
    return bool(shop) and SHOP_DOMAIN.fullmatch(shop) is not None


def query_hmac(pairs: list[tuple[str, str]], secret: str) -> str:
    """Shopify's rule: every parameter but `hmac`, sorted, joined as k=v&k=v, hex HMAC-SHA256."""
    message = "&".join(f"{k}={v}" for k, v in sorted(pairs) if k != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_query_hmac(pairs: list[tuple[str, str]], secrets: list[str]) -> bool:
    received = next((v for k, v in pairs if k == "hmac"), "")
    if not received:
        return False
    return any(
        hmac.compare_digest(received.encode(), query_hmac(pairs, s).encode()) for s in secrets if s
    )


def authorize_url(shop: str, client_id: str, scopes: str, redirect_uri: str, state: str,
                  sandbox_url: str = "") -> str:
    params = urlencode({
        "client_id": client_id, "scope": scopes, "redirect_uri": redirect_uri, "state": state,
    })
    return admin_url(shop, f"/admin/oauth/authorize?{params}", sandbox_url)
