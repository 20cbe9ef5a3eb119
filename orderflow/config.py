"""Every setting the app reads, from the environment, each with its embedded default.

The defaults run the embedded demo: SQLite, an in-process queue, the sandbox Shopify. In production
(`APP_ENV=production`) the settings marked required must be set, or the app refuses to start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace

# Development only: production refuses to start without its own ENCRYPTION_KEYS and SECRET_KEY.
_DEV_ENCRYPTION_KEY = "ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="
_DEV_SECRET_KEY = "dev-only-secret-key"

REQUIRED_IN_PRODUCTION = (
    "DATABASE_URL", "REDIS_URL", "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "APP_URL",
    "ENCRYPTION_KEYS", "SECRET_KEY", "EASYPOST_API_KEY", "CARRIER_WEBHOOK_SECRET", "SMTP_URL",
    "MAIL_FROM",
)


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    # "development" (embedded demo), "test" or "production"
    APP_ENV: str = "development"
    # SQLAlchemy URL; PostgreSQL in production (postgresql+psycopg://...)
    DATABASE_URL: str = "sqlite:///instance/orderflow.db"
    # Redis for RQ; empty: an in-process queue and worker (embedded mode only)
    REDIS_URL: str = ""
    # The app's public base URL: OAuth redirects and webhook subscriptions point here
    APP_URL: str = "http://127.0.0.1:5000"
    # Shopify app credentials (client id and secret), and the previous secret during rotation
    SHOPIFY_API_KEY: str = "sandbox-client-id"
    SHOPIFY_API_SECRET: str = "sandbox-client-secret"
    SHOPIFY_API_SECRET_OLD: str = ""
    # The pinned Admin API version
    SHOPIFY_API_VERSION: str = "2026-10"
    # Access scopes the app asks for
    SHOPIFY_SCOPES: str = (
        "read_orders,read_fulfillments,read_inventory,read_locations,read_products"
    )
    # Base URL of the sandbox Shopify; every *.myshopify.com request goes there when set
    SHOPIFY_SANDBOX_URL: str = ""
    # Seconds before an outbound Shopify call gives up
    SHOPIFY_TIMEOUT: float = 10.0
    # The carrier API (EasyPost): key, base URL (the sandbox's in the demo and tests), timeout
    EASYPOST_API_KEY: str = "EZTK-sandbox-key"
    EASYPOST_API_BASE: str = "https://api.easypost.com/v2"
    EASYPOST_TIMEOUT: float = 20.0
    # Comma-separated Fernet keys encrypting secrets at rest; the first encrypts, all decrypt
    ENCRYPTION_KEYS: str = _DEV_ENCRYPTION_KEY
    # Signs the OAuth state cookie
    SECRET_KEY: str = _DEV_SECRET_KEY
    # Outbox: rows enqueued per dispatcher batch, and seconds between empty polls
    OUTBOX_BATCH: int = 500
    OUTBOX_POLL_SECONDS: float = 0.2
    # Seconds after which a queued delivery that no job finished is enqueued again
    OUTBOX_LEASE_SECONDS: float = 300.0
    # Seconds between reconciler passes per shop, and the overlap each pass re-reads
    RECONCILE_INTERVAL_SECONDS: float = 300.0
    RECONCILE_OVERLAP_SECONDS: float = 120.0
    # Days of past orders the first reconciler pass of a new install reads
    RECONCILE_BACKFILL_DAYS: int = 7
    # Seconds a label purchase is leased to one run; above buy_label's 120 s job timeout
    PURCHASE_LEASE_SECONDS: float = 180.0
    # Seconds a ready order or a bought label waits for its job before the clock enqueues it again
    SHIPPING_SETTLE_SECONDS: float = 120.0
    # Refresh an expiring access token this many seconds before it lapses
    TOKEN_REFRESH_MARGIN_SECONDS: float = 300.0
    # Attempts of a job before it fails for good, and the seconds between attempts
    JOB_MAX_ATTEMPTS: int = 5
    JOB_RETRY_SECONDS: str = "2,10,30,120,600"
    # The carrier's webhook secret: tracker webhooks without its X-Hmac-Signature are refused
    CARRIER_WEBHOOK_SECRET: str = "sandbox-carrier-webhook-secret"
    # Seconds without tracking news after which a parcel is polled through the carrier API
    TRACKING_POLL_SECONDS: float = 21600.0
    # Days without movement after which a parcel in transit raises an alert for the merchant
    TRACKING_STALLED_DAYS: float = 5.0
    # Customer and merchant emails: an SMTP URL (smtp://user:pass@host:587?starttls=true, or
    # smtps://...), or empty to write each message as an .eml file into MAIL_DIR
    SMTP_URL: str = ""
    MAIL_DIR: str = "instance/mail"
    # The sender of every email; the shop's name is shown as the display name
    MAIL_FROM: str = "shipping@orderflow.localhost"
    # Run the in-process clock (outbox dispatcher, sweeper, reconciler) inside the web process
    EMBEDDED_CLOCK: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.APP_ENV == "production"

    @property
    def retry_intervals(self) -> tuple[int, ...]:
        return tuple(int(x) for x in self.JOB_RETRY_SECONDS.split(",") if x.strip()) or (0,)

    @property
    def encryption_keys(self) -> list[str]:
        return [k.strip() for k in self.ENCRYPTION_KEYS.split(",") if k.strip()]


def _coerce(name: str, raw: str, default):
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a valid {type(default).__name__}") from None
    return raw


def load_settings(overrides: dict | None = None, environ=None) -> Settings:
    """Settings from the environment, then `overrides` (tests pass theirs here)."""
    environ = os.environ if environ is None else environ
    base = Settings()
    values = {}
    for f in fields(Settings):
        if f.name in environ and f.name != "extra":
            values[f.name] = _coerce(f.name, environ[f.name], getattr(base, f.name))
    settings = replace(base, **values, **(overrides or {}))
    check(settings, explicit=set(values) | set(overrides or {}))
    return settings


def check(settings: Settings, explicit: set[str]) -> None:
    if settings.APP_ENV not in ("development", "test", "production"):
        raise ConfigError(
            f"APP_ENV must be development, test or production, not {settings.APP_ENV!r}"
        )
    if not settings.production:
        return
    missing = [name for name in REQUIRED_IN_PRODUCTION if name not in explicit]
    if missing:
        raise ConfigError(
            "Production needs these settings in the environment: " + ", ".join(missing)
            + ". See the README's Configuration section."
        )
    if settings.DATABASE_URL.startswith("sqlite"):
        raise ConfigError("DATABASE_URL must point at PostgreSQL in production, not SQLite")
