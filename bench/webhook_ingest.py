#!/usr/bin/env python3
"""Webhook intake benchmark: signed `orders/create` webhooks against the app under gunicorn.

    python bench/webhook_ingest.py     (PostgreSQL and Redis up; `apt-get install wrk` advised)

What it does, end to end (see bench/README.md for what each figure means):

1. A throwaway PostgreSQL database (migrated), Redis db 13 (flushed), the sandbox Shopify in this
   process with a Shopify Plus-like throttle, one shop.
2. gunicorn (sync workers) serving `bench.ingest_app:create()`: the real app plus
   `POST /bench/baseline` (HMAC check + one durable INSERT ... ON CONFLICT DO NOTHING + commit).
3. The shop installs the app (session token on GET /api/orders); one real order is made in the
   sandbox and cloned into distinct ~5 KB+ `orders/create` bodies, each signed with a unique
   X-Shopify-Webhook-Id (bench/ingest_requests.py).
4. Load from wrk (or, without wrk, a multi-process Python client; bench/wrk.py, bench/loadgen.py)
   on loopback: a warm-up of each route, then alternating phases baseline, intake, baseline,
   intake, ... Each phase sends fresh webhook ids and ends cleanly: after its deadline no new
   request starts, and the phase is over once every request sent has its response, so the ids
   answered are known exactly.
5. The real pipeline drains what was accepted: `flask --app orderflow clock` and two
   `flask --app orderflow worker`, until no delivery is pending or queued.
6. lost = ids answered 2xx but not recorded, plus deliveries not `done` after the drain;
   processed_twice = deliveries with more than one received/updated/stale_update_ignored event
   (bench/ingest_figures.py).

The last line is `RESULT rps=... p50_ms=... p99_ms=... baseline_rps=... ratio=... lost=...
processed_twice=...`. Exit status 0 when the run completed and lost == processed_twice == 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import ingest_figures, loadgen, wrk
from bench.app_env import app_settings, flask_cmd, process_env, start_gunicorn
from bench.common import result_line, say, session_token
from bench.cpu import NCPU, CpuMeter, descendants
from bench.database import ThrowawayDatabase, fresh_redis, redis_url
from bench.ingest_requests import SHOP, Payloads, RequestMaker
from bench.procs import Procs, free_port
from bench.pyspy import report_profiles, start_profilers
from bench.sandboxes import start_shopify
from bench.stats import median

REDIS_URL = redis_url(13)
INTAKE, BASELINE, HMAC = "/webhooks/shopify", "/bench/baseline", "/bench/hmac"
FAILED = result_line(rps=0, p50_ms=0, p99_ms=0, baseline_rps=0, ratio=0, lost=-1,
                     processed_twice=-1)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measured phase")
    parser.add_argument("--warmup", type=float, default=1.5, help="seconds of warm-up per route")
    parser.add_argument("--rounds", type=int, default=5, help="baseline+intake phase pairs")
    parser.add_argument("--connections", type=int, default=16,
                        help="generator connections; 2 sync workers serve 2 at a time, the rest"
                             " queue")
    parser.add_argument("--threads", type=int, default=2, help="generator threads (or processes)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rq-workers", type=int, default=2,
                        help="RQ workers draining after the load")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--drain-timeout", type=float, default=420.0,
                        help="seconds the drain may take (also cut to fit --budget)")
    parser.add_argument("--budget", type=float, default=570.0,
                        help="seconds the whole run may take; the drain gives up in time")
    parser.add_argument("--calibrate", action="store_true",
                        help="also measure POST /bench/hmac (the HMAC check alone)")
    parser.add_argument("--profile", metavar="PY_SPY", nargs="?", const="py-spy", default=None,
                        help="sample the gunicorn workers with py-spy during the first baseline"
                             " and intake phases (those phases run slower) and print where time"
                             " goes")
    parser.add_argument("--sabotage", type=int, default=0, metavar="N",
                        help="check the checker: delete N recorded deliveries before the drain"
                             " and duplicate N received events after it (expect lost=N"
                             " processed_twice=N)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database and files (debugging)")
    args = parser.parse_args(argv)
    if args.generator == "auto":
        args.generator = "wrk" if shutil.which("wrk") else "python"
    if args.generator == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), or use --generator python")
    return args


class IngestBench:
    """One run: the database, the sandbox and gunicorn; the load; the drain; the checks."""

    def __init__(self, args):
        self.args = args
        self.run_phase = wrk.run_phase if args.generator == "wrk" else loadgen.run_phase
        self.started = time.monotonic()
        self.work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
        self.procs = Procs(self.work)
        self.db = ThrowawayDatabase("orderflow_bench")
        self.sandbox = None

    def setup(self) -> None:
        import httpx

        from bench.ingest_app import BASELINE_TABLE

        self.db.create()
        self.db.execute(BASELINE_TABLE)
        fresh_redis(REDIS_URL)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.sandbox = start_shopify(self.base, throttle_max=20000.0, throttle_restore=1000.0)
        self.control = httpx.Client(base_url=self.sandbox.url, timeout=30)
        self.control.post("/sandbox/shops", json={"domain": SHOP}).raise_for_status()
        self.env = process_env(app_settings(self.db.app_url, REDIS_URL, self.sandbox.url,
                                            self.base))
        self.gunicorn = start_gunicorn(self.procs, "bench.ingest_app:create()", self.port,
                                       self.args.workers, self.env)

    def payloads(self) -> None:
        """The shop installs the app; one real order of it becomes the template of the load."""
        import httpx

        args = self.args
        response = httpx.get(f"{self.base}/api/orders", timeout=30,
                             headers={"Authorization": f"Bearer {session_token(SHOP)}"})
        if response.status_code != 200:
            raise RuntimeError(f"install through GET /api/orders: {response.status_code}"
                               f" {response.text}")
        variants = self.control.get(f"/sandbox/shops/{SHOP}").json().get("variants", [])
        skus = [v["sku"] for v in variants if v.get("requires_shipping") and v.get("tracked")]
        sku = ("MUG-BLUE" if any(v["sku"] == "MUG-BLUE" for v in variants)
               else (skus or ["MUG-BLUE"])[0])
        order = self.control.post(f"/sandbox/shops/{SHOP}/orders", json={
            "line_items": [{"sku": sku, "quantity": 1}], "deliver": False})
        order.raise_for_status()
        payloads = Payloads(order.json())
        self.maker = RequestMaker(payloads, self.port)
        sample = payloads.body(0)
        threads = "threads" if args.generator == "wrk" else "processes"
        say(f"generator: {args.generator} ({args.threads} {threads}, {args.connections}"
            f" connections); gunicorn {args.workers} sync workers on {self.base}; {NCPU} CPUs")
        say(f"payload: a sandbox orders/create document ({sku}) cloned, {len(sample)} bytes of"
            f" JSON; request {len(self.maker.request(INTAKE, 'x' * 36))} bytes with headers")
        self.maker.next_order = 1

    def plan(self) -> list[tuple[str, str, float]]:
        args = self.args
        plan = [("warmup-baseline", BASELINE, args.warmup), ("warmup-intake", INTAKE, args.warmup)]
        for r in range(1, args.rounds + 1):
            plan += [(f"baseline-{r}", BASELINE, args.duration),
                     (f"intake-{r}", INTAKE, args.duration)]
        if args.calibrate:
            plan.insert(2, ("hmac-only", HMAC, args.duration))
        return plan

    def phase(self, name: str, path: str, duration: float, count: int) -> tuple:
        """One phase: its request files, the load, its figures (and profile with --profile)."""
        args, gunicorn = self.args, self.gunicorn
        ids = self.maker.write_phase(self.work, name, path, count, args.threads)
        if gunicorn.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + self.procs.tail("gunicorn"))
        profilers = []
        if args.profile and name in ("hmac-only", "baseline-1", "intake-1"):
            workers = descendants(gunicorn.pid)
            profilers = start_profilers(args.profile, self.work, name, workers, duration)
        self.meter.start()
        result = self.run_phase(self.work, name, self.port, duration, args.threads,
                                args.connections)
        cpu = self.meter.stop()
        for t in range(1, args.threads + 1):
            (self.work / f"{name}.{t}.req").unlink(missing_ok=True)
        summary = ingest_figures.phase_summary(name, result, duration, cpu)
        if profilers:
            report_profiles(profilers)
        return result, summary, ids, bool(profilers)

    def load(self) -> None:
        """Warm-ups, then baseline and intake phases in turn; the medians and paired ratios."""
        gunicorn = self.gunicorn
        self.meter = CpuMeter({"server": lambda: [gunicorn.pid, *descendants(gunicorn.pid)],
                               "bench": lambda: [os.getpid()]})
        self.intake_ids: list[tuple[dict, list[list[str]]]] = []
        self.baseline_ok = 0
        fastest = {BASELINE: 2000.0, INTAKE: 2000.0, HMAC: 6000.0}
        summaries = []
        say("load phases (rate = answers before the deadline / phase length):")
        for name, path, duration in self.plan():
            # Enough requests that a phase never runs out (running out would resend ids: counted).
            count = int(max(fastest[path], 1000.0) * duration * 2.5) + 500
            result, summary, ids, profiled = self.phase(name, path, duration, count)
            fastest[path] = max(fastest[path], summary["rps"])
            if path == INTAKE:
                self.intake_ids.append((result, ids))
            elif path == BASELINE:
                self.baseline_ok += summary["ok"]
            if not name.startswith("warmup") and not profiled:
                summaries.append((path, summary))
        intake = [s for p, s in summaries if p == INTAKE]
        baseline = [s for p, s in summaries if p == BASELINE]
        self.rps = median([s["rps"] for s in intake])
        self.baseline_rps = median([s["rps"] for s in baseline])
        self.p50 = median([s["p50_ms"] for s in intake])
        self.p99 = median([s["p99_ms"] for s in intake])
        # Each intake phase against the baseline phase just before it: noise from outside the
        # benchmark hits single phases, so the median of paired ratios resists it best.
        pairs = [i["rps"] / b["rps"] for i, b in zip(intake, baseline, strict=False) if b["rps"]]
        self.ratio = median(pairs) if pairs else 0.0
        self.gen_share = median([s["gen_share"] for s in intake + baseline])
        say(f"intake {self.rps:.0f} req/s (p50 {self.p50:.1f} ms, p99 {self.p99:.1f} ms) vs"
            f" baseline {self.baseline_rps:.0f} req/s: ratio {self.ratio:.2f}  (medians of"
            f" {len(intake)} phases each; ratio: median of {len(pairs)} paired phases"
            f" {', '.join(f'{p:.2f}' for p in pairs)})")
        self.procs.stop(["gunicorn"])

    def drain(self) -> None:
        """The real pipeline until no delivery is pending or queued (or the time is up)."""
        args, procs = self.args, self.procs
        workers = [f"worker-{w}" for w in range(1, args.rq_workers + 1)]
        procs.start("clock", flask_cmd("clock"), self.env)
        for name in workers:
            procs.start(name, flask_cmd("worker"), self.env)
        say(f"draining with 1 clock and {args.rq_workers} RQ workers ...")
        drain_start = time.monotonic()
        drain_limit = min(args.drain_timeout, args.budget - (drain_start - self.started) - 25)
        self.timed_out = 0
        with self.db.connect() as conn:
            total = conn.execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0]
            last_print = 0.0
            while True:
                counts = dict(conn.execute(
                    "SELECT status, count(*) FROM webhook_deliveries GROUP BY status").fetchall())
                waiting = counts.get("pending", 0) + counts.get("queued", 0)
                elapsed = time.monotonic() - drain_start
                if not waiting:
                    break
                if elapsed > drain_limit:
                    say(f"  drain gave up after {elapsed:.0f}s with {waiting} deliveries waiting"
                        f" ({(total - waiting) / elapsed:.1f} deliveries/s): they count as lost"
                        f" below")
                    self.timed_out = waiting
                    break
                procs.check()
                if elapsed - last_print >= 10:
                    say(f"  {elapsed:5.0f}s {dict(sorted(counts.items()))}")
                    last_print = elapsed
                time.sleep(0.5)
        drain_s = time.monotonic() - drain_start
        finished = total - waiting
        say(f"  {finished} of {total} deliveries finished in {drain_s:.1f}s"
            f" ({finished / drain_s:.1f}/s with {args.rq_workers} RQ workers):"
            f" {dict(sorted(counts.items()))}")
        procs.stop(["clock", *workers])

    def sabotage_intake(self, n: int) -> None:
        with self.db.connect() as conn:
            conn.execute("DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM"
                         " webhook_deliveries ORDER BY random() LIMIT %s)", (n,))
        say(f"SABOTAGE: deleted {n} recorded deliveries")

    def sabotage_events(self, n: int) -> None:
        with self.db.connect() as conn:
            conn.execute("INSERT INTO order_events (shop_id, order_id, kind, message, source,"
                         " delivery_id, created_at) SELECT shop_id, order_id, kind, message,"
                         " source, delivery_id, created_at FROM order_events WHERE kind ="
                         " 'received' AND delivery_id IS NOT NULL LIMIT %s", (n,))
        say(f"SABOTAGE: duplicated {n} received events")

    def check(self) -> tuple[str, int]:
        """The checks and the last figures; returns the RESULT line and the exit status."""
        with self.db.connect() as conn:
            db = ingest_figures.after_drain(conn)
        losses = ingest_figures.intake_losses(self.intake_ids, db["recorded"])
        lost = ingest_figures.report_checks(losses, db, self.timed_out, self.baseline_ok)
        twice = db["twice"]
        say(f"generator CPU: median {self.gen_share:.0%} of the machine ({NCPU} cores)")
        verdicts = []
        if self.ratio < 0.9:
            verdicts.append(f"ratio {self.ratio:.2f} < 0.9")
        if self.p99 >= 50:
            verdicts.append(f"p99 {self.p99:.1f} ms >= 50 ms")
        say("aim (ratio >= 0.9, p99 < 50 ms): "
            + ("met" if not verdicts else "missed: " + ", ".join(verdicts)))
        say(f"total time {time.monotonic() - self.started:.0f}s")
        line = result_line(rps=f"{self.rps:.0f}", p50_ms=f"{self.p50:.1f}",
                           p99_ms=f"{self.p99:.1f}", baseline_rps=f"{self.baseline_rps:.0f}",
                           ratio=f"{self.ratio:.2f}", lost=lost, processed_twice=twice)
        return line, 0 if lost == 0 and twice == 0 else 2

    def teardown(self) -> None:
        self.procs.stop()
        if self.sandbox is not None:
            self.sandbox.stop()
        if not self.args.keep:
            self.db.drop()
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            say(f"kept database {self.db.name} and files in {self.work}")


def main(argv=None) -> int:
    args = parse_args(argv)
    bench = IngestBench(args)
    line, exit_code = None, 1

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        bench.setup()
        bench.payloads()
        bench.load()
        if args.sabotage:
            bench.sabotage_intake(args.sabotage)
        bench.drain()
        if args.sabotage:
            bench.sabotage_events(args.sabotage)
        line, exit_code = bench.check()
    except BaseException as exc:
        say(f"bench failed: {type(exc).__name__}: {exc}")
        bench.procs.say_tails(say)
        if isinstance(exc, KeyboardInterrupt):
            exit_code = 130
    finally:
        bench.teardown()
    say(line or FAILED)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
