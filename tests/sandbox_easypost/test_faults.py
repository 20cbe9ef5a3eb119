"""The sandbox EasyPost's HTTP faults, latency and timeouts, as the `easypost` client sees them."""

from __future__ import annotations

import time

import easypost
import httpx
import pytest
from easypost.errors import InternalServerError, RateLimitError
from easypost.errors import TimeoutError as EasyPostTimeout

from .helpers import new_shipment


def test_http_faults_map_to_client_errors(client, box):
    box.set_faults(http_429=1)
    with pytest.raises(RateLimitError):
        client.shipment.all()
    box.set_faults(fail_5xx=1)
    with pytest.raises(InternalServerError):
        client.shipment.all()
    client.shipment.all()  # counters are used up
    httpx.post(f"{box.url}/sandbox/faults", json={"http_429": 1, "path_contains": "/buy"})
    client.shipment.all()  # not a buy: untouched
    assert httpx.get(f"{box.url}/sandbox/faults").json()["http_429"] == 1
    httpx.delete(f"{box.url}/sandbox/faults")


def test_latency_and_timeout_faults(box):
    client = easypost.EasyPostClient("EZTKslow", api_base=f"{box.url}/v2", timeout=0.5)
    start = time.monotonic()
    client.shipment.all()
    quick = time.monotonic() - start
    box.set_faults(latency_ms=300)
    start = time.monotonic()
    client.shipment.all()
    assert time.monotonic() - start >= 0.3 > quick
    box.set_faults(latency_ms=0, timeout=1, timeout_s=2)
    client.shipment.all()  # the client's HTTPAdapter(max_retries=3) re-sends a timed-out GET
    box.set_faults(timeout=1)
    with pytest.raises(EasyPostTimeout):  # ... but never a POST
        new_shipment(client)
    assert box.stats()["faults"]["timeout"] == 0
