"""bench/pipeline.py's report: the figures of each pass, then the summary and the RESULT line."""

from __future__ import annotations

import json
from collections import Counter

from bench.common import result_line, say
from bench.cpu import NCPU
from bench.pipeline_figures import (
    carrier_calls,
    cost_figures,
    graphql_summary,
    label_check,
    limit_for,
)
from bench.pipeline_orders import EXAMPLE_POLICY, POLICY

FAILED = result_line(ratio_w1="nan", ratio_w2="nan", ratio_w4="nan", ratio_min=0,
                     labels_per_parcel="nan", peak_rss_mb=0, policy_cost="nan",
                     first_rate_cost="nan", cheapest_cost="nan")


def report_pass(result: dict, latency_s: float) -> dict:
    lim = limit_for(result, latency_s)
    rate = result["fulfilled"] / result["elapsed"] if result["elapsed"] > 0 else 0.0
    ratio = rate / lim["limit"] if lim["limit"] else 0.0
    labels = label_check(result)
    say(f"  {result['fulfilled']} of {result['placed']} orders fulfilled in"
        f" {result['elapsed']:.1f}s (placing them took {result['placing_s']:.1f}s):"
        f" {rate:.2f} orders/s; limit {lim['limit']:.2f} orders/s ({lim['bound']}-bound):"
        f" ratio {ratio:.2f}")
    _say_carrier(result, lim, latency_s)
    _say_shopify(result, lim)
    say(f"  labels: {labels['buys']} bought for {labels['parcels']} parcels"
        f" ({labels['attempts']} buy requests); bought more than once: {len(labels['twice'])}"
        f"{' ' + str(dict(list(labels['twice'].items())[:5])) if labels['twice'] else ''};"
        f" parcels without a label: {labels['unbought']}; buys of unknown shipments:"
        f" {len(labels['unknown'])}")
    _say_database(result["db"])
    _say_jobs(result)
    other = _say_cpu(result["cpu"])
    return {"rate": rate, "ratio": ratio, "limit": lim, "labels": labels, "noisy": other > 0.2,
            "other": other}


def _say_carrier(result: dict, lim: dict, latency_s: float) -> None:
    window = carrier_calls(result["carrier_window"])
    later = ", ".join(f"{k} {v - window.get(k, 0)}"
                      for k, v in carrier_calls(result["carrier"]).items()
                      if v > window.get(k, 0))
    say(f"  carrier: {lim['calls_per_order']:.2f} API calls/order x {latency_s * 1000:.0f} ms"
        f" ({', '.join(f'{k} {v}' for k, v in window.items())}"
        + (f"; after the last fulfilment, not counted: {later}" if later else "")
        + f"); {result['workers']} worker(s) -> at most {lim['carrier_limit']:.2f} orders/s")


def _say_shopify(result: dict, lim: dict) -> None:
    say(f"  Shopify: {lim['points_per_order']:.1f} points/order actual ({lim['points']} points up"
        f" to the last fulfilment, {lim['points_all']} with the trailing work; the bucket held"
        f" {result['bucket_start']:.0f} at the start, restores {result['restore']:.0f}/s) -> at"
        f" least {lim['shopify_time']:.1f}s, at most {lim['shopify_limit']:.2f} orders/s for"
        f" {result['fulfilled']} orders ({lim['shopify_steady']:.2f} in the long run)")
    parts = []
    for op, e in sorted(graphql_summary(result["graphql"]).items(),
                        key=lambda kv: -kv[1]["actual"]):
        throttled = f", {e['throttled']} THROTTLED" if e["throttled"] else ""
        parts.append(f"{op} {e['calls']}x {e['actual'] / max(1, e['calls']):.1f} pts"
                     f" (requested {e['requested_max']}{throttled})")
    say("    " + "; ".join(parts))


def _say_database(db: dict) -> None:
    shipments = db["shipments"]
    parcels_per = Counter(Counter(p[0] for p in db["parcels"]).values())
    say(f"  orders {dict(sorted(db['states'].items()))}; shipments {len(shipments)}"
        f" {dict(Counter(s[1] for s in shipments))}; parcels per shipment"
        f" {dict(sorted(parcels_per.items()))}")
    if db["holds"]:
        say(f"  holds: {db['holds']}")
    say(f"  webhooks recorded {dict(sorted(db['deliveries'].items()))}")
    phases = db.get("phases")
    if phases and all(v is not None for v in phases):
        rel = [float(v) - db["t0_wall"] for v in phases]
        say(f"  phases (s after the first order, first-last): orders recorded"
            f" {rel[0]:.1f}-{rel[1]:.1f}, planned and rated {rel[2]:.1f}-{rel[3]:.1f}, labels"
            f" bought {rel[4]:.1f}-{rel[5]:.1f}, fulfilments pushed {rel[6]:.1f}-{rel[7]:.1f}")


def _say_jobs(result: dict) -> None:
    jobs = result["jobs"]["by_func"]
    busy = sum(t for _n, t in jobs.values())
    if jobs:
        say("  jobs (count, mean): "
            + ", ".join(f"{f} {n}x {t / n * 1000:.0f} ms"
                        for f, (n, t) in sorted(jobs.items(), key=lambda kv: -kv[1][1]))
            + f"; {busy:.0f} job-seconds for {result['workers']} worker(s) x"
              f" {result['elapsed']:.0f}s")
    stranded = result["db"].get("stranded") or []
    if stranded:
        say(f"  STRANDED: {len(stranded)} shipment(s) still 'rated' although every parcel has"
            f" its label (ids {stranded[:10]}): nothing will push them")
    errors = result["jobs"]["errors"]
    if errors:
        say("  errors in worker logs: " + "; ".join(f"{n}x {e}" for e, n in errors.most_common(4)))
    if result["failed_jobs"] or result["tracebacks"]:
        say(f"  RQ: {result['failed_jobs'] or 'no failed jobs'}; tracebacks in worker/clock logs:"
            f" {result['tracebacks']}")


