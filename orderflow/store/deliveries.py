"""Exactly-once effects for recorded deliveries: claim the row, do the work, mark it, one commit."""

from __future__ import annotations

from sqlalchemy import select

from ..db.models import WebhookDelivery, utcnow
from ..fulfilment.states.deliveries import FINISHED, DeliveryStatus, transition


def claim(session, delivery_id: int) -> WebhookDelivery | None:
    """The delivery, locked for this transaction, or None if another run already finished it."""
    delivery = session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    )
    if delivery is None or delivery.status in FINISHED:
        return None
    return delivery


def finish(delivery: WebhookDelivery, status: DeliveryStatus | str = DeliveryStatus.DONE,
           error: str | None = None) -> None:
    """Close the delivery; its body goes, since it may carry a customer's personal data."""
    delivery.status = transition(delivery.status, status).value
    delivery.error = error
    delivery.finished_at = utcnow()
    delivery.payload = None
