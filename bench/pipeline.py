#!/usr/bin/env python3
"""Pipeline benchmark: orders from the orders/create webhook to a pushed Shopify fulfilment.

    python bench/pipeline.py                   (PostgreSQL and Redis up; see bench/README.md)

For each worker count W (1, 2, 4), on a fresh shop in an emptied database (bench/pipeline_pass.py):

1. The sandbox Shopify (in this process, Shopify's standard throttle: 2,000-point bucket, 100
   points/s restored) and the sandbox EasyPost (in this process, every API call answered after
   `--latency-ms`, 150 ms by default, slept without holding a lock).
2. The app as production runs it: gunicorn (2 sync workers), one `flask --app orderflow clock`,
   W `flask --app orderflow worker` (RQ SimpleWorkers on every queue).
3. The shop installs the app (session token on GET /api/orders) with `automation: buy`; N orders
   are placed in the sandbox with `deliver: true`, so each one sends a signed orders/create webhook
   to gunicorn; the app then plans, buys one label per parcel and pushes the fulfilment.
4. Time from the first order placed to the last fulfilment pushed (shipments.fulfilled_at), and
   the limit that the carrier latency and the Shopify throttle allow for W workers (see `limit_for`
   in bench/pipeline_figures.py).

Then one extra pass (W=`--policy-workers`) with a shop whose rate policy is not plain "cheapest",
to compare what the policy paid against always taking the first rate offered, and the cheapest.

The last line is `RESULT ratio_w1=... ratio_w2=... ratio_w4=... ratio_min=... labels_per_parcel=...
peak_rss_mb=... policy_cost=... first_rate_cost=... cheapest_cost=...`.
Exit status: 0 when every order was fulfilled with exactly one label per parcel, 2 when not, 1 when
the run failed.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import app_version, say
from bench.cpu import NCPU
from bench.pipeline_orders import POLICY
from bench.pipeline_pass import PipelineBench
from bench.pipeline_report import FAILED, report_pass, report_summary
from bench.procs import Procs


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="orders per pass")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--policy-workers", type=int, default=2,
                        help="workers for the extra pass with a non-default rate policy (0: skip"
                             " it)")
    parser.add_argument("--policy-orders", type=int, default=None,
                        help="orders in the policy pass (default: half of --orders)")
    parser.add_argument("--latency-ms", type=float, default=150.0,
                        help="carrier latency per API call")
    parser.add_argument("--stall", type=float, default=20.0,
                        help="seconds without progress, with no job queued, running or scheduled,"
                             " before a pass gives up on the orders left")
    parser.add_argument("--budget", type=float, default=580.0,
                        help="seconds the whole run may take; a pass gives up in time")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--profile", metavar="DIR", default="",
                        help="run each worker under cProfile, writing DIR/<worker>.prof"
                             " (slows the workers: for finding where time goes, not for figures)")
    return parser, parser.parse_args(argv)


def run(args, bench: PipelineBench, started: float) -> tuple[str, int]:
    """The passes in turn, each with what the budget leaves; the RESULT line and exit status."""
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    policy_orders = args.policy_orders or max(1, args.orders // 2)
    bench.setup()
    plan = [(f"w{w}", w, args.orders, None) for w in counts]
    if args.policy_workers:
        plan.append(("policy", args.policy_workers, policy_orders, POLICY))
    results, figures = [], {}
    for i, (label, workers, n, policy) in enumerate(plan):
        left = args.budget - (time.monotonic() - started)
        # Keep at least 25 s for each pass still to come and for cleanup.
        deadline = time.monotonic() + left - 25 * (len(plan) - i)
        if deadline - time.monotonic() < 30:
            say(f"[{label}] skipped: the budget is spent")
            continue
        result = bench.run_pass(label, workers, n, policy, deadline)
        results.append(result)
        figures[label] = report_pass(result, args.latency_ms / 1000.0)
    peak = max(bench.peak_rss.values(), default=0.0)
    line, exit_code = report_summary(results, figures, len(plan), args.latency_ms, peak)
    say(f"total time {time.monotonic() - started:.0f}s")
    return line, exit_code


def main(argv=None) -> int:
    parser, args = parse_args(argv)
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    procs = Procs(work)
    bench = PipelineBench(args, work, procs)
    exit_code, line = 1, None

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    say(f"pipeline bench: {args.orders} orders per pass, workers {counts}, carrier latency"
        f" {args.latency_ms:.0f} ms, Shopify throttle 2000 points / 100 per s; {NCPU} CPUs;"
        f" app at {app_version()}")
    if args.orders < 1000:
        say(f"  (the issue asks for 1,000 orders per pass; the default is"
            f" {parser.get_default('orders')} so that the whole run fits in 10 minutes on a"
            f" 2-core machine: see bench/README.md)")
    try:
        line, exit_code = run(args, bench, started)
    except BaseException as exc:  # noqa: BLE001
        say(f"bench failed: {type(exc).__name__}: {exc}")
        procs.say_tails(say)
        if isinstance(exc, KeyboardInterrupt):
            exit_code = 130
    finally:
        bench.teardown()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    say(line or FAILED)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
