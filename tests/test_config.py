import pytest

from orderflow.config import ConfigError, load_settings


def test_production_without_its_settings_refuses_to_start_and_names_them():
    with pytest.raises(ConfigError) as failure:
        load_settings(environ={"APP_ENV": "production", "DATABASE_URL": "postgresql://db/x"})
    message = str(failure.value)
    for name in ("REDIS_URL", "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "ENCRYPTION_KEYS", "APP_URL",
                 "CARRIER_WEBHOOK_SECRET", "SMTP_URL"):
        assert name in message
    assert "DATABASE_URL" not in message


def test_production_refuses_sqlite_and_bad_numbers():
    env = {k: "x" for k in ("REDIS_URL", "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "APP_URL",
                            "ENCRYPTION_KEYS", "SECRET_KEY", "EASYPOST_API_KEY",
                            "CARRIER_WEBHOOK_SECRET", "SMTP_URL", "MAIL_FROM")}
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_settings(environ=env | {"APP_ENV": "production", "DATABASE_URL": "sqlite:///x.db"})
    with pytest.raises(ConfigError, match="OUTBOX_BATCH"):
        load_settings(environ={"OUTBOX_BATCH": "many"})


def test_embedded_defaults_need_nothing():
    settings = load_settings(environ={})
    assert settings.DATABASE_URL.startswith("sqlite") and settings.REDIS_URL == ""
