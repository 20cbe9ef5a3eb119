"""POST /webhooks/easypost: verify the carrier's signature, skip a duplicate, record, answer.

A tracker event is recorded like a Shopify webhook, in the same outbox table: the shop is the
one whose parcel carries the tracking code, the event's id is the dedupe key, and the clock's
dispatcher enqueues it after this commit. An event for a tracker we do not know (another app on
the same carrier account, or a label whose purchase we have not committed yet) is answered 200
and dropped: the tracking poll reads the tracker's whole history later, so nothing is lost.
"""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import text

from ..integrations.easypost.client import validate_webhook
from ..integrations.easypost.errors import CarrierResponseError, WebhookSignatureError
from ..queue.topics import CARRIER_TOPICS
from ..services import services
from . import bp

_RECORD = text("""
    INSERT INTO webhook_deliveries
        (shop_id, webhook_id, topic, received_at, resource_id, payload, status, attempts)
    SELECT p.shop_id, :event_id, :topic, CURRENT_TIMESTAMP, p.id, :payload, 'pending', 0
    FROM parcels p JOIN shops s ON s.id = p.shop_id
    WHERE p.tracking_code = :code AND p.bought_at IS NOT NULL AND s.access_token IS NOT NULL
    ORDER BY p.id DESC LIMIT 1
    ON CONFLICT (shop_id, webhook_id) DO NOTHING
    RETURNING id
""")
_KNOWN = text("SELECT 1 FROM parcels WHERE tracking_code = :code AND bought_at IS NOT NULL LIMIT 1")


@bp.post("/easypost")
def easypost():
    svc = services()
    raw = request.get_data(cache=False)
    try:
        event = validate_webhook(raw, request.headers, svc.settings.CARRIER_WEBHOOK_SECRET)
    except WebhookSignatureError as exc:
        return jsonify(error=str(exc)), 401
    except CarrierResponseError as exc:
        return jsonify(error=str(exc)), 400
    topic, event_id = event.get("description"), event.get("id")
    if topic not in CARRIER_TOPICS:
        return jsonify(ignored=f"event {topic!r} is not one this app handles"), 200
    result = event.get("result")
    code = result.get("tracking_code") if isinstance(result, dict) else None
    if not isinstance(event_id, str) or not event_id or len(event_id) > 64:
        return jsonify(error="the event has no usable id"), 400
    if not isinstance(code, str) or not code or len(code) > 64:
        return jsonify(error="the event's tracker has no tracking_code"), 400
    params = {"event_id": event_id, "topic": topic, "code": code, "payload": raw.decode("utf-8")}
    with svc.db.engine.begin() as conn:
        if conn.execute(_RECORD, params).first() is not None:
            return "", 200
        known = conn.execute(_KNOWN, params).first() is not None
    if not known:
        return jsonify(ignored="no parcel of an installed shop has this tracking code"), 200
    return jsonify(duplicate=event_id), 200
