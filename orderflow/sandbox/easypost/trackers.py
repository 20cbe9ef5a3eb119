"""Tracker objects and the plan each parcel follows.

A plan is the list of status changes a parcel will go through, built once when the tracker is
created: pre_transit -> in_transit -> out_for_delivery -> delivered, or an exception path chosen
by `rates.tracker_outcome` (delayed, return_to_sender, failure). Detail datetimes lie on the
simulated timeline anchored at label purchase (they are the dates a carrier would report), so
transit days and lateness are meaningful even when the clock is compressed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from .rates import hash_fraction
from .util import iso_z

FINAL = ("delivered", "return_to_sender", "failure", "cancelled", "error")
HUBS = (("MEMPHIS", "TN", "38118"), ("LOUISVILLE", "KY", "40209"), ("INDIANAPOLIS", "IN", "46241"),
        ("DALLAS", "TX", "75261"), ("CHICAGO", "IL", "60666"), ("RENO", "NV", "89502"))
MESSAGES = {  # kind -> (USPS, UPS, FedEx, FedEx carrier_code)
    "label": ("Shipping Label Created, USPS Awaiting Item",
              "Shipper created a label, UPS has not received the package yet.",
              "Shipment information sent to FedEx", "OC"),
    "accepted": ("Accepted at USPS Origin Facility", "Pickup Scan", "Picked up", "PU"),
    "departed": ("Departed USPS Regional Facility", "Departed from Facility",
                 "Departed FedEx location", "DP"),
    "arrived": ("Arrived at Post Office", "Arrived at Facility", "Arrived at FedEx location", "AR"),
    "delayed": ("In Transit, Arriving Late", "The package will be delivered later than expected.",
                "Delay", "DE"),
    "ofd": ("Out for Delivery", "Out For Delivery Today", "On FedEx vehicle for delivery", "OD"),
    "delivered": ("Delivered, Left with Individual", "DELIVERED", "Delivered", "DL"),
    "refused": ("Return to Sender Processed",
                "The receiver refused the delivery. Returning to sender.",
                "Delivery refused - returning to shipper", "RS"),
    "lost": ("Alert: Package Lost in Transit", "Package is lost. Contact the shipper.",
             "Shipment exception - package lost", "SE"),
    "damaged": ("Alert: Package Damaged", "The package was damaged and cannot be delivered.",
                "Shipment exception - package damaged", "SE"),
}
TEST_CODES = {  # EasyPost's test tracking codes -> (status reached, outcome)
    "EZ1000000001": ("pre_transit", "on_time"), "EZ2000000002": ("in_transit", "on_time"),
    "EZ3000000003": ("out_for_delivery", "on_time"), "EZ4000000004": ("delivered", "on_time"),
    "EZ5000000005": ("return_to_sender", "return_to_sender"),
    "EZ6000000006": ("failure", "failure"), "EZ7000000007": ("unknown", "on_time"),
}


@dataclass
class Step:
    status: str
    status_detail: str
    details: list[dict]
    at: dt.datetime
    est_delivery: dt.datetime | None = None
    signed_by: str | None = None


@dataclass
class Route:
    """What a plan needs to know about the parcel."""
    carrier: str
    service: str
    days: int
    origin: dict
    destination: dict
    recipient: str | None = None
    weight: float | None = None
    extra: dict = field(default_factory=dict)


def guess_carrier(code: str) -> str:
    code = code.strip().upper()
    if code.startswith("1Z"):
        return "UPS"
    if code.isdigit() and len(code) in (12, 15):
        return "FedEx"
    return "USPS"


def tracking_code(carrier: str, seed: str) -> str:
    """Carrier-like codes: USPS 22 digits starting 9400, UPS 1Z + 16, FedEx 12 digits."""
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    if carrier == "UPS":
        alnum = "0123456789ABCDEFGHJKLMNPRSTUVWXY"
        body = "".join(alnum[(digest >> (5 * i)) % 32] for i in range(6))
        return f"1Z{body}03{digest % 10**8:08d}"
    if carrier == "FedEx":
        return f"{7 * 10**11 + digest % (10**11 * 2):012d}"
    return f"9400{digest % 10**18:018d}"


def location(place: dict | None) -> dict:
    place = place or {}
    return {"object": "TrackingLocation", "city": place.get("city"), "state": place.get("state"),
            "country": place.get("country"), "zip": place.get("zip")}


def place_of(address: dict | None) -> dict:
    address = address or {}
    return {"city": (address.get("city") or "").upper() or None, "state": address.get("state"),
            "country": address.get("country") or "US",
            "zip": str(address.get("zip") or "")[:5] or None}


def _detail(route: Route, kind: str, status: str, status_detail: str, at: dt.datetime,
            place: dict | None) -> dict:
    usps, ups, fedex, code = MESSAGES[kind]
    message = {"USPS": usps, "UPS": ups, "FedEx": fedex}.get(route.carrier, usps)
    return {"object": "TrackingDetail", "message": message, "description": message,
            "status": status,
            "status_detail": status_detail, "datetime": iso_z(at), "source": route.carrier,
            "carrier_code": code if route.carrier == "FedEx" else "",
            "tracking_location": location(place), "est_delivery_date": None}


def _at(day: dt.datetime, hour: int) -> dt.datetime:
    return day.replace(hour=hour, minute=0, second=0)


def build_plan(route: Route, outcome: str, t0: dt.datetime, code: str) -> list[Step]:
    """The status changes this parcel will go through, with simulated datetimes."""
    hub_row = HUBS[int(hash_fraction(code + "hub") * len(HUBS))]
    hub = dict(zip(("city", "state", "zip"), hub_row, strict=True), country="US")
    origin, dest = route.origin, route.destination
    est = _at(t0 + dt.timedelta(days=route.days), 0)
    d = lambda *a: _detail(route, *a)  # noqa: E731
    hours = lambda n: dt.timedelta(hours=n)  # noqa: E731
    steps = [Step("pre_transit", "label_created",
                  [d("label", "pre_transit", "label_created", t0,
                     {"zip": origin.get("zip"), "country": "US"})],
                  t0, est_delivery=est),
             Step("in_transit", "arrived_at_facility",
                  [d("accepted", "in_transit", "arrived_at_facility", t0 + hours(4), origin),
                   d("departed", "in_transit", "departed_facility", t0 + hours(7), hub)],
                  t0)]
    day = est
    if outcome == "delayed":
        late = 1 + int(hash_fraction(code + "late") * 3)
        day = est + dt.timedelta(days=late)
        steps.append(Step("in_transit", "delayed",
                          [d("delayed", "in_transit", "delayed", _at(est, 6), hub)], t0,
                          est_delivery=day))
    if outcome == "failure":
        kind = "lost" if hash_fraction(code + "why") < 0.5 else "damaged"
        steps.append(Step("failure", kind, [d(kind, "failure", kind, _at(day, 10), hub)], t0))
        return _monotonic(steps)
    steps.append(Step("out_for_delivery", "out_for_delivery",
                      [d("arrived", "in_transit", "arrived_at_facility", _at(day, 4), dest),
                       d("ofd", "out_for_delivery", "out_for_delivery", _at(day, 8), dest)], t0))
    if outcome == "return_to_sender":
        steps.append(Step("return_to_sender", "return",
                          [d("refused", "return_to_sender", "return", _at(day, 15), dest)], t0))
    else:
        steps.append(Step("delivered", "arrived_at_destination",
                          [d("delivered", "delivered", "arrived_at_destination",
                             _at(day, 14), dest)],
                          t0, signed_by=(route.recipient or "RESIDENT").upper()))
    return _monotonic(steps)


def _monotonic(steps: list[Step]) -> list[Step]:
    """Make detail datetimes strictly increasing (a late-evening label can push scans along)."""
    last = None
    for step in steps:
        for detail in step.details:
            moment = dt.datetime.fromisoformat(detail["datetime"].replace("Z", "+00:00"))
            if last is not None and moment <= last:
                moment = last + dt.timedelta(minutes=10)
                detail["datetime"] = iso_z(moment)
            last = moment
        step.at = last
    return steps


def new_tracker(tracker_id: str, code: str, route: Route, shipment_id: str | None,
                now: dt.datetime, public_base: str) -> dict:
    stamp = iso_z(now)
    origin, dest = route.origin, route.destination
    return {
        "id": tracker_id, "object": "Tracker", "mode": "test", "tracking_code": code,
        "status": "unknown", "status_detail": "unknown", "created_at": stamp, "updated_at": stamp,
        "signed_by": None, "weight": route.weight, "est_delivery_date": None,
        "shipment_id": shipment_id, "carrier": route.carrier, "tracking_details": [], "fees": [],
        "carrier_detail": {
            "object": "CarrierDetail", "service": route.service, "container_type": None,
            "est_delivery_date_local": None, "est_delivery_time_local": None,
            "origin_location": " ".join(str(p) for p in (origin.get("city"), origin.get("state"),
                                                         origin.get("country")) if p) or None,
            "origin_tracking_location": location(origin),
            "destination_location": " ".join(str(p) for p in (dest.get("city"), dest.get("state"),
                                                              dest.get("country")) if p) or None,
            "destination_tracking_location": None, "guaranteed_delivery_date": None,
            "alternate_identifier": None, "initial_delivery_attempt": None,
        },
        "finalized": False, "is_return": False, "public_url": f"{public_base}/track/{tracker_id}",
    }


def apply_step(tracker: dict, step: Step, now: dt.datetime) -> str:
    """Apply one planned change to the Tracker object; return the previous status."""
    previous = tracker["status"]
    tracker["tracking_details"].extend(dict(d) for d in step.details)
    tracker["status"], tracker["status_detail"] = step.status, step.status_detail
    detail = tracker["carrier_detail"]
    if step.est_delivery is not None:
        tracker["est_delivery_date"] = iso_z(step.est_delivery)
        detail["est_delivery_date_local"] = step.est_delivery.date().isoformat()
    if step.status == "out_for_delivery":
        detail["initial_delivery_attempt"] = step.details[-1]["datetime"]
    if step.status == "delivered":
        tracker["signed_by"] = step.signed_by
        detail["destination_tracking_location"] = dict(step.details[-1]["tracking_location"])
    tracker["finalized"] = step.status in FINAL
    tracker["updated_at"] = iso_z(now)
    return previous
