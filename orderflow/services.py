"""The app's collaborators, built once per app by the factory and found through `services()`."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

import httpx
from flask import current_app
from shopify_app import ShopifyApp
from sqlalchemy import select

from .config import Settings
from .db.engine import Database
from .db.models import Shop, ShopSettings
from .integrations.easypost.client import EasyPostCarrier
from .integrations.shopify.admin import ShopifyAdmin
from .integrations.shopify.throttle import SharedBuckets
from .integrations.shopify.tokens import ShopifyTokens, TokenSet
from .integrations.shopify.transport import make_http_client
from .queue.backends import Queue
from .secrets import SecretBox
from .store.shops import ShopNotInstalled, store_tokens


class Mailer(Protocol):
    """Sends one email; raises emails.send.MailNotSent when it certainly did not go, and
    MailOutcomeUnknown when the server may have taken it."""

    def send(self, message: EmailMessage) -> None: ...


@dataclass
class Services:
    settings: Settings
    db: Database
    box: SecretBox
    shopify_app: ShopifyApp
    http: httpx.Client
    admin: ShopifyAdmin
    tokens: ShopifyTokens
    queue: Queue  # RQQueue, or InlineQueue in the embedded mode
    carrier: EasyPostCarrier
    mailer: Mailer  # SmtpMailer, or FolderMailer in the embedded mode

    @property
    def webhook_uri(self) -> str:
        return self.settings.APP_URL.rstrip("/") + "/webhooks/shopify"

    @property
    def purchase_lease(self) -> timedelta:
        """Longer than a buy_label run can live (RQ kills it at its timeout): once the lease is
        over, the run that took it is dead, and a new run may look the purchase up and finish it."""
        return timedelta(seconds=self.settings.PURCHASE_LEASE_SECONDS)


def build_services(settings: Settings, app) -> Services:
    from .emails.send import mailer_from_settings
    from .queue.backends import InlineQueue, RQQueue

    shopify_app = ShopifyApp(
        client_id=settings.SHOPIFY_API_KEY, client_secret=settings.SHOPIFY_API_SECRET,
        old_client_secret=settings.SHOPIFY_API_SECRET_OLD or None,
    )
    http = make_http_client(settings.SHOPIFY_SANDBOX_URL, settings.SHOPIFY_TIMEOUT)
    if settings.REDIS_URL:
        queue = RQQueue(settings.REDIS_URL, settings.JOB_MAX_ATTEMPTS, settings.retry_intervals)
    else:
        # One job at a time: the embedded mode's SQLite takes one writer, and two job threads
        # contending for it made a job stall now and then.
        queue = InlineQueue(app, settings.JOB_MAX_ATTEMPTS, settings.retry_intervals, workers=1)
    return Services(
        settings=settings, db=Database(settings.DATABASE_URL),
        box=SecretBox(settings.encryption_keys), shopify_app=shopify_app, http=http,
        admin=ShopifyAdmin(shopify_app, http, settings.SHOPIFY_API_VERSION,
                           shared=shared_buckets(settings.REDIS_URL)),
        tokens=ShopifyTokens(shopify_app, http), queue=queue,
        carrier=EasyPostCarrier(settings.EASYPOST_API_KEY, settings.EASYPOST_API_BASE,
                                settings.EASYPOST_TIMEOUT),
        mailer=mailer_from_settings(settings),
    )


def shared_buckets(redis_url: str) -> SharedBuckets | None:
    """Shopify's throttle state shared by every worker; short timeouts, as it sits before each
    Shopify call (and a call goes ahead without it)."""
    if not redis_url:
        return None
    from redis import Redis
    return SharedBuckets(Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5))


def services() -> Services:
    return current_app.extensions["orderflow"]


def _expiring(shop: Shop, margin: float) -> bool:
    expires = shop.access_token_expires_at
    if expires is None:
        return False
    return expires - timedelta(seconds=margin) <= datetime.now(UTC)


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


def carrier_for(svc, shop_id: int) -> EasyPostCarrier:
    with svc.db.session() as s:
        row = s.get(ShopSettings, shop_id)
        account = (row.data or {}).get("carrier_account") if row else None
    encrypted = account.get("api_key") if isinstance(account, dict) else None
    if not encrypted:
        return svc.carrier
    conf = svc.settings
    return _client(svc.box.decrypt(encrypted), conf.EASYPOST_API_BASE, conf.EASYPOST_TIMEOUT)


@functools.lru_cache(maxsize=256)
def _client(api_key: str, api_base: str, timeout: float) -> EasyPostCarrier:
    """One client per key and process: it keeps its connections."""
    return EasyPostCarrier(api_key, api_base, timeout)
