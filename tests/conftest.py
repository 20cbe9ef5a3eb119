"""Real PostgreSQL (a throwaway database per run), real Redis, the sandbox Shopify over HTTP.

Fixtures only: the helpers they build on, which tests import too, are in tests/helpers.py.
"""

from __future__ import annotations

import os
import threading
import uuid

import httpx
import psycopg
import pytest
from redis import Redis
from sqlalchemy import text
from werkzeug.serving import make_server

from orderflow import create_app
from orderflow.db.migrate import upgrade
from orderflow.db.models import Shop, ShopSettings

from .helpers import (
    API_KEY,
    API_SECRET,
    CARRIER_WEBHOOK_SECRET,
    REDIS_URL,
    drain,
    free_port,
    session_token,
    settings_for,
)

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TABLES = "order_events, line_items, orders, customers, data_requests, webhook_deliveries, shops"


@pytest.fixture(scope="session")
def database_url():
    name = f"orderflow_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url.replace("postgresql://", "postgresql+psycopg://")
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app_port():
    return free_port()


@pytest.fixture(scope="session")
def sandbox(app_port):
    from orderflow.sandbox.shopify import SandboxShopify
    box = SandboxShopify(API_KEY, API_SECRET,
                         app_webhooks_uri=f"http://127.0.0.1:{app_port}/webhooks/shopify",
                         time_scale=0.001).start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def carrier(app_port):
    from orderflow.sandbox.easypost import SandboxEasyPost
    box = SandboxEasyPost(webhook_url=f"http://127.0.0.1:{app_port}/webhooks/easypost",
                          webhook_secret=CARRIER_WEBHOOK_SECRET, time_scale=0).start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def app(database_url, sandbox, carrier, app_port, smtp_server):
    app = create_app(settings_for(database_url, sandbox, app_port, carrier,
                                  SMTP_URL=smtp_server.url,
                                  CARRIER_WEBHOOK_SECRET=CARRIER_WEBHOOK_SECRET))
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app
    server.shutdown()


@pytest.fixture
def svc(app):
    return app.extensions["orderflow"]


@pytest.fixture(autouse=True)
def clean(request):
    if "app" not in request.fixturenames and "svc" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    svc = app.extensions["orderflow"]
    with svc.db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    Redis.from_url(REDIS_URL).flushdb()
    yield


@pytest.fixture
def base_url(app_port):
    return f"http://127.0.0.1:{app_port}"


@pytest.fixture
def control(sandbox):
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        yield client
        client.delete("/sandbox/faults")


@pytest.fixture
def make_shop(control, base_url, app):
    """A sandbox shop with the app installed through token exchange and its first sync done.

    `automation="off"` keeps ready orders at ready (intake tests); shipping tests pass "buy".
    """
    svc = app.extensions["orderflow"]

    def make(name: str | None = None, automation: str = "off", **settings) -> str:
        domain = f"{name or 'shop-' + uuid.uuid4().hex[:8]}.myshopify.com"
        control.post("/sandbox/shops", json={"domain": domain}).raise_for_status()
        response = httpx.get(f"{base_url}/api/orders",
                             headers={"Authorization": f"Bearer {session_token(domain)}"})
        assert response.status_code == 200, response.text
        with svc.db.session() as s, s.begin():
            shop = s.query(Shop).filter_by(domain=domain).one()
            s.add(ShopSettings(shop_id=shop.id, data={"automation": automation, **settings}))
        drain(app)
        return domain
    return make


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (Debian's, see tests/browser.py)."""
    from playwright.sync_api import sync_playwright

    from .browser import launch
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on loopback (tests/smtp.py); tests call `clear()` before using it."""
    from .smtp import SmtpServer
    server = SmtpServer().start()
    yield server
    server.stop()