def _say_cpu(cpu: dict) -> float:
    """Prints the pass's CPU by process group; returns the cores used outside the benchmark."""
    wall = cpu["wall"]
    other = cpu["other"] / wall if wall else 0.0
    say(f"  CPU (cores busy over {wall:.0f}s): workers {cpu['workers'] / wall:.2f},"
        f" clock {cpu['clock'] / wall:.2f}, gunicorn {cpu['gunicorn'] / wall:.2f},"
        f" postgres {cpu['postgres'] / wall:.2f}, sandboxes (this process)"
        f" {cpu['bench'] / wall:.2f}, anything else {other:.2f}; machine"
        f" {cpu['machine'] / wall:.2f} of {NCPU}"
        + (f"  NOISY: {other:.2f} cores used outside this benchmark" if other > 0.2 else ""))
    return other


def report_summary(results: list[dict], figures: dict, planned: int, latency_ms: float,
                   peak: float) -> tuple[str, int]:
    """The summary over the passes; returns the RESULT line and the exit status."""
    say("summary:")
    say(f"  limit = min(carrier, Shopify). Carrier: W / (carrier API calls per order x"
        f" {latency_ms:.0f} ms), as a job makes its calls one after another (the label file"
        f" download is not an API call and has no latency). Shopify: N x 100 / (points charged up"
        f" to the last fulfilment - the 2000 in the bucket at the start), points being the actual"
        f" costs the sandbox charged; 100 / points per order in the long run.")
    ratios = {}
    for r in results:
        f = figures[r["label"]]
        if r["label"].startswith("w"):
            ratios[r["workers"]] = f["ratio"]
        say(f"  {r['label']:<7} W={r['workers']}: {f['rate']:.2f} orders/s, limit"
            f" {f['limit']['limit']:.2f} ({f['limit']['bound']}; carrier"
            f" {f['limit']['carrier_limit']:.2f}, Shopify {f['limit']['shopify_limit']:.2f}),"
            f" ratio {f['ratio']:.2f}{'  NOISY' if f['noisy'] else ''}")
    labels = [figures[r["label"]]["labels"] for r in results]
    buys, parcels = sum(x["buys"] for x in labels), sum(x["parcels"] for x in labels)
    twice = sum(len(x["twice"]) for x in labels)
    lpp = buys / parcels if parcels else 0.0
    lpp_text = "1.0" if buys == parcels and parcels else f"{lpp:.4f}"
    say(f"  labels per parcel: {buys} labels / {parcels} parcels = {lpp_text};"
        f" carrier shipments bought more than once: {twice}")
    say(f"  peak worker memory (VmHWM): {peak:.0f} MB")
    policy_result = next((r for r in results if r["label"] == "policy"), None)
    costs = _say_costs(cost_figures(policy_result)) if policy_result is not None else None
    fulfilled_all = (all(r["fulfilled"] == r["orders"] for r in results)
                     and len(results) == planned)
    noisy = [r["label"] for r in results if figures[r["label"]]["noisy"]]
    if noisy:
        say(f"  NOISY passes (something else used over 0.2 cores): {', '.join(noisy)}: rerun when"
            f" quiet")
    aim = [w for w, v in ratios.items() if v < 0.8]
    say(f"  aim (ratio >= 0.8 at every worker count):"
        f" {'met' if not aim else 'missed at W=' + ','.join(map(str, aim))}")
    return _result(ratios, lpp_text, peak, costs), (
        0 if fulfilled_all and buys == parcels and not twice else 2)


def _say_costs(c: dict) -> dict:
    say(f"  label cost on the {c['shipments']} shipments of the policy pass"
        f" (policy {json.dumps(POLICY)}):")
    say(f"    policy {c['policy']:.2f} USD; always the first rate offered {c['first']:.2f} USD"
        f" ({(c['policy'] / c['first'] - 1) * 100:+.1f}% for the policy);"
        f" always the cheapest {c['cheapest']:.2f} USD"
        f" ({(c['policy'] / c['cheapest'] - 1) * 100:+.1f}%)")
    services = dict(c["services"].most_common())
    if c["first"] != c["cheapest"]:
        say(f"    services chosen: {services}; the first rate offered was the cheapest on"
            f" {c['same_first']}/{c['shipments']} shipments where the policy paid the first rate")
    else:
        say(f"    services chosen: {services}; the first rate offered was the cheapest on every"
            f" shipment (the sandbox lists USPS GroundAdvantage first)")
    say(f"    the issue's example policy {json.dumps(EXAMPLE_POLICY)} would pay"
        f" {c['example']:.2f} USD on the same shipments (the app's select_rate on the stored"
        f" offers)")
    return c


def _result(ratios: dict, lpp_text: str, peak: float, costs: dict | None) -> str:
    def r3(w):
        return f"{ratios[w]:.2f}" if w in ratios else "nan"

    ratio_min = min(ratios.values()) if ratios else 0.0
    cost = ({"policy_cost": f"{costs['policy']:.2f}", "first_rate_cost": f"{costs['first']:.2f}",
             "cheapest_cost": f"{costs['cheapest']:.2f}"} if costs else
            {"policy_cost": "nan", "first_rate_cost": "nan", "cheapest_cost": "nan"})
    return result_line(ratio_w1=r3(1), ratio_w2=r3(2), ratio_w4=r3(4),
                       ratio_min=f"{ratio_min:.2f}", labels_per_parcel=lpp_text,
                       peak_rss_mb=f"{peak:.0f}", **cost)
