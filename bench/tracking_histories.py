"""bench/tracking_burst.py's tracker histories, and the order the burst sends their events in.

Built with the sandbox carrier's own pieces (tracking codes, scan messages per carrier,
`new_tracker`/`apply_step`, the Event envelope): per shipment pre_transit -> in_transit (several
scans) -> out_for_delivery -> delivered, a few percent ending in failure or return_to_sender.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

# Our status words (orderflow.fulfilment.tracking_status) for the carrier's final ones, and
# the Shopify fulfilment event and emails each one calls for.
FINAL_OURS = {"delivered": "delivered", "failure": "failed", "return_to_sender": "returning"}
FINAL_SHOPIFY = {"delivered": "DELIVERED", "failure": "FAILURE", "return_to_sender": "FAILURE"}
FINAL_EMAIL = {"delivered": "delivered", "failure": "problem", "return_to_sender": "problem"}
FINAL_ALERT = {"failure": "failed", "return_to_sender": "returning"}

CARRIERS = (("USPS", "GroundAdvantage", 12), ("UPS", "Ground", 5), ("FedEx", "FEDEX_GROUND", 3))
ORIGIN = {"city": "PORTLAND", "state": "OR", "country": "US", "zip": "97205"}
DESTINATIONS = (
    ("Ada", "Lovelace", "77 Massachusetts Ave", "Cambridge", "MA", "02139"),
    ("Grace", "Hopper", "350 Fifth Ave", "New York", "NY", "10118"),
    ("Alan", "Turing", "1600 Pennsylvania Ave NW", "Washington", "DC", "20500"),
    ("Edsger", "Dijkstra", "225 Baker St NW", "Atlanta", "GA", "30313"),
    ("Barbara", "Liskov", "233 S Wacker Dr", "Chicago", "IL", "60606"),
    ("Donald", "Knuth", "1 Arrowhead Dr", "Kansas City", "MO", "64129"),
    ("Frances", "Allen", "2101 Main St", "Dallas", "TX", "75201"),
    ("Dennis", "Ritchie", "1437 Bannock St", "Denver", "CO", "80202"),
    ("Margaret", "Hamilton", "1 Apple Park Way", "Cupertino", "CA", "95014"),
    ("Ken", "Thompson", "400 Broad St", "Seattle", "WA", "98109"),
)
SKUS = ("TEE-CLASSIC-M", "TOTE-CANVAS", "MUG-CERAMIC", "HOODIE-WOOL-L")


@dataclass
class Event:
    evt_id: str
    body: bytes
    status: str  # the carrier's status in this event's Tracker
    shipment: int  # index of the shipment
    seq: int  # position in the shipment's history


@dataclass
class History:
    k: int
    carrier: str
    service: str
    code: str
    tracker_id: str
    outcome: str  # delivered | failure | return_to_sender
    email: str
    first_name: str
    last_name: str
    destination: tuple
    bought_at: dt.datetime
    est_delivery: dt.datetime
    events: list[Event] = field(default_factory=list)

    @property
    def final(self) -> str:
        return self.events[-1].status


def _scan_plan(rng: random.Random, scans: int, dest: dict, hubs: list[dict]) -> list[tuple]:
    """`scans` in_transit details: accepted at the origin, then in and out of hubs, ending at the
    destination's facility; now and then a delay."""
    steps = [("accepted", "arrived_at_facility", ORIGIN), ("departed", "departed_facility", ORIGIN)]
    for hub in hubs:
        steps += [("arrived", "arrived_at_facility", hub), ("departed", "departed_facility", hub)]
    plan = steps[:max(0, scans - 1)]
    if scans >= 4 and rng.random() < 0.15:
        plan[-1] = ("delayed", "delayed", plan[-1][2])
    return plan + [("arrived", "arrived_at_facility", dest)] if scans else []


