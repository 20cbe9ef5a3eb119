"""Admin GraphQL through Shopify's `shopifyapp` package, within Shopify's cost-based rate limit.

Every answer carries `extensions.cost.throttleStatus`; we remember it per shop and, before the
next request, wait just long enough for the bucket to hold what that operation last requested,
rather than sending blindly and being THROTTLED. A THROTTLED answer is waited out and retried.
With `shared` (Redis, see throttle.py) every worker process sees the same bucket; without it (the
embedded mode) each process keeps its own view.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass

import httpx
from shopify_app import ShopifyApp

from .errors import ShopifyAuthError, ShopifyQueryError, ShopifyUnavailable
from .throttle import Observation, SharedBuckets

_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")
_DEFAULT_COST = 50.0


@dataclass
class Bucket:
    available: float
    maximum: float
    restore_rate: float
    seen_at: float

    def available_at(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.seen_at) * self.restore_rate)


def shop_name(shop_domain: str) -> str:
    return shop_domain.removesuffix(".myshopify.com")


class ShopifyAdmin:
    def __init__(self, app: ShopifyApp, http: httpx.Client, api_version: str,
                 max_throttle_wait: float = 20.0, sleep=time.sleep,
                 shared: SharedBuckets | None = None):
        self._app = app
        self._http = http
        self._version = api_version
        self._max_wait = max_throttle_wait
        self._sleep = sleep
        self._shared = shared
        self._buckets: dict[str, Bucket] = {}
        self._unshared: dict[str, Observation] = {}  # newest status per shop, not yet in Redis
        self._requested: dict[str, float] = {}
        self._spent: dict[str, float] = {}
        self._lock = threading.Lock()

    def graphql(self, shop_domain: str, access_token: str, query: str,
                variables: dict | None = None) -> dict:
        operation = _operation_name(query)
        waited = 0.0
        while True:
            waited += self._wait_for_budget(shop_domain, operation)
            sent = time.monotonic()
            body = self._send(shop_domain, access_token, query, variables)
            cost = (body.get("extensions") or {}).get("cost") or {}
            self._remember(shop_domain, operation, cost, sent)
            errors = body.get("errors")
            if not errors:
                return body.get("data") or {}
            if not _throttled(errors):
                raise ShopifyQueryError(f"{operation}: " + _messages(errors))
            pause = self._deficit_seconds(shop_domain, cost.get("requestedQueryCost"))
            if waited + pause > self._max_wait:
                raise ShopifyUnavailable(f"{operation}: Shopify is still throttling this shop")
            self._sleep(pause)
            waited += pause

    def _send(self, shop_domain, access_token, query, variables) -> dict:
        result = self._app.admin_graphql_request(
            query, shop=shop_name(shop_domain), access_token=access_token,
            api_version=self._version, variables=variables, max_retries=2,
            http_client=self._http,
        )
        status, code = result.response.status, result.log.code
        if result.ok or code == "graphql_errors":
            try:
                return json.loads(result.response.body or "{}")
            except ValueError:
                raise ShopifyUnavailable("Shopify answered with a body that is not JSON") from None
        if status == 401 or code == "unauthorized":
            raise ShopifyAuthError(f"Shopify refused the access token of {shop_domain}")
        if code == "network_error" or status == 429 or status >= 500 or status == 0:
            raise ShopifyUnavailable(f"Shopify is unavailable ({code}, HTTP {status})")
        raise ShopifyQueryError(f"Shopify rejected the request ({code}, HTTP {status})")

    def _remember(self, shop_domain: str, operation: str, cost: dict, sent: float) -> None:
        status = cost.get("throttleStatus")
        with self._lock:
            if cost.get("requestedQueryCost") is not None:
                self._requested[operation] = float(cost["requestedQueryCost"])
            if cost.get("actualQueryCost") is not None:
                self._spent[operation] = float(cost["actualQueryCost"])
            if status:
                now = time.monotonic()
                self._buckets[shop_domain] = Bucket(
                    float(status["currentlyAvailable"]), float(status["maximumAvailable"]),
                    float(status["restoreRate"]), now,
                )
                self._unshared[shop_domain] = Observation(
                    float(status["currentlyAvailable"]), float(status["maximumAvailable"]),
                    float(status["restoreRate"]), now, sent, operation,
                    _number(cost.get("requestedQueryCost")), _number(cost.get("actualQueryCost")))

    def _deficit_seconds(self, shop_domain: str, needed) -> float:
        with self._lock:
            bucket = self._buckets.get(shop_domain)
        if bucket is None or bucket.restore_rate <= 0:
            return 1.0
        needed = min(float(needed or _DEFAULT_COST), bucket.maximum)
        missing = needed - bucket.available_at(time.monotonic())
        return max(missing / bucket.restore_rate, 0.05)

    def _wait_for_budget(self, shop_domain: str, operation: str) -> float:
        with self._lock:
            needed = self._requested.get(operation)
            spend = self._spent.get(operation, needed)
            news = self._unshared.pop(shop_domain, None)
        pause = None
        if self._shared is not None:
            pause = self._shared.reserve(shop_domain, operation, needed, spend, news)
        if pause is None:
            pause = self._own_estimate(shop_domain, needed or _DEFAULT_COST)
        pause = min(pause, self._max_wait)
        if pause > 0:
            self._sleep(pause)
        return pause

    def _own_estimate(self, shop_domain: str, needed: float) -> float:
        with self._lock:
            bucket = self._buckets.get(shop_domain)
        if bucket is None or bucket.available_at(time.monotonic()) >= needed:
            return 0.0
        return self._deficit_seconds(shop_domain, needed)


def _number(value) -> float | None:
    return None if value is None else float(value)


def _operation_name(query: str) -> str:
    match = _OPERATION.match(query)
    return match.group(1) if match else "anonymous"


def _throttled(errors) -> bool:
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors
    )


def _messages(errors) -> str:
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e)
                         for e in errors)
    return str(errors)
