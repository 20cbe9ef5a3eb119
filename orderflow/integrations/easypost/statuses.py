"""EasyPost's tracking vocabulary, mapped to ours (`fulfilment/tracking_status.py`).

The other names here (our statuses, their rank, Shopify's event statuses, carrier names and
tracking pages) live in `fulfilment/` now and are re-exported for callers not yet moved (jobs/).
"""

from __future__ import annotations

from ...fulfilment.carrier_names import carrier_key, shopify_company, tracking_url
from ...fulfilment.tracking_status import (
    TrackingStatus,
    moves_forward,
    rank,
    shopify_event_status,
)

__all__ = [
    "TrackingStatus", "carrier_key", "moves_forward", "rank", "shopify_company",
    "shopify_event_status", "status_from_easypost", "tracking_url",
]

_FROM_EASYPOST = {
    "unknown": TrackingStatus.UNKNOWN,
    "pre_transit": TrackingStatus.LABEL_CREATED,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": TrackingStatus.READY_FOR_PICKUP,
    "delivered": TrackingStatus.DELIVERED,
    "return_to_sender": TrackingStatus.RETURNING,
    "failure": TrackingStatus.FAILED,
    "cancelled": TrackingStatus.CANCELLED,
    "error": TrackingStatus.ERROR,
}


def status_from_easypost(status: str | None) -> TrackingStatus:
    """EasyPost adds statuses from time to time: one we do not know is UNKNOWN, not an error."""
    return _FROM_EASYPOST.get((status or "").strip().lower(), TrackingStatus.UNKNOWN)