def build_histories(shipments: int, events: int, dup_rate: float, seed: int,
                    hook_url: str) -> list[History]:
    """Every shipment's tracker history, each event a signed-ready Event body (not yet signed)."""
    from orderflow.sandbox.easypost.state import USER_ID
    from orderflow.sandbox.easypost.trackers import (
        HUBS,
        MESSAGES,
        Route,
        Step,
        apply_step,
        location,
        new_tracker,
        tracking_code,
    )
    from orderflow.sandbox.easypost.util import iso_millis, iso_z

    rng = random.Random(seed)
    unique = max(shipments * 4, round(events / (1.0 + dup_rate)))
    base, extra = divmod(unique, shipments)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    histories, codes = [], set()
    weights = [w for _c, _s, w in CARRIERS]
    for k in range(shipments):
        carrier, service, _w = rng.choices(CARRIERS, weights)[0]
        code = tracking_code(carrier, f"bench-{seed}-{k}")
        while code in codes:
            code = tracking_code(carrier, f"bench-{seed}-{k}-{rng.random()}")
        codes.add(code)
        first, last, _street, city, state, zip_code = DESTINATIONS[k % len(DESTINATIONS)]
        dest = {"city": city.upper(), "state": state, "country": "US", "zip": zip_code}
        roll = rng.random()
        outcome = "failure" if roll < 0.03 else "return_to_sender" if roll < 0.05 else "delivered"
        n = base + (1 if k < extra else 0)
        fixed = 2 if outcome == "failure" else 3  # label + (ofd) + final
        scans = max(1, n - fixed)
        hubs = [dict(zip(("city", "state", "zip"), h, strict=False), country="US")
                for h in rng.sample(HUBS, 3)]
        bought = now - dt.timedelta(days=3, hours=rng.uniform(0, 12))
        est = (bought + dt.timedelta(days=3)).replace(hour=0, minute=0, second=0)
        tracker_id = "trk_" + hashlib.sha256(code.encode()).hexdigest()[:32]
        h = History(k, carrier, service, code, tracker_id, outcome, f"buyer{k}@example.com",
                    first, last, DESTINATIONS[k % len(DESTINATIONS)], bought, est)
        route = Route(carrier, service, 3, {**ORIGIN}, {**dest}, recipient=f"{first} {last}",
                      weight=16.0)
        details = [("label", "pre_transit", "label_created",
                    {"zip": ORIGIN["zip"], "country": "US"})]
        scan_plan = _scan_plan(rng, scans, dest, hubs)
        details += [(kind, "in_transit", sd, place) for kind, sd, place in scan_plan]
        if outcome == "failure":
            why = "lost" if rng.random() < 0.5 else "damaged"
            details.append((why, "failure", why, hubs[-1]))
        else:
            details.append(("ofd", "out_for_delivery", "out_for_delivery", dest))
            details.append(("refused", "return_to_sender", "return", dest)
                           if outcome == "return_to_sender"
                           else ("delivered", "delivered", "arrived_at_destination", dest))
        # Times: from the label to at most 10 minutes ago, 1 to 9 hours apart.
        gaps = [rng.uniform(1, 9) for _ in details[1:]]
        span = (now - dt.timedelta(minutes=10) - bought).total_seconds() / 3600
        scale = min(1.0, span / max(1e-6, sum(gaps)))
        at = bought
        tracker = new_tracker(h.tracker_id, code, route, "shp_" + code[-12:], bought,
                              "https://track.easypost.com")
        for seq, (kind, status, status_detail, place) in enumerate(details):
            if seq:
                at = at + dt.timedelta(hours=gaps[seq - 1] * scale)
            usps, ups, fedex, fedex_code = MESSAGES[kind]
            message = {"USPS": usps, "UPS": ups, "FedEx": fedex}[carrier]
            detail = {"object": "TrackingDetail", "message": message, "description": message,
                      "status": status, "status_detail": status_detail, "datetime": iso_z(at),
                      "source": carrier, "carrier_code": fedex_code if carrier == "FedEx" else "",
                      "tracking_location": location(place), "est_delivery_date": None}
            step = Step(status, status_detail, [detail], at, est_delivery=est if seq == 0 else None,
                        signed_by=(f"{first} {last}".upper() if status == "delivered" else None))
            updated = at + dt.timedelta(minutes=rng.uniform(1, 20))
            previous = apply_step(tracker, step, updated)
            evt_id = "evt_" + uuid.UUID(int=rng.getrandbits(128)).hex
            body = json.dumps({
                "description": "tracker.updated", "mode": "test",
                "previous_attributes": {"status": previous}, "created_at": iso_millis(updated),
                "pending_urls": [hook_url], "completed_urls": [], "updated_at": iso_millis(updated),
                "id": evt_id, "user_id": USER_ID, "status": "pending", "object": "Event",
                "result": tracker}, separators=(",", ":")).encode()
            h.events.append(Event(evt_id, body, status, k, seq))
        histories.append(h)
    return histories


def burst_order(histories: list[History], events: int, seed: int, jitter: float) -> list[Event]:
    """Duplicates and reordering. Each event gets a send key: a random start per shipment (so
    shipments interleave) plus its position, plus up to ±`jitter` positions of noise (so a
    shipment's events swap now and then). A duplicate is the same Event resent 1 to 30 positions
    later, as a carrier retrying a delivery it thought failed would."""
    rng = random.Random(seed + 1)
    longest = max(len(h.events) for h in histories)
    keyed = []
    for h in histories:
        start = rng.uniform(0, 3 * longest)
        for e in h.events:
            keyed.append((start + e.seq + rng.uniform(-jitter, jitter), e))
    unique = len(keyed)
    for _key, e in rng.sample(keyed, max(0, events - unique)):
        keyed.append((_key + rng.uniform(1, 30), e))
    keyed.sort(key=lambda pair: pair[0])
    return [e for _k, e in keyed]


def disorder(order: list[Event], histories: list[History]) -> dict:
    """How out of order the burst is, per shipment, counting first sends only."""
    seen: set[str] = set()
    last_seq: dict[int, int] = {}
    late = 0
    first_sends: dict[int, list[int]] = defaultdict(list)
    for e in order:
        if e.evt_id in seen:
            continue
        seen.add(e.evt_id)
        if e.seq < last_seq.get(e.shipment, -1):
            late += 1
        last_seq[e.shipment] = max(last_seq.get(e.shipment, -1), e.seq)
        first_sends[e.shipment].append(e.seq)
    final_not_last = sum(1 for h in histories if first_sends[h.k][-1] != len(h.events) - 1)
    status_back = 0  # a status sent after a later status of its shipment had been sent
    for h in histories:
        rank = {"pre_transit": 0, "in_transit": 1, "out_for_delivery": 2}
        best = -1
        for seq in first_sends[h.k]:
            r = rank.get(h.events[seq].status, 3)
            status_back += r < best
            best = max(best, r)
    return {"late": late, "unique": len(seen), "final_not_last": final_not_last,
            "status_back": status_back}

