"""bench/tracking_burst.py's report: intake, sync, Shopify, emails, state; the RESULT line."""

from __future__ import annotations

import time
from collections import Counter

from bench.common import result_line, say
from bench.cpu import NCPU
from bench.stats import median
from bench.tracking_run import THROTTLE_RESTORE, BurstBench

FAILED = result_line(events_per_s=0, p99_ms=0, synced_s="nan", emails_per_status="nan", lost=-1)


def report(bench: BurstBench) -> tuple[str, int]:
    """Print the figures; returns the RESULT line and the exit status."""
    say("figures:")
    events_per_s, p99 = report_intake(bench)
    report_sync(bench)
    report_shopify(bench)
    emails_text, exact = report_emails(bench.checks)
    lost = report_state(bench)
    say(f"total time {time.monotonic() - bench.started:.0f}s")
    synced = f"{bench.synced_s:.1f}" if bench.synced_s is not None else "nan"
    line = result_line(events_per_s=f"{events_per_s:.0f}", p99_ms=f"{p99:.1f}", synced_s=synced,
                       emails_per_status=emails_text, lost=lost)
    return line, 0 if bench.synced_s is not None and lost == 0 and exact else 2


def report_intake(bench: BurstBench) -> tuple[float, float]:
    real, baseline = bench.real, bench.baseline
    pairs = [rf["rate"] / bf["rate"] for rf, bf in zip(real, baseline, strict=False)
             if bf["rate"]]
    events_per_s, p99 = median([f["rate"] for f in real]), median([f["p99_ms"] for f in real])
    total_ok, total_wall = sum(f["ok"] for f in real), sum(f["wall"] for f in real)
    say(f"  intake: {events_per_s:.0f} events/s accepted (median of {len(real)} slices;"
        f" {total_ok} 2xx in {total_wall:.1f}s of sending ="
        f" {total_ok / total_wall if total_wall else 0:.0f}/s),"
        f" p50 {median([f['p50_ms'] for f in real]):.1f} ms, p99 {p99:.1f} ms"
        f" (medians of the slices)")
    say(f"  baseline (signature check + one INSERT): {median([f['rate'] for f in baseline]):.0f}"
        f" events/s, p99 {median([f['p99_ms'] for f in baseline]):.1f} ms; ratio"
        f" intake/baseline {median(pairs):.2f} (median of paired slices"
        f" {', '.join(f'{p:.2f}' for p in pairs)}); {bench.base_rows} baseline rows")
    say(f"  gunicorn CPU per request: intake {median([f['cpu_ms'] for f in real]):.1f} ms,"
        f" baseline {median([f['cpu_ms'] for f in baseline]):.1f} ms (medians; steadier than"
        f" rates on a busy machine)")
    say_cpu("while sending", bench.cpu_burst)
    return events_per_s, p99


def report_sync(bench: BurstBench) -> None:
    if bench.synced_s is not None:
        say(f"  synced: {bench.synced_s:.1f}s from the first event sent until every shipment's"
            f" last status was Shopify's latest event for it and every notice was finished"
            f" (sending took {bench.burst_end - bench.t_first:.1f}s)")
        events, notices = bench.drained
        say(f"  drain: {events} events and {notices} notices handled by {bench.args.rq_workers}"
            f" RQ workers in {bench.synced_s:.0f}s:"
            f" {(events + notices) / bench.synced_s:.1f} jobs/s,"
            f" {len(bench.histories) / bench.synced_s:.2f} shipments/s")
    else:
        s = bench.watcher.latest() or {"deliveries": {}, "notices": {}, "shopify": 0}
        say(f"  NOT synced within the budget: deliveries {s['deliveries']}, notices"
            f" {s['notices']}, Shopify in sync {s['shopify']}/{len(bench.histories)}")
    first, last_in, last_done = bench.phases
    if first is not None and last_done is not None:
        def rel(moment) -> float:
            return float(moment) - float(first)

        say(f"  phases (s after the first recorded event): last event recorded"
            f" {rel(last_in):.1f}, last event processed {rel(last_done):.1f}"
            + "".join(f", {ch} notices sent {rel(a):.1f}-{rel(b):.1f}"
                      for ch, a, b in bench.notice_times if a is not None))
    _say_jobs(bench)
    say_cpu("from the first event to the sync", bench.cpu_sync)


def _say_jobs(bench: BurstBench) -> None:
    bf = bench.jobs["by_func"]
    if bf:
        by_time = sorted(bf.items(), key=lambda kv: -kv[1][1])
        say("  jobs (count, mean): "
            + ", ".join(f"{f} {n}x {s / n * 1000:.0f} ms" for f, (n, s) in by_time))
    runs = bench.jobs["notice_runs"]
    more = sum(n - 1 for n in runs.values() if n > 1)
    if more:
        say(f"  notice jobs run more than once: {sum(1 for n in runs.values() if n > 1)} notices,"
            f" {more} extra runs")
    if bench.rq:
        say(f"  RQ at the end: {bench.rq}")
    if bench.jobs["errors"]:
        say("  errors in worker logs: " + "; ".join(
            f"{n}x {e}" for e, n in bench.jobs["errors"].most_common(4)))


