"""What the customer's tracking page says, built from plain values: no Flask, no database.

Statuses are the plain strings of `fulfilment.tracking_status.TrackingStatus`; a shipment's
status follows the one rule of `fulfilment.tracking.shipment_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from .tracking import shipment_status
from .tracking_status import TrackingStatus

LABEL_CREATED = TrackingStatus.LABEL_CREATED
IN_TRANSIT = TrackingStatus.IN_TRANSIT
OUT_FOR_DELIVERY = TrackingStatus.OUT_FOR_DELIVERY
READY_FOR_PICKUP = TrackingStatus.READY_FOR_PICKUP
DELIVERED = TrackingStatus.DELIVERED
RETURNING = TrackingStatus.RETURNING
FAILED = TrackingStatus.FAILED
CANCELLED = TrackingStatus.CANCELLED
PROBLEMS = (FAILED, RETURNING, CANCELLED)

# (headline, what it means for the customer)
_WORDS = {
    LABEL_CREATED: ("Label created: waiting for the carrier",
                    "The shop has packed your order. The carrier has not scanned it yet."),
    IN_TRANSIT: ("On its way", "The carrier has your parcel and is moving it toward you."),
    OUT_FOR_DELIVERY: ("Out for delivery", "Your parcel is on the delivery vehicle today."),
    READY_FOR_PICKUP: ("Ready for pickup", "Your parcel is waiting for you at the pickup point."),
    DELIVERED: ("Delivered", "Your parcel has arrived."),
    RETURNING: ("There is a problem with the delivery",
                "The carrier is returning the parcel to the shop. Please contact the shop."),
    FAILED: ("There is a problem with the delivery",
             "The carrier could not deliver the parcel. Please contact the shop."),
    CANCELLED: ("This shipment was cancelled",
                "The shop cancelled this shipment. Please contact the shop if you have questions."),
}
_WAITING = ("Waiting for tracking updates",
            "The carrier has not shared tracking details yet. Check back later.")

_STEPS = (LABEL_CREATED, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED)
_STEP_NAMES = {LABEL_CREATED: "Label created", IN_TRANSIT: "On its way",
               OUT_FOR_DELIVERY: "Out for delivery", DELIVERED: "Delivered"}
# How far along a parcel is, on the progress bar's scale; the rest say nothing about it.
_STEP_OF = {LABEL_CREATED: 0, IN_TRANSIT: 1, OUT_FOR_DELIVERY: 2, READY_FOR_PICKUP: 2, DELIVERED: 3}
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ParcelFacts:
    carrier: str
    tracking_code: str | None
    tracking_url: str | None
    status: str | None
    events: tuple[dict, ...] = ()  # the carrier's history, oldest first
    estimate: datetime | None = None  # the carrier's newest estimate of arrival
    items: tuple[tuple[str, int], ...] = ()  # (label: SKU or title, count)
    voided: bool = False


@dataclass(frozen=True)
class ShipmentFacts:
    status: str | None  # the shipment's status as a whole, when tracking has worked it out
    promised: date | None  # the carrier's promise when the label was bought
    delivered_at: datetime | None
    proof: dict | None  # {"at", "where", "signed_by", "message", ...}
    parcels: tuple[ParcelFacts, ...]
    voided: bool = False


@dataclass(frozen=True)
class Step:
    name: str
    state: str  # done | current | todo


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime | None
    when: str
    message: str
    place: str
    parcel: str | None  # which parcel, when there are several


@dataclass(frozen=True)
class Delivery:
    at: datetime | None
    when: str
    where: str
    signed_by: str
    message: str


@dataclass(frozen=True)
class ParcelLine:
    carrier: str
    tracking_code: str
    tracking_url: str | None
    headline: str


@dataclass(frozen=True)
class TrackingPage:
    status: str
    headline: str
    detail: str
    problem: bool
    progress: tuple[Step, ...]
    estimated_delivery: date | None
    estimated_text: str
    delivery: Delivery | None
    timeline: tuple[TimelineEntry, ...]
    parcels: tuple[ParcelLine, ...]
    items: tuple[tuple[str, int], ...]


def tracking_page(facts: ShipmentFacts, titles: dict[str, str] | None = None) -> TrackingPage:
    """The page's view model. `titles` maps an item label (SKU) to the title a customer knows."""
    parcels = tuple(p for p in facts.parcels if not p.voided)
    status = overall_status(facts, parcels)
    headline, detail = _words(status)
    estimate = None if status in PROBLEMS + (DELIVERED,) else estimated_delivery(facts, parcels)
    return TrackingPage(
        status=status, headline=headline, detail=_partial(detail, parcels, status),
        problem=status in PROBLEMS, progress=progress(status, parcels),
        estimated_delivery=estimate, estimated_text=day_text(estimate) if estimate else "",
        delivery=delivery(facts) if status == DELIVERED else None,
        timeline=timeline(parcels), parcels=_parcel_lines(parcels),
        items=items(parcels, titles or {}),
    )


