"""The app's collaborators, built once per app by the factory and found through `services()`."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from flask import current_app
from shopify_app import ShopifyApp

from .config import Settings
from .db import Database
from .integrations.easypost.client import EasyPostCarrier
from .integrations.shopify.admin import ShopifyAdmin
from .integrations.shopify.throttle import SharedBuckets
from .integrations.shopify.tokens import ShopifyTokens
from .integrations.shopify.transport import make_http_client
from .secrets import SecretBox


@dataclass
class Services:
    settings: Settings
    db: Database
    box: SecretBox
    shopify_app: ShopifyApp
    http: httpx.Client
    admin: ShopifyAdmin
    tokens: ShopifyTokens
    queue: object  # RQQueue or InlineQueue
    carrier: EasyPostCarrier
    mailer: object  # SmtpMailer, or FolderMailer in the embedded mode

    @property
    def webhook_uri(self) -> str:
        return self.settings.APP_URL.rstrip("/") + "/webhooks/shopify"


def build_services(settings: Settings, app) -> Services:
    from .emails.send import mailer_from_settings
    from .queue import InlineQueue, RQQueue

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
