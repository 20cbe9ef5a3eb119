"""A sandbox EasyPost of these tests' own on loopback, its webhook receiver, and a real
`easypost` client for it; both are reset after every test.
"""

from __future__ import annotations

import easypost
import pytest

from orderflow.sandbox.easypost import SandboxEasyPost

from .helpers import SECRET, Receiver


@pytest.fixture(scope="module")
def receiver():
    rec = Receiver()
    yield rec
    rec.server.shutdown()


@pytest.fixture(scope="module")
def box(receiver):
    # time_scale=0: the clock only moves through advance_trackers(); retries come fast.
    sandbox = SandboxEasyPost(webhook_url=receiver.url, webhook_secret=SECRET, time_scale=0).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(autouse=True)
def clean(request, box, receiver):
    yield
    box.clear_faults()
    box.wait_webhooks_idle(5)
    with receiver.lock:
        receiver.received.clear()
        receiver.fail_next = 0


@pytest.fixture
def client(box):
    return easypost.EasyPostClient("EZTK_test_key", api_base=f"{box.url}/v2", timeout=5)