def overall_status(facts: ShipmentFacts, parcels: tuple[ParcelFacts, ...]) -> str:
    """The shipment's own status when tracking set it, else the parcels': a problem if any has
    one, else the least advanced. A fulfilled shipment has a label even before any scan."""
    if facts.voided or not parcels:
        return CANCELLED
    return facts.status or shipment_status(p.status for p in parcels)


def progress(status: str, parcels: tuple[ParcelFacts, ...]) -> tuple[Step, ...]:
    """Label created -> on its way -> out for delivery -> delivered. After a problem, the bar
    stops at the furthest step the parcels' histories reached, with nothing current."""
    if status in _STEP_OF:
        reached, current = _STEP_OF[status], _STEP_OF[status]
    else:
        reached, current = _furthest_step(parcels), None
    return tuple(Step(_step_name(step, status), _step_state(i, reached, current))
                 for i, step in enumerate(_STEPS))


def _step_name(step: str, status: str) -> str:
    if step == OUT_FOR_DELIVERY and status == READY_FOR_PICKUP:
        return "Ready for pickup"
    return _STEP_NAMES[step]


def _step_state(index: int, reached: int, current: int | None) -> str:
    """The last step, once reached, is simply done: nothing comes after it."""
    if index == current and index < len(_STEPS) - 1:
        return "current"
    return "done" if index <= reached else "todo"


def _furthest_step(parcels: tuple[ParcelFacts, ...]) -> int:
    statuses = [event.get("status") for parcel in parcels for event in parcel.events]
    return max((_STEP_OF[s] for s in statuses if s in _STEP_OF), default=0)


def estimated_delivery(facts: ShipmentFacts, parcels: tuple[ParcelFacts, ...]) -> date | None:
    """The carrier's newest word beats the promise made at purchase. The shipment has arrived
    when its last parcel has, so the latest estimate of the parcels still on their way counts."""
    estimates = [p.estimate for p in parcels if p.estimate and p.status != DELIVERED]
    return max(estimates).date() if estimates else facts.promised


def timeline(parcels: tuple[ParcelFacts, ...]) -> tuple[TimelineEntry, ...]:
    """Every parcel's events, newest first; events at the same moment keep the carrier's order."""
    several = len(parcels) > 1
    entries = [_entry(event, _parcel_name(i, p) if several else None)
               for i, p in enumerate(parcels) for event in reversed(p.events)]
    return tuple(sorted(entries, key=lambda e: e.at or _EARLIEST, reverse=True))


def _entry(event: dict, parcel: str | None) -> TimelineEntry:
    at = parse_moment(event.get("at"))
    message = event.get("message") or _words(event.get("status"))[0]
    return TimelineEntry(at=at, when=moment_text(at) if at else "", message=str(message),
                         place=place_text(event), parcel=parcel)


def _parcel_name(index: int, parcel: ParcelFacts) -> str:
    return f"Parcel {index + 1}" + (f" ({parcel.tracking_code})" if parcel.tracking_code else "")


def place_text(event: dict) -> str:
    """"Brooklyn, NY, US": carriers shout city names, people do not."""
    city = _text(event, "city")
    city = city.title() if city.isupper() else city
    parts = (city, _text(event, "state"), _text(event, "country"))
    return ", ".join(p for p in parts if p)


def delivery(facts: ShipmentFacts) -> Delivery:
    """The proof of delivery, as tracking summed it up for the shipment."""
    proof = facts.proof if isinstance(facts.proof, dict) else {}
    at = parse_moment(proof.get("at")) or facts.delivered_at
    return Delivery(at=at, when=moment_text(at) if at else "", where=_text(proof, "where"),
                    signed_by=_text(proof, "signed_by"), message=_text(proof, "message"))


def _text(values: dict, key: str) -> str:
    return str(values.get(key) or "").strip()


def _parcel_lines(parcels: tuple[ParcelFacts, ...]) -> tuple[ParcelLine, ...]:
    return tuple(ParcelLine(p.carrier, p.tracking_code, p.tracking_url,
                            _words(p.status or LABEL_CREATED)[0])
                 for p in parcels if p.tracking_code)


def items(parcels: tuple[ParcelFacts, ...], titles: dict[str, str]) -> tuple[tuple[str, int], ...]:
    """What the shipment carries, all parcels together, in the order first packed."""
    counts: dict[str, int] = {}
    for parcel in parcels:
        for label, count in parcel.items:
            title = titles.get(label, label)
            counts[title] = counts.get(title, 0) + count
    return tuple(counts.items())


def _words(status: str | None) -> tuple[str, str]:
    return _WORDS.get(status or "", _WAITING)


def _partial(detail: str, parcels: tuple[ParcelFacts, ...], status: str) -> str:
    arrived = sum(p.status == DELIVERED for p in parcels)
    if status == DELIVERED or not arrived:
        return detail
    return f"{detail} {arrived} of {len(parcels)} parcels have been delivered."


def parse_moment(value) -> datetime | None:
    """An ISO-8601 time from the carrier, aware; None when absent or unreadable."""
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def moment_text(moment: datetime) -> str:
    """"Tue 3 Mar, 14:05", in the time zone the carrier reported it in."""
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"


def day_text(day: date) -> str:
    """"Tuesday 3 March"."""
    return f"{day:%A} {day.day} {day:%B}"
