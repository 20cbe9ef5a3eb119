"""In-memory state of the sandbox: objects by id, stats, and the tracker simulation.

One re-entrant lock guards everything; handlers hold it only for dictionary work and rendering,
never while sleeping (latency) or sending webhooks.
"""

from __future__ import annotations

import collections
import datetime as dt
import heapq
import itertools
import json
import threading
import time
from dataclasses import dataclass

from . import trackers as trk
from .rates import tracker_outcome
from .util import ApiError, iso_millis, new_id, not_found, utcnow

USER_ID = "user_5a6b7c8d9e0f41a2b3c4d5e6f7a8b9c0"
ORDER = ("on_time", "delayed", "return_to_sender", "failure")


@dataclass
class TrackerSim:
    tracker_id: str
    route: trk.Route
    outcome: str
    t0: dt.datetime
    plan: list
    applied: int = -1          # index of the last applied plan step
    anchor: float = 0.0        # monotonic time matching t0 on the compressed clock
    active: bool = True        # False once final, refunded, or a static test code


class Store:
    def __init__(self, time_scale: float, seed: str = "sandbox"):
        self.lock = threading.RLock()
        self.time_scale, self.seed = time_scale, seed
        self.hook_urls = lambda: []
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.addresses, self.parcels, self.rates = {}, {}, {}
            self.shipments, self.shipment_order = {}, []
            self.by_reference = collections.defaultdict(list)
            self.trackers, self.tracker_order, self.tracker_by_code = {}, [], {}
            self.sims: dict[str, TrackerSim] = {}
            self.labels, self.label_files = {}, {}
            self.events, self.event_order = {}, []
            self.webhooks = {}
            self.purchasing: set[str] = set()
            self.refunds_due: list = []
            self._due: list = []
            self._codes = itertools.count(1)
            self.stats = {"buys": collections.Counter(), "buy_attempts": collections.Counter(),
                          "refunds": collections.Counter(), "requests": collections.Counter(),
                          "keys": collections.Counter()}

    # ---- lookups -------------------------------------------------------------------------
    def get(self, table: dict, object_id: str) -> dict:
        try:
            return table[object_id]
        except KeyError:
            raise not_found() from None

    # ---- trackers ------------------------------------------------------------------------
    def next_tracking_code(self, carrier: str) -> str:
        while True:
            code = trk.tracking_code(carrier, f"{self.seed}:{carrier}:{next(self._codes)}")
            if code not in self.tracker_by_code:
                return code

    def add_tracker(self, code: str, route: trk.Route, shipment_id: str | None, public_base: str,
                    outcome: str | None = None,
                    reach: str | None = None) -> tuple[dict, list[bytes]]:
        """Create a tracker, apply its first step (pre_transit) and schedule the rest.

        `reach` (EasyPost test codes) applies steps up to that status and freezes the tracker.
        Returns the tracker and the event bodies to send (tracker.created).
        """
        now = utcnow()
        tracker = trk.new_tracker(new_id("trk"), code, route, shipment_id, now, public_base)
        outcome = outcome or tracker_outcome(code, route.carrier, route.service)
        t0 = now - dt.timedelta(days=route.days + 1) if reach else now
        plan = trk.build_plan(route, outcome, t0, code)
        sim = TrackerSim(tracker["id"], route, outcome, t0, plan)
        self.trackers[tracker["id"]] = tracker
        self.tracker_order.append(tracker["id"])
        self.tracker_by_code[code] = tracker["id"]
        self.sims[tracker["id"]] = sim
        sim.anchor = time.monotonic()
        if reach != "unknown":
            self._apply(sim, 0)
        if reach:
            while tracker["status"] != reach and sim.applied + 1 < len(sim.plan):
                self._apply(sim, sim.applied + 1)
            sim.active = False
        self._schedule(sim)
        return tracker, [self.event(tracker, "tracker.created", {})]

    def _apply(self, sim: TrackerSim, index: int) -> str:
        previous = trk.apply_step(self.trackers[sim.tracker_id], sim.plan[index], utcnow())
        sim.applied = index
        tracker = self.trackers[sim.tracker_id]
        if tracker["finalized"]:
            sim.active = False
        if tracker.get("shipment_id") in self.shipments:
            self.shipments[tracker["shipment_id"]]["status"] = tracker["status"]
        return previous

    def _schedule(self, sim: TrackerSim) -> None:
        """Queue the next step at anchor + simulated offset x time_scale (0: manual only)."""
        if not sim.active or self.time_scale <= 0 or sim.applied + 1 >= len(sim.plan):
            return
        offset = (sim.plan[sim.applied + 1].at - sim.t0).total_seconds() * self.time_scale
        heapq.heappush(self._due, (sim.anchor + offset, sim.tracker_id, sim.applied + 1))

    def step(self, sim: TrackerSim) -> bytes | None:
        """Apply the next planned step now; rebase the clock so later steps keep their spacing."""
        if not sim.active or sim.applied + 1 >= len(sim.plan):
            return None
        previous = self._apply(sim, sim.applied + 1)
        elapsed = (sim.plan[sim.applied].at - sim.t0).total_seconds()
        sim.anchor = time.monotonic() - elapsed * self.time_scale
        self._schedule(sim)
        tracker = self.trackers[sim.tracker_id]
        return self.event(tracker, "tracker.updated", {"status": previous})

    def due_steps(self) -> list[bytes]:
        """Steps whose time has come on the compressed clock (called by the ticker)."""
        bodies, now = [], time.monotonic()
        with self.lock:
            while self._due and self._due[0][0] <= now:
                _, tracker_id, index = heapq.heappop(self._due)
                sim = self.sims.get(tracker_id)
                if sim and sim.active and sim.applied + 1 == index:
                    previous = self._apply(sim, index)
                    self._schedule(sim)
                    bodies.append(self.event(self.trackers[tracker_id], "tracker.updated",
                                             {"status": previous}))
        return bodies

    def advance_all(self, until: str | None = None) -> tuple[int, list[bytes]]:
        """Move every active tracker one step, or until it reaches status `until` (or ends)."""
        moved, bodies = 0, []
        with self.lock:
            for tracker_id in list(self.tracker_order):
                sim = self.sims[tracker_id]
                changed = False
                while sim.active and (body := self.step(sim)) is not None:
                    bodies.append(body)
                    changed = True
                    if until is None or self.trackers[tracker_id]["status"] == until:
                        break
                moved += changed
        return moved, bodies

    def force_outcome(self, code: str, outcome: str) -> dict:
        """Re-plan a tracker's future with another outcome (keeps the steps already applied)."""
        if outcome not in ORDER:
            raise ApiError(422, "PARAMETER.INVALID", f"outcome must be one of {', '.join(ORDER)}")
        with self.lock:
            tracker_id = self.tracker_by_code.get(code)
            if tracker_id is None:
                raise not_found()
            sim = self.sims[tracker_id]
            plan = trk.build_plan(sim.route, outcome, sim.t0, code)
            sim.outcome, sim.plan = outcome, sim.plan[: sim.applied + 1] + plan[sim.applied + 1:]
            self._schedule(sim)
            return self.trackers[tracker_id]

    # ---- events --------------------------------------------------------------------------
    def event(self, tracker: dict, description: str, previous: dict) -> bytes:
        """Build and record an Event; return its compact JSON body (what gets signed and sent)."""
        now = dt.datetime.now(dt.UTC)
        event = {"description": description, "mode": "test", "previous_attributes": previous,
                 "created_at": iso_millis(now), "pending_urls": list(self.hook_urls()),
                 "completed_urls": [], "updated_at": iso_millis(now), "id": new_id("evt"),
                 "user_id": USER_ID, "status": "pending", "object": "Event", "result": tracker}
        body = json.dumps(event, separators=(",", ":")).encode()
        hidden = ("result", "pending_urls", "completed_urls")
        summary = {k: v for k, v in event.items() if k not in hidden}
        self.events[event["id"]] = summary
        self.event_order.append(event["id"])
        return body

    # ---- stats ---------------------------------------------------------------------------
    def snapshot_stats(self) -> dict:
        with self.lock:
            statuses = collections.Counter(t["status"] for t in self.trackers.values())
            refund_states = collections.Counter(
                s["refund_status"] for s in self.shipments.values() if s.get("refund_status"))
            return {
                "buys": dict(self.stats["buys"]), "buy_total": sum(self.stats["buys"].values()),
                "buy_attempts": dict(self.stats["buy_attempts"]),
                "refunds": dict(self.stats["refunds"]),
                "requests_by_key": dict(self.stats["keys"]),  # "<operation> <last 4 of the key>"
                "refund_total": sum(self.stats["refunds"].values()),
                "refund_statuses": dict(refund_states),
                "shipments": len(self.shipments), "addresses": len(self.addresses),
                "trackers": len(self.trackers), "tracker_statuses": dict(statuses),
                "events": len(self.events),
                "requests": dict(self.stats["requests"]),
                "request_total": sum(self.stats["requests"].values()),
            }
