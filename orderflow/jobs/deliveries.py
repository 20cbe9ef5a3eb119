"""The job behind every recorded Shopify webhook: route it by topic, once."""

from __future__ import annotations

import json
import logging

from ..integrations.shopify.errors import ShopifyQueryError
from ..integrations.shopify.mapping import PayloadError, order_from_webhook
from ..db.models import Order, WebhookDelivery
from ..store.orders import mark_exception
from ..queue.calls import job
from ..services import services
from ..store.shops import ShopNotInstalled
from . import compliance, tracking
from ..store.deliveries import claim, finish
from .orders import apply_order

log = logging.getLogger(__name__)

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled")
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
TOPICS = ORDER_TOPICS + ("app/uninstalled",) + COMPLIANCE_TOPICS
# The carrier's tracker events, recorded by webhooks/easypost.py in the same outbox.
CARRIER_TOPICS = ("tracker.created", "tracker.updated")


def _handle_order(svc, delivery: WebhookDelivery, payload: dict) -> None:
    snap = order_from_webhook(payload)
    source = f"webhook {delivery.topic} {delivery.webhook_id}"
    last_try = delivery.attempts >= svc.settings.JOB_MAX_ATTEMPTS
    apply_order(svc, delivery.shop_id, snap, source, delivery.id, hold_if_unreadable=last_try)


HANDLERS = {topic: _handle_order for topic in ORDER_TOPICS} | {
    "app/uninstalled": compliance.uninstall,
    "customers/data_request": compliance.data_request,
    "customers/redact": compliance.redact_customer,
    "shop/redact": compliance.redact_shop,
} | {topic: tracking.apply_tracker_webhook for topic in CARRIER_TOPICS}


@job(queue="webhooks", timeout=300)
def process_delivery(delivery_id: int) -> None:
    svc = services()
    with svc.db.session() as s:
        delivery = s.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status in ("done", "failed", "skipped"):
            return
        delivery.attempts += 1
        s.commit()
    try:
        payload = json.loads(delivery.payload or "null")
        if not isinstance(payload, dict):
            raise PayloadError("the webhook body is not a JSON object")
        HANDLERS[delivery.topic](svc, delivery, payload)
    except PayloadError as exc:
        _fail(svc, delivery, f"Shopify sent a {delivery.topic} body we cannot use: {exc}")
    except ShopifyQueryError as exc:
        _fail(svc, delivery, f"Shopify refused our request: {exc}")
    except ShopNotInstalled:
        _close(svc, delivery.id, "skipped", "the shop uninstalled the app")
    except Exception as exc:
        if delivery.attempts < svc.settings.JOB_MAX_ATTEMPTS:
            raise
        _fail(svc, delivery, f"Gave up after {delivery.attempts} attempts: {exc}")


def _close(svc, delivery_id: int, status: str, error: str | None = None) -> WebhookDelivery | None:
    with svc.db.session() as s, s.begin():
        delivery = claim(s, delivery_id)
        if delivery is not None:
            finish(delivery, status, error)
        return delivery


def _fail(svc, delivery: WebhookDelivery, message: str) -> None:
    """Failed for good: the delivery keeps the error and the order (if we know it) shows it."""
    log.error("delivery %s failed: %s", delivery.id, message)
    with svc.db.session() as s, s.begin():
        row = claim(s, delivery.id)
        if row is None:
            return
        finish(row, "failed", message)
        if delivery.topic in ORDER_TOPICS and row.resource_id is not None:
            order = s.query(Order).filter_by(shop_id=row.shop_id, shopify_id=row.resource_id).first()
            if order is not None:
                mark_exception(s, order, message, f"webhook {row.topic} {row.webhook_id}")

