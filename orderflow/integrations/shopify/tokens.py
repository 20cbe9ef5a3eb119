"""Access tokens: token exchange (embedded install), code exchange (OAuth) and refresh.

We ask for expiring offline tokens; `TokenSet` carries both expiries so we refresh in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from shopify_app import IdTokenDetails, ShopifyApp

from .admin import shop_name
from .errors import ShopifyUnavailable, TokenExchangeError


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    scope: str
    expires_at: datetime | None = None
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _from_library(token) -> TokenSet:
    return TokenSet(
        access_token=token.token, scope=token.scope or "",
        expires_at=_parse_time(token.expires), refresh_token=token.refresh_token or None,
        refresh_expires_at=_parse_time(token.refresh_token_expires),
    )


def _from_response(body: dict) -> TokenSet:
    now = datetime.now(UTC)
    expires_in, refresh_in = body.get("expires_in"), body.get("refresh_token_expires_in")
    return TokenSet(
        access_token=body["access_token"], scope=body.get("scope", ""),
        expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
        refresh_token=body.get("refresh_token"),
        refresh_expires_at=now + timedelta(seconds=refresh_in) if refresh_in else None,
    )


class ShopifyTokens:
    def __init__(self, app: ShopifyApp, http: httpx.Client):
        self._app = app
        self._http = http

    def exchange_session_token(self, id_token: IdTokenDetails) -> TokenSet:
        result = self._app.exchange_using_token_exchange(
            "offline", id_token=id_token, expiring=True, http_client=self._http
        )
        return self._unwrap(result, "token exchange")

    def refresh(self, shop_domain: str, tokens: TokenSet) -> TokenSet:
        result = self._app.refresh_token_exchanged_access_token(
            {
                "shop": shop_name(shop_domain), "access_mode": "offline",
                "refresh_token": tokens.refresh_token or "",
                # we decide when to refresh; the library would wait for the last minute
                "expires": "",
                "refresh_token_expires": _iso(tokens.refresh_expires_at),
            },
            http_client=self._http,
        )
        return self._unwrap(result, "token refresh")

    def exchange_code(self, shop_domain: str, code: str) -> TokenSet:
        """The authorization-code grant, which `shopifyapp` does not cover."""
        config = self._app.config
        try:
            response = self._http.post(
                f"https://{shop_domain}/admin/oauth/access_token",
                json={"client_id": config["client_id"], "client_secret": config["client_secret"],
                      "code": code, "expiring": 1},
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise ShopifyUnavailable(f"code exchange with {shop_domain} failed: {exc}") from exc
        if response.status_code != 200:
            raise TokenExchangeError(
                f"Shopify refused the authorization code ({response.status_code})")
        return _from_response(response.json())

    @staticmethod
    def _unwrap(result, what: str) -> TokenSet:
        if result.ok and result.access_token is not None:
            return _from_library(result.access_token)
        if result.log.code == "network_error" or result.response.status >= 500:
            raise ShopifyUnavailable(f"{what} failed: {result.log.detail}")
        raise TokenExchangeError(f"{what} refused: {result.log.code}")
