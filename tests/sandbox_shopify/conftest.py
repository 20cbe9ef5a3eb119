"""A sandbox Shopify of these tests' own, on loopback, and a webhook receiver it delivers to."""

from __future__ import annotations

import pytest

from .helpers import Receiver, Shop, start_sandbox


@pytest.fixture(scope="module")
def receiver():
    rec = Receiver()
    yield rec
    rec.server.shutdown()


@pytest.fixture(scope="module")
def sandbox(receiver):
    sb = start_sandbox(receiver)
    yield sb
    sb.stop()


@pytest.fixture
def shop(sandbox):
    return Shop(sandbox)
