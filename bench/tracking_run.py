"""bench/tracking_burst.py's run: the app's processes, the seeding, the burst, the wait for sync.

`BurstBench` holds what the report (bench/tracking_report.py) reads afterwards.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import loadgen, wrk
from bench.app_env import app_settings, flask_cmd, process_env, start_gunicorn
from bench.common import say, session_token
from bench.cpu import CpuMeter, descendants
from bench.database import ThrowawayDatabase, fresh_redis, redis_url
from bench.procs import Procs, free_port
from bench.rq_stats import queue_state
from bench.sandboxes import GraphqlMeter, start_shopify
from bench.tracking_checks import check_run, job_stats
from bench.tracking_histories import FINAL_SHOPIFY, build_histories, burst_order, disorder
from bench.tracking_load import (
    BASELINE_PATH,
    CARRIER_SECRET,
    REAL_PATH,
    accepted_ids,
    raw_request,
    slice_figures,
    write_slice,
)
from bench.tracking_seed import SHOP, seed
from bench.tracking_watch import MailCounter, Watcher

REDIS_URL = redis_url(10)
THROTTLE_MAX, THROTTLE_RESTORE = 20000.0, 1000.0  # Shopify Plus-like; standard is 2000 / 100
QUEUE_NAMES = ("webhooks", "shipping", "tracking", "email", "reconcile", "default")


class BurstBench:
    """One run: infrastructure, the app's processes, seeding, the burst, the wait, the figures."""

    def __init__(self, args, generator: str):
        self.args, self.generator = args, generator
        self.run_slice = wrk.run_once if generator == "wrk" else loadgen.run_once
        self.files = 1 if generator == "wrk" else args.threads  # request files per slice
        self.started = time.monotonic()
        self.work = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
        self.procs = Procs(self.work)
        self.db = ThrowawayDatabase("orderflow_bench_track")
        self.shopify = self.smtp = self.watcher = self.engine = None

    # --- infrastructure and the app ----------------------------------------------------------

    def setup(self) -> None:
        from aiosmtpd.controller import Controller
        from sqlalchemy import create_engine

        from bench.tracking_app import BASELINE_TABLE

        self.db.create()
        self.db.execute(BASELINE_TABLE)
        self.redis = fresh_redis(REDIS_URL)
        self.engine = create_engine(self.db.app_url)
        self.meter = GraphqlMeter()
        self.meter.install()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.shopify = start_shopify(self.base, throttle_max=THROTTLE_MAX,
                                     throttle_restore=THROTTLE_RESTORE)
        self.shopify.store.create_shop(SHOP)
        self.mail = MailCounter()
        self.smtp = Controller(self.mail, hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        env = process_env(
            app_settings(self.db.app_url, REDIS_URL, self.shopify.url, self.base),
            CARRIER_WEBHOOK_SECRET=CARRIER_SECRET, MAIL_FROM="shipping@bench.example",
            SMTP_URL=f"smtp://127.0.0.1:{self.smtp.port}",
            # No carrier API is needed: the burst brings the news. A call would fail, and show.
            EASYPOST_API_BASE=f"http://127.0.0.1:{free_port()}/v2",
            RECONCILE_INTERVAL_SECONDS="3600")
        self.start_app(env)

    def start_app(self, env: dict) -> None:
        self.gunicorn = start_gunicorn(self.procs, "bench.tracking_app:create()", self.port,
                                       self.args.workers, env)
        self.procs.start("clock", flask_cmd("clock"), env)
        self.workers = [f"worker-{w}" for w in range(1, self.args.rq_workers + 1)]
        for name in self.workers:
            self.procs.start(name, flask_cmd("worker"), env)
        self.groups = {
            "gunicorn": lambda: [self.gunicorn.pid, *descendants(self.gunicorn.pid)],
            "workers": lambda: [p for n in self.workers for p in self.procs.pids(n)],
            "clock": lambda: self.procs.pids("clock"), "bench": lambda: [os.getpid()]}

    def install(self) -> None:
        """The shop installs the app (session token on GET /api/orders); its first sync ends."""
        import httpx

        t = time.monotonic()
        response = httpx.get(f"{self.base}/api/orders", timeout=30, headers={
            "Authorization": f"Bearer {session_token(SHOP)}"})
        if response.status_code != 200:
            raise RuntimeError(f"install through GET /api/orders: {response.status_code}"
                               f" {response.text[:300]}")
        with self.db.connect() as conn:
            self.shop_id = conn.execute("SELECT id FROM shops WHERE domain = %s",
                                        (SHOP,)).fetchone()[0]
            end = time.monotonic() + 60
            while not conn.execute("SELECT reconciled_through IS NOT NULL FROM shops"
                                   " WHERE id = %s", (self.shop_id,)).fetchone()[0]:
                self.procs.check()
                if time.monotonic() > end:
                    raise RuntimeError("the install's first sync did not finish in 60 s")
                time.sleep(0.2)
        say(f"install and first sync: {time.monotonic() - t:.1f}s")

    def prepare(self) -> None:
        """The histories, the order they are sent in, and the shipments they are about."""
        args = self.args
        t = time.monotonic()
        self.histories = build_histories(args.shipments, args.events, args.duplicates, args.seed,
                                         f"{self.base}{REAL_PATH}")
        self.order = burst_order(self.histories, args.events, args.seed, args.jitter)
        mess = disorder(self.order, self.histories)
        built_s, t = time.monotonic() - t, time.monotonic()
        self.seeded = seed(self.histories, self.shopify, self.shop_id, self.engine)
        seed_s = time.monotonic() - t
        per = Counter(len(h.events) for h in self.histories)
        sizes = sorted(len(e.body) for e in self.order)
        say(f"seeded {args.shipments} fulfilled shipments (sandbox orders + fulfilments, app rows)"
            f" in {seed_s:.1f}s; histories built in {built_s:.1f}s")
        say(f"burst: {len(self.order)} events, {mess['unique']} unique"
            f" ({len(self.order) - mess['unique']} sent twice); {dict(sorted(per.items()))}"
            f" events per shipment; outcomes {dict(Counter(h.outcome for h in self.histories))};"
            f" body {sizes[0]}-{sizes[-1]} bytes (median {sizes[len(sizes) // 2]})")
        say(f"disorder: {mess['late']} first sends ({mess['late'] / mess['unique']:.0%}) come"
            f" after a later event of their shipment; {mess['status_back']} after a later status;"
            f" the final event is not the last one sent for {mess['final_not_last']} shipments")

    # --- load ----------------------------------------------------------------------------------

    def send(self, name: str, requests: list[bytes]) -> tuple[dict, dict, list[list[int]]]:
        """One slice: write its request files, send them, measure gunicorn's CPU meanwhile."""
        assigned = write_slice(self.work, name, requests, self.files)
        self.procs.check()
        web_cpu = CpuMeter({"gunicorn": self.groups["gunicorn"]})
        web_cpu.start()
        result = self.run_slice(self.work, name, self.port, self.files, self.args.connections,
                                len(requests))
        web = web_cpu.stop()
        for tid in range(1, self.files + 1):
            (self.work / f"{name}.{tid}.req").unlink(missing_ok=True)
        figures = slice_figures(result)
        figures["cpu_ms"] = web["gunicorn"] / max(1, figures["answered"] + figures["probes"]) * 1000
        return result, figures, assigned

    def warm_up(self) -> None:
        """Events for tracking codes nobody has: answered 200 "ignored", nothing recorded."""
        stranger = copy.deepcopy(json.loads(self.histories[0].events[0].body))
        warm = []
        for i in range(400):
            stranger["id"] = f"evt_warmup{i:08d}"
            stranger["result"]["tracking_code"] = f"9400WARMUP{i:012d}"
            body = json.dumps(stranger, separators=(",", ":")).encode()
            warm.append(raw_request(REAL_PATH if i % 2 else BASELINE_PATH, self.port, body))
        _result, figures, _assigned = self.send("warmup", warm)
        self.db.execute("TRUNCATE bench_tracking_baseline")
        say(f"warm-up: {figures['ok']} of {len(warm)} answered 2xx")

    def burst(self) -> None:
        """The slices, real and baseline in turn, while the watcher follows the drain."""
        args = self.args
        expected = {h.k: FINAL_SHOPIFY[h.final] for h in self.histories}
        self.watcher = Watcher(self.db.url, self.shopify, expected,
                               self.seeded["fulfillments"]).start()
        self.meter_t0 = time.monotonic()
        with self.shopify.store.lock:
            self.bucket_start = self.shopify.store.bucket(SHOP).available()
        cpu_burst, self.cpu_all = CpuMeter(self.groups), CpuMeter(self.groups)
        self.cpu_all.start()
        cpu_burst.start()
        n = len(self.order)
        slices = [self.order[i * n // args.rounds:(i + 1) * n // args.rounds]
                  for i in range(args.rounds)]
        self.accepted, self.unsure = set(), set()
        self.real, self.baseline, self.t_first = [], [], None
        say("load (rate = 2xx answers / time from the slice's first request to its last answer):")
        for r, events in enumerate(slices, start=1):
            share = events[:max(1, int(len(events) * args.baseline_share))]
            for kind, path, chosen in (("burst", REAL_PATH, events),
                                       ("baseline", BASELINE_PATH, share)):
                self._slice(f"{kind}-{r}", kind, path, chosen)
        self.burst_end = time.monotonic()
        self.watcher.sending_done.set()
        self.cpu_burst = cpu_burst.stop()
        self.accepted -= self.unsure

    def _slice(self, name: str, kind: str, path: str, chosen: list) -> None:
        requests = [raw_request(path, self.port, e.body) for e in chosen]
        result, figures, assigned = self.send(name, requests)
        if kind == "burst":
            self.t_first = self.t_first or figures["t_first"]
            known, dunno = accepted_ids(result, assigned, chosen)
            self.accepted |= known
            self.unsure |= dunno
            self.real.append(figures)
        else:
            self.baseline.append(figures)
        say(f"  {name:<11} {figures['ok']:6d}/{len(requests):<6d} 2xx {figures['rate']:7.0f}/s"
            f"  p50 {figures['p50_ms']:6.1f} ms  p90 {figures['p90_ms']:6.1f} ms"
            f"  p99 {figures['p99_ms']:6.1f} ms  max {figures['max_ms']:7.1f} ms"
            f"  gunicorn {figures['cpu_ms']:4.1f} ms CPU/request"
            + (f"  other answers {figures['bad']}" if figures["bad"] else "")
            + (f"  pings {figures['probes']}" if figures["probes"] else "")
            + (f"  errors {figures['errors']}" if figures["errors"] else ""))

    def wait_for_sync(self) -> None:
        """Until Shopify and the customers have been told, or the budget is spent."""
        deadline = self.started + self.args.budget - 40
        next_print = time.monotonic() + 15
        watcher = self.watcher
        while watcher.synced_at is None:
            now = time.monotonic()
            if watcher.error is not None:
                raise RuntimeError(f"the watcher failed: {watcher.error!r}")
            if now > deadline:
                say(f"  gave up waiting at {now - self.t_first:.0f}s after the first event"
                    f" (--budget)")
                break
            self.procs.check()
            if now >= next_print and watcher.latest():
                s = watcher.latest()
                say(f"  {now - self.t_first:5.0f}s deliveries"
                    f" {dict(sorted(s['deliveries'].items()))}"
                    f" notices {dict(sorted(s['notices'].items()))} Shopify in sync"
                    f" {s['shopify']}/{len(self.histories)}")
                next_print = now + 15
            time.sleep(0.25)
        synced_at = watcher.synced_at
        self.synced_s = (synced_at - self.t_first) if synced_at is not None else None
        self.cpu_sync = self.cpu_all.stop()
        time.sleep(3.0)  # a little longer, so that a late duplicate (an email twice) is still seen
        watcher.stop()

    def sabotage(self, n: int) -> None:
        """Checks the checker: after the sync, N emails arrive a second time, N shipments lose
        their last Shopify event, N others step back in our database. Expect N pairs with 2
        emails and lost=2N."""
        import smtplib
        from email.message import EmailMessage

        mails = self.mail.snapshot()[:n]
        with smtplib.SMTP("127.0.0.1", self.smtp.port, timeout=10) as smtp:
            for m in mails:
                again = EmailMessage()
                again["Message-ID"], again["To"] = m["message_id"], m["to"]
                again["Subject"] = m["subject"]
                again["From"] = "shipping@bench.example"
                again.set_content("sent twice")
                smtp.send_message(again)
        ks = sorted(self.seeded["fulfillments"])
        with self.shopify.store.lock:
            shop = self.shopify.store.shop(SHOP)
            for k in ks[:n]:
                shop.fulfillments[self.seeded["fulfillments"][k]].events.pop()
        with self.db.connect() as conn:
            ids = [self.seeded["shipment_ids"][k] for k in ks[n:2 * n]]
            conn.execute("UPDATE shipments SET tracking_status = 'in_transit' WHERE id = ANY(%s)",
                         (ids,))
        say(f"SABOTAGE: {len(mails)} emails sent again, {min(n, len(ks))} last Shopify events"
            f" removed, {len(ids)} shipments set back to in_transit")

    def collect(self) -> None:
        self.rq = queue_state(self.redis, QUEUE_NAMES)
        with self.db.connect() as conn:
            self.checks = check_run(conn, self.histories, self.seeded, self.shopify,
                                    self.mail.snapshot(), self.accepted, self.unsure)
            self.base_rows = conn.execute(
                "SELECT count(*) FROM bench_tracking_baseline").fetchone()[0]
            self.phases = conn.execute(
                "SELECT extract(epoch FROM min(received_at)), extract(epoch FROM max(received_at)),"
                " extract(epoch FROM max(finished_at)) FROM webhook_deliveries"
                " WHERE topic LIKE 'tracker.%'").fetchone()
            self.drained = conn.execute(
                "SELECT (SELECT count(*) FROM webhook_deliveries WHERE topic LIKE 'tracker.%%' AND"
                " finished_at IS NOT NULL), (SELECT count(*) FROM notices WHERE kind <> 'shipped'"
                " AND state NOT IN ('pending', 'sending'))").fetchone()
            self.notice_times = conn.execute(
                "SELECT channel, extract(epoch FROM min(sent_at)), extract(epoch FROM max(sent_at))"
                " FROM notices WHERE kind <> 'shipped' GROUP BY channel").fetchall()
        self.calls = self.meter.rows(since=self.meter_t0)
        self.jobs = job_stats(self.procs)

    def teardown(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.procs.stop()
        for thing in (self.smtp, self.shopify):
            if thing is not None:
                thing.stop()
        if self.engine is not None:
            self.engine.dispose()
        if self.args.keep:
            say(f"kept database {self.db.name} and logs in {self.work}")
        else:
            self.db.drop()
            shutil.rmtree(self.work, ignore_errors=True)
