"""The job behind every recorded webhook: route it by topic, once.

Each topic's step is named in queue/topics.py and run by name (queue/registry.STEPS), so this
job imports none of the modules that handle them.
"""

from __future__ import annotations

import json
import logging

from ..db.models import Order, WebhookDelivery
from ..fulfilment.states.deliveries import FINISHED, DeliveryStatus
from ..fulfilment.states.orders import OrderState
from ..integrations.shopify.errors import ShopifyQueryError
from ..integrations.shopify.readers import PayloadError
from ..queue.calls import job, run
from ..queue.topics import HANDLERS, ORDER_TOPICS
from ..services import services
from ..store.deliveries import claim, finish
from ..store.orders import move
from ..store.shops import ShopNotInstalled
from .failures import gives_up

log = logging.getLogger(__name__)


def _attempts_spent(delivery_id: int) -> bool:
    """A delivery counts its own attempts (a lost job enqueued again by the outbox's sweep
    starts with fresh retries in RQ, but not with a fresh count here)."""
    svc = services()
    with svc.db.session() as s:
        delivery = s.get(WebhookDelivery, delivery_id)
        return delivery is None or delivery.attempts >= svc.settings.JOB_MAX_ATTEMPTS


def _gave_up(delivery_id: int, exc: Exception) -> None:
    svc = services()
    with svc.db.session() as s:
        delivery = s.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return  # erased meanwhile (shop/redact): nothing is left to mark
        attempts = delivery.attempts
    _fail(svc, delivery_id, f"Gave up after {attempts} attempts: {exc}")


@job
@gives_up(_gave_up, last=_attempts_spent)
def process_delivery(delivery_id: int) -> None:
    svc = services()
    with svc.db.session() as s:
        delivery = s.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status in FINISHED:
            return
        delivery.attempts += 1
        s.commit()
    try:
        payload = json.loads(delivery.payload or "null")
        if not isinstance(payload, dict):
            raise PayloadError("the webhook body is not a JSON object")
        run(HANDLERS[delivery.topic], svc, delivery, payload)
    except PayloadError as exc:
        _fail(svc, delivery.id, f"Shopify sent a {delivery.topic} body we cannot use: {exc}")
    except ShopifyQueryError as exc:
        _fail(svc, delivery.id, f"Shopify refused our request: {exc}")
    except ShopNotInstalled:
        _close(svc, delivery.id, DeliveryStatus.SKIPPED, "the shop uninstalled the app")


def _close(svc, delivery_id: int, status: DeliveryStatus,
           error: str | None = None) -> WebhookDelivery | None:
    with svc.db.session() as s, s.begin():
        delivery = claim(s, delivery_id)
        if delivery is not None:
            finish(delivery, status, error)
        return delivery


def _fail(svc, delivery_id: int, message: str) -> None:
    """Failed for good: the delivery keeps the error and the order (if we know it) shows it."""
    log.error("delivery %s failed: %s", delivery_id, message)
    with svc.db.session() as s, s.begin():
        row = claim(s, delivery_id)
        if row is None:
            return
        finish(row, DeliveryStatus.FAILED, message)
        if row.topic in ORDER_TOPICS and row.resource_id is not None:
            order = (s.query(Order).filter_by(shop_id=row.shop_id, shopify_id=row.resource_id)
                     .first())
            if order is not None:
                move(s, order, OrderState.EXCEPTION, message,
                     f"webhook {row.topic} {row.webhook_id}")
