"""The sandbox Shopify as the benchmarks run it in their own process, and a meter of its GraphQL.

Nothing of the app is imported until a function is called.
"""

from __future__ import annotations

import re
import threading
import time
from typing import NamedTuple

from bench.common import API_KEY, API_SECRET


def start_shopify(app_url: str, **throttle: float):
    """The sandbox Shopify, sending the app's webhooks to `<app_url>/webhooks/shopify`, its
    clock 1,000 times faster; `throttle_max` / `throttle_restore` set the GraphQL bucket."""
    from orderflow.sandbox.shopify import SandboxShopify

    return SandboxShopify(API_KEY, API_SECRET, app_webhooks_uri=f"{app_url}/webhooks/shopify",
                          time_scale=0.001, **throttle).start()


class Call(NamedTuple):
    """One Admin GraphQL answer of the sandbox."""

    at: float  # time.monotonic() after the answer
    shop: str
    operation: str
    requested: int | None  # the requested cost
    actual: int | None  # the actual cost, what the bucket was charged
    throttled: bool
    bucket_before: float | None  # the shop's bucket before the call (with `bucket=True`)


class GraphqlMeter:
    """Every Admin GraphQL answer of the in-process sandbox, with its costs.

    It wraps the sandbox's `execute`, which its admin blueprint looks up at call time. With
    `bucket`, it also reads the shop's bucket before each call (under the sandbox's lock).
    """

    _NAME = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")

    def __init__(self, bucket: bool = False):
        self.bucket = bucket
        self.lock = threading.Lock()
        self.calls: list[Call] = []

    def install(self) -> None:
        import orderflow.sandbox.shopify.admin as sandbox_admin

        original = sandbox_admin.execute

        def metered(ctx, body):
            before = None
            if self.bucket:
                with ctx.core.store.lock:
                    before = ctx.core.store.bucket(ctx.shop.domain).available()
            answer = original(ctx, body)
            try:
                self._note(ctx.shop.domain, body, answer, before)
            except Exception:  # noqa: BLE001 - a meter must never break the sandbox
                pass
            return answer

        sandbox_admin.execute = metered

    def _note(self, shop: str, body: dict, answer: dict, before: float | None) -> None:
        match = self._NAME.match(body.get("query") or "")
        name = match.group(1) if match else body.get("operationName") or "anonymous"
        cost = (answer.get("extensions") or {}).get("cost") or {}
        throttled = any((e.get("extensions") or {}).get("code") == "THROTTLED"
                        for e in answer.get("errors") or [] if isinstance(e, dict))
        call = Call(time.monotonic(), shop, name, cost.get("requestedQueryCost"),
                    cost.get("actualQueryCost"), throttled, before)
        with self.lock:
            self.calls.append(call)

    def rows(self, shop: str | None = None, since: float = 0.0,
             until: float = float("inf")) -> list[Call]:
        """The calls of `shop` (of every shop when None) answered between `since` and `until`."""
        with self.lock:
            return [c for c in self.calls
                    if (shop is None or c.shop == shop) and since <= c.at <= until]
