#!/usr/bin/env python3
"""Tracking burst benchmark: a burst of signed carrier tracker webhooks against the running app.

    python bench/tracking_burst.py        (PostgreSQL and Redis up; `apt-get install wrk` advised)

The question: when a carrier flushes a backlog of tracker updates at once, with duplicates and out
of order, how fast does the app accept them, how long until Shopify and the customers have been
told, and is everyone told exactly once? The issue asks for 20,000 events over 2,000 shipments
(`--shipments 2000 --events 20000 --budget 1700`). The default is a fifth of that, 4,000 events
over 400 shipments, because the drain, not the intake, sets the run's length: on a 2-core machine
the app gets through 15 to 38 jobs/s (some 14 jobs per shipment), so 2,000 shipments take 12
minutes or more, and the whole run must fit in 10 (see bench/README.md).

What runs (bench/README.md says what every figure means):

1. A throwaway PostgreSQL database (migrated), Redis db 10 (flushed), in this process: the sandbox
   Shopify with a Shopify Plus-like throttle (20,000-point bucket, 1,000 points/s: at the standard
   100 points/s, up to 6,000 fulfilment events for 2,000 shipments, 10 points each, could take
   10 minutes by themselves) and a real SMTP server (aiosmtpd) that keeps every message it accepts.
2. The app as production runs it: gunicorn (sync workers) serving `bench.tracking_app:create()`
   (the real app plus a baseline route), one `flask --app orderflow clock`, and
   `--rq-workers` `flask --app orderflow worker` processes. They run from before the burst to
   the end: the burst is drained while it arrives, as it would be in production.
3. Seeding, the fastest honest way: the shop installs the app for real (session token on
   GET /api/orders, then its first sync). For each shipment, an order and its fulfilment (with the
   tracking number) are made in the sandbox Shopify by the very functions its control API and its
   `fulfillmentCreate` mutation call, in this process, without HTTP and without webhooks (nothing
   in the app would see them: no subscription covers fulfilments). The matching rows are then
   inserted in bulk through the app's own models, in the state `push_fulfilment` and then
   `start_tracking` leave them: order `fulfilled`, shipment `fulfilled` with its
   `shopify_fulfillment_id`, `fulfilled_at` and `tracking_token`, one parcel with its label
   bought (`tracking_code`, `bought_at`) and its tracker created (`tracker_id`, no status yet),
   and the "shipped" email recorded as sent. Running 2,000 real orders through the pipeline
   instead would take minutes of the 10 allowed; this takes seconds and the tracking code under
   test reads exactly these rows. The shop's reconciler interval is set to an hour, so that no
   reconciler pass re-reads the seeded orders during the run.
4. The burst, built like the sandbox carrier builds trackers (its tracking codes, messages and
   Tracker/Event shapes): per shipment a history pre_transit -> in_transit (several scans) ->
   out_for_delivery -> delivered, a few percent ending in failure or return_to_sender. Each event
   is a signed `tracker.updated` Event with a unique `evt_` id, whose Tracker carries the
   cumulative tracking_details and an increasing updated_at. About 10% are then sent twice (the
   same bytes, later), and the order is shuffled: shipments interleaved, and each shipment's own
   events partly out of order.
5. The burst is cut into `--rounds` slices. Each real slice (to POST /webhooks/easypost) is
   followed by a baseline slice: the same signed bodies to POST /bench/tracking-baseline, which
   does the least a lossless intake can do. Both kinds of slice see the same background (the
   drain running), so their paired ratio compares the intakes, not the load. Load comes from wrk
   (a Lua script that sends each prepared request once) or, without wrk, from Python processes.
6. Until every shipment's last status is Shopify's latest fulfilment event for it and every
   notice is finished (or the budget is spent), the bench polls the database and the sandbox.
   Then it checks: the database against each history; Shopify's events; the notices; the emails
   the SMTP server really received, by Message-ID and by To+Subject.

The last line is `RESULT events_per_s=... p99_ms=... synced_s=... emails_per_status=... lost=...`.
Exit status 0 when everything was synced, nothing was lost and every (shipment, email) that was
due arrived exactly once; 2 when not; 1 when the run failed.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import app_version, say
from bench.cpu import NCPU
from bench.tracking_report import FAILED, report
from bench.tracking_run import THROTTLE_MAX, THROTTLE_RESTORE, BurstBench


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shipments", type=int, default=400,
                        help="fulfilled shipments to track (the issue's size: 2000; see"
                             " bench/README.md)")
    parser.add_argument("--events", type=int, default=4000,
                        help="events in the burst, duplicates included (the issue's size: 20000)")
    parser.add_argument("--duplicates", type=float, default=0.10,
                        help="share of the unique events sent a second time")
    parser.add_argument("--jitter", type=float, default=1.5,
                        help="reordering within a shipment, in positions of its history (+/-)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="real slices of the burst, each followed by a baseline slice")
    parser.add_argument("--baseline-share", type=float, default=0.5,
                        help="a baseline slice sends this share of the real slice before it")
    parser.add_argument("--connections", type=int, default=16, help="generator connections")
    parser.add_argument("--threads", type=int, default=2,
                        help="processes of the Python generator (wrk always runs one thread)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rq-workers", type=int, default=3,
                        help="`flask --app orderflow worker` processes")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--seed", type=int, default=7,
                        help="seed of the histories and the shuffle")
    parser.add_argument("--budget", type=float, default=560.0,
                        help="seconds the whole run may take; the wait for the sync gives up in"
                             " time")
    parser.add_argument("--sabotage", type=int, default=0, metavar="N",
                        help="check the checker: after the sync, send N emails again, remove N"
                             " last Shopify events, set N shipments back (expect N pairs with 2"
                             " emails, lost=2N)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args(argv)
    if args.shipments < 1 or args.events < 4 * args.shipments:
        parser.error("need --events >= 4 x --shipments (a history has at least 4 events)")
    if args.generator == "auto":
        args.generator = "wrk" if shutil.which("wrk") else "python"
    if args.generator == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), or use --generator python")
    return args


def run(args, bench: BurstBench) -> tuple[str, int]:
    bench.setup()
    bench.install()
    bench.prepare()
    bench.warm_up()
    bench.burst()
    bench.wait_for_sync()
    if args.sabotage:
        bench.sabotage(args.sabotage)
    bench.collect()
    return report(bench)


def main(argv=None) -> int:
    args = parse_args(argv)
    generator = args.generator

    from orderflow.queue.calls import QUEUES

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    bench = BurstBench(args, generator)
    say(f"tracking burst: {args.events} events over {args.shipments} shipments"
        f" (~{args.duplicates:.0%} sent twice, reordered), {args.rounds} slices; generator"
        f" {generator} ({'1 thread' if generator == 'wrk' else f'{bench.files} processes'},"
        f" {args.connections} connections); gunicorn {args.workers} sync workers,"
        f" {args.rq_workers} RQ workers; {NCPU} CPUs; app at {app_version()}")
    say(f"RQ workers take jobs from the queues in this order: {', '.join(QUEUES)}")
    say(f"Shopify throttle: a Shopify Plus-like bucket of {THROTTLE_MAX:.0f} points restored at"
        f" {THROTTLE_RESTORE:.0f}/s (standard shops: 2000 / 100), as every fulfilment event costs"
        f" 10")
    line, exit_code = None, 1
    try:
        line, exit_code = run(args, bench)
    except BaseException as exc:  # noqa: BLE001
        say(f"bench failed: {type(exc).__name__}: {exc}")
        if not isinstance(exc, (KeyboardInterrupt, SystemExit)):
            say(traceback.format_exc(limit=-4).rstrip())
        bench.procs.say_tails(say)
        if isinstance(exc, KeyboardInterrupt):
            exit_code = 130
    finally:
        bench.teardown()
    say(line or FAILED)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
