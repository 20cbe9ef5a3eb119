"""EasyPost's tracking vocabulary, mapped to ours (`fulfilment/tracking_status.py`)."""

from __future__ import annotations

from ...fulfilment.tracking_status import TrackingStatus

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