def report_shopify(bench: BurstBench) -> None:
    calls, checks = bench.calls, bench.checks
    points = sum(c.actual or 0 for c in calls)
    floor = max(0.0, points - bench.bucket_start) / THROTTLE_RESTORE
    say(f"  Shopify: {len(calls)} GraphQL calls {dict(Counter(c.operation for c in calls))},"
        f" {points} points, {sum(1 for c in calls if c.throttled)} THROTTLED; the throttle alone"
        f" needs >= {floor:.1f}s for them (bucket {bench.bucket_start:.0f} at the start); at the"
        f" standard 100 points/s: >= {max(0.0, points - 2000) / 100:.0f}s")
    say(f"  Shopify events: {checks['shopify_events']} created"
        f" {dict(checks['shopify_by_status'])}; {checks['superseded']} skipped as superseded by a"
        f" later status; the same status twice on a fulfilment: {checks['pushed_twice']}; an"
        f" earlier status created after a later one: {checks['stale_pushes']}; fulfilments"
        f" whose latest event is not the last status: {len(checks['shopify_wrong'])}")
    if checks["shopify_wrong"]:
        say(f"    e.g. {[w[:3] for w in checks['shopify_wrong'][:5]]}")
    ns = checks["notice_states"]
    kinds = sorted({(c, k) for c, k, _s in ns})
    say("  notices: " + ", ".join(
        f"{ch}/{kind} " + "/".join(f"{st} {n}" for (c2, k2, st), n in sorted(ns.items())
                                   if (c2, k2) == (ch, kind)) for ch, kind in kinds))
    if checks["notice_errors"]:
        say("    not sent: " + "; ".join(f"{n}x {ch} {st}: {err}" for (ch, st, err), n in
                                        checks["notice_errors"].most_common(5)))


def report_emails(c: dict) -> tuple[str, bool]:
    exact = bool(c["due"]) and not c["off"] and not c["extra"] and not c["unknown_mail"]
    text = "1.0" if exact else f"{c['mails'] / c['due']:.4f}" if c["due"] else "nan"
    say(f"  emails: the SMTP server received {c['mails']} ({dict(c['received_by_kind'])});"
        f" {c['due']} (shipment, email) pairs were due (customer emails and merchant alerts; the"
        f" seeded 'shipped' is not); received for them {c['received_due']}, at most"
        f" {c['max_per_status']} for one; {len(c['off'])} pairs with 0 or 2+, {len(c['extra'])}"
        f" emails not due, {c['unknown_mail']} without a notice's Message-ID,"
        f" {c['shipped_resent']} 'shipped' sent again; (To, Subject) pairs received twice:"
        f" {c['subject_dupes']}")
    if c["off"] or c["extra"]:
        say(f"    off: {c['off'][:8]}{' ...' if len(c['off']) > 8 else ''}"
            f" not due: {c['extra'][:8]}")
    say(f"  'out for delivery' emails sent after the delivery was known: {c['late_ofd']}"
        f" (after the 'delivered' email itself: {c['ofd_after']})")
    return text, exact


def report_state(bench: BurstBench) -> int:
    """Prints what our database holds against the histories; returns `lost`."""
    c = bench.checks
    say(f"  our database: {len(c['db_wrong'])} shipments whose status is not their history's"
        f" last (shipment, parcel, delivered_at); orders {dict(c['order_states'])}")
    if c["db_wrong"]:
        say(f"    e.g. {c['db_wrong'][:5]}")
    say(f"  deliveries: {c['recorded']} tracker events recorded for {len(bench.accepted)}"
        f" distinct ids answered 2xx; {len(c['unrecorded'])} answered 2xx but not recorded;"
        f" states {dict(c['deliveries'])}"
        + (f"; {len(c['unsure'])} unrecorded among requests the generator could not match to an"
           f" answer" if c["unsure"] else ""))
    for status, error, n in c["delivery_errors"]:
        say(f"    {n}x {status}: {error}")
    wrong = {k for k, *_ in c["db_wrong"]} | {k for k, *_ in c["shopify_wrong"]}
    if bench.synced_s is None and wrong:
        say(f"  lost counts {len(wrong)} shipments not in sync when the budget ran out")
    return len(c["unrecorded"]) + len(wrong)


def say_cpu(when: str, cpu: dict) -> None:
    wall = cpu["wall"] or 1.0
    other = cpu["other"] / wall
    say(f"  CPU {when} ({wall:.0f}s, cores busy): gunicorn {cpu['gunicorn'] / wall:.2f}, RQ"
        f" workers {cpu['workers'] / wall:.2f}, clock {cpu['clock'] / wall:.2f}, postgres"
        f" {cpu['postgres'] / wall:.2f}, generator {cpu['generator'] / wall:.2f}, this process"
        f" (sandbox, SMTP, watcher) {cpu['bench'] / wall:.2f}, anything else {other:.2f};"
        f" machine {cpu['machine'] / wall:.2f} of {NCPU}"
        + (f"  NOISY: {other:.2f} cores used outside this benchmark" if other > 0.2 else ""))
