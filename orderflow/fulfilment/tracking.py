"""Where a shipment is, from where its parcels are; what that news means to whom. Pure.

A shipment's status is its least advanced parcel's (two boxes are "delivered" when both are),
unless a parcel has a problem, which speaks for the whole shipment. A carrier's history is kept
as the union of everything it ever told us, so an out-of-order or partial update loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .tracking_status import TrackingStatus, rank, shopify_event_status
from .types import TrackingEvent

PROBLEMS = (TrackingStatus.FAILED, TrackingStatus.RETURNING, TrackingStatus.CANCELLED)
# A parcel in one of these is no longer polled: the carrier has nothing more to say.
FINAL = frozenset({TrackingStatus.DELIVERED, TrackingStatus.FAILED, TrackingStatus.CANCELLED})
MOVING = frozenset({TrackingStatus.IN_TRANSIT, TrackingStatus.OUT_FOR_DELIVERY,
                    TrackingStatus.READY_FOR_PICKUP})
# EasyPost status_detail values that say a parcel in transit will be late.
DELAY_DETAILS = frozenset({"delayed", "weather_delay"})

_CUSTOMER_EMAIL = {
    TrackingStatus.OUT_FOR_DELIVERY: "out_for_delivery",
    TrackingStatus.DELIVERED: "delivered",
    **{status: "problem" for status in PROBLEMS},
}
_ALERT = {TrackingStatus.FAILED: "failed", TrackingStatus.RETURNING: "returning",
          TrackingStatus.CANCELLED: "cancelled"}
_HEADLINE = {
    TrackingStatus.UNKNOWN: "Label created", TrackingStatus.ERROR: "Label created",
    TrackingStatus.LABEL_CREATED: "Label created",
    TrackingStatus.IN_TRANSIT: "In transit", TrackingStatus.OUT_FOR_DELIVERY: "Out for delivery",
    TrackingStatus.READY_FOR_PICKUP: "Ready for pickup", TrackingStatus.DELIVERED: "Delivered",
    TrackingStatus.RETURNING: "Returning to the sender", TrackingStatus.FAILED: "Delivery failed",
    TrackingStatus.CANCELLED: "Tracking cancelled by the carrier",
}


def event_json(event: TrackingEvent) -> dict:
    return {"status": event.status, "message": event.message,
            "at": event.at.isoformat() if event.at else None,
            "city": event.city, "state": event.state, "country": event.country, "zip": event.zip,
            "detail": event.detail}


def merge_events(held: Iterable[dict] | None, incoming: Iterable[TrackingEvent]) -> list[dict]:
    """Every event either side knows, once, oldest first (events without a time go last)."""
    merged = {_key(e): e for e in held or ()}
    for event in incoming:
        merged.setdefault(_key(event_json(event)), event_json(event))
    return sorted(merged.values(), key=lambda e: (e["at"] is None, e["at"] or "", e["status"]))


def _key(event: dict) -> tuple:
    return event.get("at"), event.get("status"), event.get("message")


def advances(current: str | None, new: str) -> bool:
    """Whether `new` news moves a parcel on: never backwards, and unknown says nothing."""
    if rank(new) == 0:
        return False
    return current is None or rank(new) > rank(current)


def shipment_status(parcel_statuses: Iterable[str | None]) -> str:
    """The shipment's status: a problem of any parcel, else the least advanced parcel's."""
    statuses = [_known(s) for s in parcel_statuses] or [TrackingStatus.LABEL_CREATED]
    for problem in PROBLEMS:
        if problem in statuses:
            return problem.value
    return min(statuses, key=rank).value


def _known(status: str | None) -> TrackingStatus:
    """A parcel we hold no news of yet has, at least, its label."""
    if status is None or rank(status) == 0:
        return TrackingStatus.LABEL_CREATED
    return TrackingStatus(status)


def customer_email_kind(status: str) -> str | None:
    return _CUSTOMER_EMAIL.get(_known(status))


def email_superseded(kind: str, status: str | None) -> bool:
    """An email about to go out that the parcel has outrun: "out for delivery" once it is
    delivered or in trouble, "delivery problem" once it is delivered after all."""
    now = _known(status)
    if kind == "out_for_delivery":
        return (rank(now) > rank(TrackingStatus.OUT_FOR_DELIVERY)
                and now != TrackingStatus.READY_FOR_PICKUP)
    return kind == "problem" and now == TrackingStatus.DELIVERED


def alert_kind(status: str) -> str | None:
    return _ALERT.get(_known(status))


def shopify_event(status: str) -> str | None:
    """The Shopify fulfilment event for a shipment status; the label itself is no news there,
    since the fulfilment was created with it."""
    event = shopify_event_status(status)
    return None if event in (None, "LABEL_PURCHASED") else event


def shopify_event_rank(event: str) -> int:
    """Order of Shopify events, to skip one that a later event already superseded."""
    return {"IN_TRANSIT": 1, "DELAYED": 2, "OUT_FOR_DELIVERY": 3, "READY_FOR_PICKUP": 4,
            "FAILURE": 5, "DELIVERED": 6}.get(event, 0)


def delayed(status: str | None, events: Iterable[dict]) -> bool:
    """In transit, and the carrier has said it will be late."""
    return _known(status) == TrackingStatus.IN_TRANSIT and any(
        e.get("detail") in DELAY_DETAILS for e in events)


def headline(status: str | None) -> str:
    return _HEADLINE[_known(status)] if status else "Label created"


def latest(events: Iterable[dict], status: str | None = None) -> dict | None:
    """The newest event, or the newest of one status."""
    chosen = [e for e in events if status is None or e.get("status") == status]
    return chosen[-1] if chosen else None


def place(event: dict | None) -> str | None:
    """"BROOKLYN, NY" from an event's location, or None."""
    if not event:
        return None
    parts = [p for p in (event.get("city"), event.get("state")) if p]
    return ", ".join(parts) or event.get("country") or None


def news(status: str, event: dict | None) -> str:
    """One line for the order's timeline: what happened, in the carrier's words, and where."""
    words = (event or {}).get("message") or ""
    where = place(event)
    text = (f"{headline(status)}" + (f": {words}" if words else "")
            + (f" ({where})" if where else ""))
    return text


def moved_at(events: list[dict], fallback: datetime) -> datetime:
    """When the parcel last moved: the carrier's newest event time, else `fallback`."""
    newest = next((e["at"] for e in reversed(events) if e.get("at")), None)
    return datetime.fromisoformat(newest) if newest else fallback
