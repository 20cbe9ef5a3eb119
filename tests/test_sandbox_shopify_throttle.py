"""Shopify's cost bucket seen alike by every worker process (through Redis), against the sandbox's
throttle over real HTTP. Each `ShopifyAdmin` here stands for one worker process."""

from __future__ import annotations

import os
import threading
import time

import httpx
import pytest
from redis import Redis
from shopify_app import ShopifyApp

from orderflow.integrations.shopify import queries
from orderflow.integrations.shopify.admin import ShopifyAdmin
from orderflow.integrations.shopify.throttle import SharedBuckets
from orderflow.integrations.shopify.transport import make_http_client
from orderflow.sandbox.shopify import SandboxShopify

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
VERSION = "2026-10"


@pytest.fixture
def small_bucket():
    """A shop whose bucket holds 300 points and gets 200 back a second."""
    box = SandboxShopify("id", "shpss_" + "5e" * 16, throttle_max=300.0,
                         throttle_restore=200.0).start()
    control = httpx.Client(base_url=box.url, timeout=10)
    domain = "throttle-test.myshopify.com"
    info = control.post("/sandbox/shops", json={"domain": domain}).json()
    token = control.post(f"/sandbox/shops/{domain}/access-token", json={}).json()["access_token"]
    Redis.from_url(REDIS_URL).flushdb()
    yield box, control, domain, token, info
    control.close()
    box.stop()


class Process:
    """A worker process's Shopify client: its own view of the bucket, sleeps it records."""

    def __init__(self, sandbox_url: str, shared: SharedBuckets | None):
        self.slept: list[float] = []
        self.admin = ShopifyAdmin(ShopifyApp(client_id="id", client_secret="s" * 32),
                                  make_http_client(sandbox_url), VERSION, sleep=self.sleep,
                                  shared=shared)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        time.sleep(seconds)


def inventory_query(info: dict, items: int) -> dict:
    """InventoryAtLocation costs 3 points an item, requested and actual alike."""
    item = info["variants"][0]["inventory_item_gid"]
    return {"ids": [item] * items, "locationId": info["locations"][0]["admin_graphql_api_id"]}


def shared() -> SharedBuckets:
    return SharedBuckets(Redis.from_url(REDIS_URL, socket_timeout=0.5))


def test_a_process_waits_for_points_another_process_spent(small_bucket):
    box, control, domain, token, info = small_bucket
    first, second = Process(box.url, shared()), Process(box.url, shared())
    variables = inventory_query(info, 60)  # 180 of the 300 points
    first.admin.graphql(domain, token, queries.INVENTORY_AT_LOCATION, variables)
    first.admin.graphql(domain, token, queries.INVENTORY_AT_LOCATION, variables)
    assert first.slept and first.slept[0] > 0.15, "its own view made it wait for the second"

    second.admin.graphql(domain, token, queries.INVENTORY_AT_LOCATION, variables)
    assert second.slept and second.slept[0] > 0.5, "it never saw the bucket, Redis told it"
    assert control.get(f"/sandbox/shops/{domain}/api-usage").json()["throttled"] == 0


def test_workers_sharing_the_bucket_are_not_throttled_in_a_burst(small_bucket):
    box, control, domain, token, info = small_bucket
    variables = inventory_query(info, 20)  # 60 points each: five fit in the bucket at once
    processes = [Process(box.url, shared()) for _ in range(4)]
    for process in processes:  # each learns what the query costs
        process.admin.graphql(domain, token, queries.INVENTORY_AT_LOCATION, variables)

    def burst(process: Process) -> None:
        for _ in range(3):
            process.admin.graphql(domain, token, queries.INVENTORY_AT_LOCATION, variables)
    threads = [threading.Thread(target=burst, args=(p,)) for p in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = control.get(f"/sandbox/shops/{domain}/api-usage").json()
    assert usage["operations"]["InventoryAtLocation"] == 16
    assert usage["throttled"] == 0, usage


def test_shopify_calls_go_on_when_redis_is_down(small_bucket):
    box, control, domain, token, info = small_bucket
    redis = _CountingRedis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2,
                                    socket_connect_timeout=0.2)
    process = Process(box.url, SharedBuckets(redis))
    for _ in range(3):
        data = process.admin.graphql(domain, token, queries.SHOP_INFO)
        assert data["shop"]["myshopifyDomain"] == domain
    assert redis.commands == 1, "Redis is tried once, then left alone for a while"


class _CountingRedis(Redis):
    """A client that counts the commands it was asked to send (a real one; nothing is faked)."""

    commands = 0

    def execute_command(self, *args, **options):
        self.commands += 1
        return super().execute_command(*args, **options)
