"""Where a parcel is, in our words, how far along that is, and what Shopify calls it.

Values are plain strings, safe to store. The carrier adapter maps its own words to these
(`integrations/easypost/statuses.py`); nothing here knows any carrier.
"""

from __future__ import annotations

from enum import StrEnum


class TrackingStatus(StrEnum):
    """Where a parcel is, in our words. Values are plain strings, safe to store."""

    UNKNOWN = "unknown"
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    RETURNING = "returning"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ERROR = "error"


# Shopify FulfillmentEventStatus. Statuses without an entry send no event.
_TO_SHOPIFY = {
    TrackingStatus.LABEL_CREATED: "LABEL_PURCHASED",
    TrackingStatus.IN_TRANSIT: "IN_TRANSIT",
    TrackingStatus.OUT_FOR_DELIVERY: "OUT_FOR_DELIVERY",
    TrackingStatus.READY_FOR_PICKUP: "READY_FOR_PICKUP",
    TrackingStatus.DELIVERED: "DELIVERED",
    TrackingStatus.RETURNING: "FAILURE",
    TrackingStatus.FAILED: "FAILURE",
}

# How far along a parcel is. An update ranked lower than what we hold is stale (webhooks
# arrive out of order); equal ranks are news (a new event at the same stage).
# unknown and error say nothing about progress, so they rank lowest and never overwrite.
_RANK = {
    TrackingStatus.UNKNOWN: 0,
    TrackingStatus.ERROR: 0,
    TrackingStatus.LABEL_CREATED: 1,
    TrackingStatus.IN_TRANSIT: 2,
    TrackingStatus.OUT_FOR_DELIVERY: 3,
    TrackingStatus.READY_FOR_PICKUP: 4,
    TrackingStatus.CANCELLED: 5,
    TrackingStatus.RETURNING: 5,
    TrackingStatus.FAILED: 5,
    TrackingStatus.DELIVERED: 6,
}


def shopify_event_status(status: str) -> str | None:
    """Our status → Shopify FulfillmentEventStatus, or None when no event should be sent."""
    return _TO_SHOPIFY.get(read_status(status))


def rank(status: str) -> int:
    return _RANK[read_status(status)]


def moves_forward(current: str | None, new: str) -> bool:
    """Whether `new` may replace `current` (None: nothing recorded yet)."""
    if current is None:
        return True
    return rank(new) >= rank(current) and rank(new) > 0


def read_status(status: str) -> TrackingStatus:
    """A stored status as ours; a word we do not know is UNKNOWN, not an error."""
    try:
        return TrackingStatus(status)
    except ValueError:
        return TrackingStatus.UNKNOWN
