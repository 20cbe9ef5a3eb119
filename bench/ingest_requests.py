"""bench/webhook_ingest.py's requests: one sandbox order cloned into distinct signed webhooks.

Request files, one per generator thread, hold (8 ASCII digits of length, the raw HTTP request)
repeated; bench/loadgen.py and bench/wrk.py replay them.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.common import API_SECRET
from orderflow.sandbox.shopify.util import hmac_b64

API_VERSION = "2026-10"
SHOP = "bench-ingest.myshopify.com"
ORDER_ID_BASE = 5_000_000_000_000_000  # cloned order ids: far from the sandbox's own ids, < 2**63


class Payloads:
    """One real sandbox order document turned into a template of distinct clones.

    Each clone gets its own order id, admin_graphql_api_id, name/number, line item ids and customer
    id (so no two orders share a customer row), and a `note` pads the body to at least `min_size`.
    """

    def __init__(self, document: dict, min_size: int = 5000):
        doc = copy.deepcopy(document)
        doc["id"] = "@ORDER@"
        doc["admin_graphql_api_id"] = "gid://shopify/Order/@ORDER@"
        doc["name"] = "#@NUMBER@"
        doc["order_number"] = "@NUMBER@"
        doc["number"] = "@NUMBER@"
        self.lines = len(doc.get("line_items") or [])
        for k, item in enumerate(doc.get("line_items") or []):
            item["id"] = f"@LINE{k}@"
            item["admin_graphql_api_id"] = f"gid://shopify/LineItem/@LINE{k}@"
        customer = doc.get("customer")
        if isinstance(customer, dict):
            customer["id"] = "@CUSTOMER@"
            customer["admin_graphql_api_id"] = "gid://shopify/Customer/@CUSTOMER@"
            if isinstance(customer.get("default_address"), dict):
                customer["default_address"]["customer_id"] = "@CUSTOMER@"
        self.template = self._template(doc)
        size = len(self.body(0))
        if size < min_size:
            doc["note"] = ("Leave the parcel at the back door, please. "
                           * ((min_size - size) // 44 + 1))
            self.template = self._template(doc)

    def _template(self, doc: dict) -> str:
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        # Numbers go in bare (the placeholder's quotes go); inside gids they stay in the string.
        for name in ["ORDER", "NUMBER", "CUSTOMER"] + [f"LINE{k}" for k in range(self.lines)]:
            text = text.replace(f'"@{name}@"', f"@{name}@")
        return text

    def body(self, n: int) -> bytes:
        order = str(ORDER_ID_BASE + n)
        text = (self.template.replace("@ORDER@", order).replace("@NUMBER@", str(1000 + n))
                .replace("@CUSTOMER@", order))
        for k in range(self.lines):
            text = text.replace(f"@LINE{k}@", str(ORDER_ID_BASE + 16 * n + k + 8))
        return text.encode()


class RequestMaker:
    """Signed `orders/create` requests with the headers Shopify sends, each a new clone."""

    def __init__(self, payloads: Payloads, port: int):
        self.payloads = payloads
        self.host = f"127.0.0.1:{port}"
        self.next_order = 1

    def request(self, path: str, webhook_id: str) -> bytes:
        body = self.payloads.body(self.next_order)
        self.next_order += 1
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        head = (
            f"POST {path} HTTP/1.1\r\n"
            f"Host: {self.host}\r\n"
            "User-Agent: Shopify-Captain-Hook\r\n"
            "Accept: */*\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "X-Shopify-Topic: orders/create\r\n"
            f"X-Shopify-Hmac-Sha256: {hmac_b64(API_SECRET, body)}\r\n"
            f"X-Shopify-Shop-Domain: {SHOP}\r\n"
            f"X-Shopify-Webhook-Id: {webhook_id}\r\n"
            f"X-Shopify-Event-Id: {uuid.uuid4()}\r\n"
            f"X-Shopify-API-Version: {API_VERSION}\r\n"
            f"X-Shopify-Triggered-At: {now}\r\n"
            "\r\n"
        )
        return head.encode() + body

    def write_phase(self, directory: Path, phase: str, path: str, count: int,
                    threads: int) -> list[list[str]]:
        """One request file per generator thread; returns each thread's webhook ids, in order."""
        ids: list[list[str]] = []
        per = -(-count // threads)
        for t in range(1, threads + 1):
            mine = [str(uuid.uuid4()) for _ in range(per)]
            with open(directory / f"{phase}.{t}.req", "wb", buffering=1 << 20) as out:
                for webhook_id in mine:
                    raw = self.request(path, webhook_id)
                    out.write(b"%08d" % len(raw))
                    out.write(raw)
            ids.append(mine)
        return ids
