"""Trackers: a parcel's journey as EasyPost reports it, from the API or a webhook Event."""

from __future__ import annotations

from typing import Any

from ...fulfilment.types import TrackerUpdate, TrackingEvent
from .errors import CarrierResponseError
from .fields import items, moment, obj, optional_obj, reading, required_text, text
from .statuses import status_from_easypost


@reading
def tracker_from_easypost(d: Any) -> TrackerUpdate:
    """A Tracker, or an Event (webhook body) whose `result` is a Tracker."""
    d = obj(d, "tracker")
    if d.get("object") == "Event":
        d = obj(d.get("result"), "event.result")
    if d.get("object") not in (None, "Tracker"):
        raise CarrierResponseError(f"expected a Tracker, got {d.get('object')!r}")
    return TrackerUpdate(
        id=required_text(d, "id"),
        tracking_code=required_text(d, "tracking_code"),
        carrier=required_text(d, "carrier"),
        status=status_from_easypost(text(d, "status")).value,
        est_delivery_date=moment(d.get("est_delivery_date"), "tracker.est_delivery_date"),
        signed_by=text(d, "signed_by"),
        events=tuple(
            _event(e) for e in items(d.get("tracking_details"), "tracker.tracking_details")
        ),
        public_url=text(d, "public_url"),
        updated_at=moment(d.get("updated_at"), "tracker.updated_at"),
    )


def _event(d: Any) -> TrackingEvent:
    d = obj(d, "tracking_details[]")
    where = optional_obj(d.get("tracking_location"), "tracking_location")
    return TrackingEvent(
        status=status_from_easypost(text(d, "status")).value,
        message=text(d, "message") or "",
        at=moment(d.get("datetime"), "tracking_details[].datetime"),
        city=text(where, "city"),
        state=text(where, "state"),
        country=text(where, "country"),
        zip=text(where, "zip"),
        detail=text(d, "status_detail"),
    )
