"""Signed webhook requests the way Shopify sends them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

import httpx

from .helpers import API_SECRET


def sign(body: bytes, secret: str = API_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post_webhook(base_url: str, shop: str, topic: str, payload, *, secret: str = API_SECRET,
                 webhook_id: str | None = None, body: bytes | None = None,
                 headers: dict | None = None) -> httpx.Response:
    body = body if body is not None else json.dumps(payload).encode()
    sent = {
        "Content-Type": "application/json", "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret), "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-10", "X-Shopify-Triggered-At": "2026-11-25T10:00:00Z",
    }
    sent.update(headers or {})
    return httpx.post(f"{base_url}/webhooks/shopify", content=body,
                      headers={k: v for k, v in sent.items() if v is not None}, timeout=30)
