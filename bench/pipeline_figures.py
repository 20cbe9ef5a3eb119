"""bench/pipeline.py's figures of a pass: jobs, carrier calls, Shopify points, limits, costs."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from bench.pipeline_orders import EXAMPLE_POLICY
from bench.rq_stats import JOB_DONE, jobs_by_func

_ERROR_LINE = re.compile(r"^(?:[\w.]+(?:Error|Exception|InProgress|NotReadyYet)[^\n]*)$", re.M)


def job_stats(work: Path, names: list[str]) -> dict:
    """Jobs the workers finished, by function: count and seconds (RQ logs each one); and the
    error lines of their logs."""
    found, errors = [], Counter()
    for name in names:
        try:
            text = (work / f"{name}.log").read_text(errors="replace")
        except OSError:
            continue
        found += re.findall(JOB_DONE, text)
        for line in _ERROR_LINE.findall(text):
            errors[line[:140]] += 1
    return {"by_func": jobs_by_func(found), "errors": errors}


def carrier_calls(stats: dict) -> dict:
    """Carrier API calls (each one pays the latency) by endpoint name."""
    return {k: v for k, v in sorted((stats.get("requests") or {}).items())}


def graphql_summary(rows: list) -> dict:
    by_op: dict[str, dict] = defaultdict(lambda: {"calls": 0, "actual": 0, "requested_max": 0,
                                                  "throttled": 0})
    for row in rows:
        entry = by_op[row.operation]
        entry["calls"] += 1
        entry["actual"] += row.actual or 0
        entry["requested_max"] = max(entry["requested_max"], row.requested or 0)
        entry["throttled"] += bool(row.throttled)
    return dict(by_op)


def limit_for(result: dict, latency_s: float) -> dict:
    """What the carrier latency and the Shopify throttle allow for this pass (orders/s).

    Carrier: each carrier API call takes `latency_s` (the label file download is not an API call
    and has no latency), and a job makes its calls one after the other, so W workers need at least
    calls x latency / W seconds for the pass: carrier_limit = W / (calls_per_order x latency).
    The calls are those made by the time the last fulfilment was seen, as the time is measured up
    to it: work that follows a fulfilment (a tracker per parcel) and runs after the last one is
    neither timed nor counted.
    Shopify: the sandbox charges each query its actual cost, from a bucket of B points (full at
    the start: B0) restored at R points/s. The points the app spent between the first order and
    the last fulfilment, P, cannot come faster than B0 + R t, so the pass needs at least
    (P - B0) / R seconds: shopify_limit = N R / (P - B0); in the long run R / points_per_order.
    This is generous to the app (it lets the whole bucket be spent, although a query only goes
    through when the bucket holds its larger *requested* cost), so the ratio is not flattered.
    limit = the smaller of the two.
    """
    n = max(1, result["fulfilled"])
    calls = carrier_calls(result["carrier_window"])
    latency_calls = sum(calls.values())
    calls_per_order = latency_calls / n
    carrier_time = latency_calls * latency_s / result["workers"]
    rows = result["graphql"]
    points_all = sum(r.actual or 0 for r in rows)
    points = sum(r.actual or 0 for r in rows if r.at <= result["t_end"])
    per_order = points_all / n
    max_requested = max((r.requested or 0 for r in rows), default=0)
    restore = result["restore"]
    shopify_time = max(0.0, points - result["bucket_start"]) / restore
    carrier_limit = n / carrier_time if carrier_time else float("inf")
    shopify_limit = n / shopify_time if shopify_time else float("inf")
    limit = min(carrier_limit, shopify_limit)
    return {"calls_per_order": calls_per_order, "carrier_limit": carrier_limit,
            "points_per_order": per_order, "max_requested": max_requested,
            "shopify_limit": shopify_limit,
            "shopify_steady": restore / per_order if per_order else 0.0, "limit": limit,
            "bound": "carrier" if carrier_limit <= shopify_limit else "Shopify throttle",
            "points": points, "points_all": points_all, "shopify_time": shopify_time,
            "carrier_time": carrier_time}


def label_check(result: dict) -> dict:
    buys = (result["carrier"].get("buys") or {})
    parcels = result["db"]["parcels"]
    ids = {p[2] for p in parcels if p[2]}
    twice = {sid: n for sid, n in buys.items() if n > 1}
    unknown = [sid for sid in buys if sid not in ids]
    unbought = [p for p in parcels if not p[5]]
    return {"buys": sum(buys.values()), "parcels": len(parcels), "twice": twice,
            "unknown": unknown, "unbought": len(unbought),
            "attempts": sum((result["carrier"].get("buy_attempts") or {}).values())}


def _rates(offered: list[dict]) -> list:
    """The app's Rate objects for stored offers, as `select_rate` takes them."""
    from orderflow.fulfilment.types import Money, Rate

    return [Rate(id=f"{r['carrier']}/{r['service']}", carrier=r["carrier"], service=r["service"],
                 amount=Money(Decimal(r["amount"]), r.get("currency") or "USD"),
                 delivery_days=r.get("delivery_days"),
                 delivery_date=(date.fromisoformat(r["delivery_date"][:10])
                                if r.get("delivery_date") else None))
            for r in offered]


def cost_figures(result: dict) -> dict:
    """Per shipment: what the policy chose, the first rate offered, the cheapest offered.

    First rate offered: the carrier lists rates per parcel; a shipment travels with one service,
    so "the first rate" is the service the carrier listed first for the first parcel, summed over
    the shipment's parcels (for a one-parcel shipment, simply the first rate in the list).
    Cheapest: the lowest of the shipment's offered (combined) rates, before any policy filter.
    """
    from orderflow.fulfilment.carrier_selection import select_rate
    from orderflow.fulfilment.shop_settings import read_settings

    example = read_settings({"policy": EXAMPLE_POLICY}).policy
    parcels = defaultdict(list)
    for shipment_id, _pos, _sid, rates, _amount, _bought in result["db"]["parcels"]:
        parcels[shipment_id].append(rates or [])
    chosen = first = cheapest = example_total = Decimal(0)
    counted, same_first, same_cheapest = 0, 0, 0
    services = Counter()
    for shipment_id, _state, cost, selection in result["db"]["shipments"]:
        if cost is None or not selection or not selection.get("chosen"):
            continue
        offered = [selection["chosen"], *selection.get("alternatives", [])]
        by_service = {f"{r['carrier']}/{r['service']}": Decimal(r["amount"]) for r in offered}
        boxes = parcels.get(shipment_id) or []
        if not boxes or not boxes[0]:
            continue
        first_service = boxes[0][0]["service"]
        if first_service in by_service:
            first_amount = by_service[first_service]
        else:  # not offered for every parcel: each parcel's own first rate
            first_amount = sum(Decimal(b[0]["amount"]) for b in boxes if b)
        low = min(by_service.values())
        chosen += Decimal(cost)
        first += first_amount
        cheapest += low
        counted += 1
        same_first += Decimal(cost) == first_amount
        same_cheapest += Decimal(cost) == low
        services[f"{selection['chosen']['carrier']} {selection['chosen']['service']}"] += 1
        picked = select_rate(_rates(offered), example).rate
        example_total += picked.amount.amount if picked else Decimal(0)
    return {"shipments": counted, "policy": chosen, "first": first, "cheapest": cheapest,
            "example": example_total, "same_first": same_first, "same_cheapest": same_cheapest,
            "services": services}
