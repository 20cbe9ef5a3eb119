"""Redis down, or a worker gone: accepted webhooks wait in PostgreSQL and are processed later."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest
from redis import Redis
from sqlalchemy import text
from werkzeug.serving import make_server

from orderflow import create_app
from orderflow.queue import outbox

from .helpers import drain, events, free_port, orders_by_shopify_id, place, settings_for, waiting
from .webhook_client import post_webhook


def start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen([shutil.which("redis-server"), "--port", str(port),
                               "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL)
    client = Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return server
        except Exception:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def outage_app(database_url, sandbox, app_port):
    """The app on its own Redis, which the test stops and starts."""
    redis_port = free_port()
    app = create_app(settings_for(database_url, sandbox, app_port,
                                  REDIS_URL=f"redis://127.0.0.1:{redis_port}/0"))
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{port}", redis_port
    server.shutdown()


def test_redis_down_during_intake_loses_nothing(outage_app, make_shop, control):
    app, url, redis_port = outage_app
    svc = app.extensions["orderflow"]
    shop = make_shop()
    orders = [place(control, shop, deliver=False) for _ in range(5)]
    answers = [post_webhook(url, shop, "orders/create", o).status_code for o in orders]
    assert answers == [200] * 5, "intake answers without Redis"
    assert outbox.dispatch(svc) == 0 and waiting(svc) == 5
    redis = start_redis(redis_port)
    try:
        drain(app)
    finally:
        redis.terminate()
    got = orders_by_shopify_id(svc)
    assert [got[o["id"]].state for o in orders] == ["ready"] * 5


def test_a_job_lost_with_its_worker_is_enqueued_again_and_runs_once(
        app, svc, make_shop, control, base_url):
    shop = make_shop()
    order = place(control, shop, deliver=False)
    post_webhook(base_url, shop, "orders/create", order)
    assert outbox.dispatch(svc) == 1
    Redis.from_url(svc.settings.REDIS_URL).flushdb()  # the queued job is gone, as with a dead Redis
    with svc.db.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM webhook_deliveries")).scalar() == "queued"
    assert outbox.sweep(svc) == 1
    drain(app)
    assert orders_by_shopify_id(svc)[order["id"]].state == "ready"
    assert events(svc, order["id"]) == ["received", "ready"]
