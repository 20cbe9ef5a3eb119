"""POST /webhooks/shopify: verify, skip a duplicate, record, answer. One durable write.

The recorded row is an outbox entry; the clock's dispatcher enqueues it after this commit, so
neither Redis nor a worker sits on the request path, and nothing accepted can be lost.

The body is parsed here only to refuse what is not a JSON object, with orjson: on this hot path
the standard library's parser cost a twentieth of the request. The job parses the stored body
again with the standard library, which keeps every integer exact.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from flask import jsonify, request
from sqlalchemy import DateTime, bindparam, text

from ..integrations.shopify.oauth import valid_shop_domain
from ..queue.topics import COMPLIANCE_TOPICS, TOPICS
from ..services import services
from . import bp

_RECORD = text("""
    INSERT INTO webhook_deliveries
        (shop_id, webhook_id, topic, api_version, triggered_at, received_at, resource_id,
         payload, status, attempts)
    SELECT id, :webhook_id, :topic, :api_version, :triggered_at, CURRENT_TIMESTAMP, :resource_id,
           :payload, 'pending', 0
    FROM shops WHERE domain = :shop AND (access_token IS NOT NULL OR :any_shop)
    ON CONFLICT (shop_id, webhook_id) DO NOTHING
    RETURNING id
""").bindparams(bindparam("triggered_at", type_=DateTime(timezone=True)))
_SHOP = text("SELECT access_token IS NOT NULL FROM shops WHERE domain = :shop")


def _refuse(status: int, reason: str):
    return jsonify(error=reason), status


def _time(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC) if moment else None


def _resource_id(topic: str, payload: dict) -> int | None:
    value = ((payload.get("customer") or {}).get("id") if topic.startswith("customers/")
             else payload.get("id"))
    exact = isinstance(value, int) and not isinstance(value, bool)
    return value if exact and value < 2**63 else None


@bp.post("/shopify")
def shopify():
    svc = services()
    raw = request.get_data(cache=False)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(400, "the body is not UTF-8")
    verdict = svc.shopify_app.verify_webhook_req(
        {"method": "POST", "headers": dict(request.headers), "url": request.url, "body": body})
    if not verdict.ok:
        return _refuse(verdict.response.status, verdict.log.code)
    headers = request.headers
    topic, webhook_id = headers.get("X-Shopify-Topic"), headers.get("X-Shopify-Webhook-Id")
    shop = headers.get("X-Shopify-Shop-Domain")
    if not topic or not webhook_id or not shop:
        return _refuse(400, "X-Shopify-Topic, X-Shopify-Webhook-Id and X-Shopify-Shop-Domain are "
                            "required")
    if not valid_shop_domain(shop) or len(webhook_id) > 64:
        return _refuse(400, "X-Shopify-Shop-Domain or X-Shopify-Webhook-Id is malformed")
    if topic not in TOPICS:
        return jsonify(ignored=f"topic {topic} is not one this app handles"), 200
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _refuse(400, "the body is not valid JSON")
    if not isinstance(payload, dict):
        return _refuse(400, "the body is not a JSON object")
    return _record(svc, shop, topic, webhook_id, body, payload)


def _record(svc, shop: str, topic: str, webhook_id: str, body: str, payload: dict):
    params = {
        "shop": shop, "webhook_id": webhook_id, "topic": topic, "payload": body,
        "api_version": request.headers.get("X-Shopify-API-Version", "")[:16] or None,
        "triggered_at": _time(request.headers.get("X-Shopify-Triggered-At")),
        "resource_id": _resource_id(topic, payload),
        "any_shop": topic in COMPLIANCE_TOPICS,
    }
    with svc.db.engine.begin() as conn:
        if conn.execute(_RECORD, params).first() is not None:
            return "", 200
        installed = conn.execute(_SHOP, {"shop": shop}).scalar()
    if installed is None and topic in COMPLIANCE_TOPICS:
        return jsonify(ignored="we hold no data for this shop"), 200
    if not installed and topic not in COMPLIANCE_TOPICS:
        if topic == "app/uninstalled" and installed is not None:
            return jsonify(ignored="already uninstalled"), 200
        return _refuse(401, f"{shop} has not installed this app")
    return jsonify(duplicate=webhook_id), 200
