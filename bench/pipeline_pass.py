"""bench/pipeline.py's passes: a fresh shop, N orders placed, followed until all are fulfilled.

The database, gunicorn and the sandbox Shopify live for the whole run; each pass empties the
tables and Redis, starts its own sandbox EasyPost, clock and W workers, and stops them after.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.app_env import app_settings, flask_cmd, process_env, start_gunicorn
from bench.common import say, session_token
from bench.cpu import CpuMeter, descendants, vm_hwm_mb
from bench.database import ThrowawayDatabase, fresh_redis, redis_url
from bench.pipeline_figures import job_stats
from bench.pipeline_orders import SKUS, order_spec
from bench.procs import Procs, free_port
from bench.rq_stats import queue_state
from bench.sandboxes import GraphqlMeter, start_shopify

REDIS_URL = redis_url(12)
CARRIER_KEY = "EZTK-bench-key"
QUEUES = ("webhooks", "shipping", "reconcile", "default")


class PipelineBench:
    def __init__(self, args, work: Path, procs: Procs):
        self.args, self.work, self.procs = args, work, procs
        self.db = ThrowawayDatabase("orderflow_bench_pipe")
        self.shopify = None
        self.carrier = None
        self.meter = GraphqlMeter(bucket=True)
        self.peak_rss: dict[str, float] = {}

    # --- infrastructure ----------------------------------------------------------------------

    def setup(self) -> None:
        import httpx

        self.db.create()
        with self.db.connect() as conn:
            self.tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version'")]
        self.redis = fresh_redis(REDIS_URL)
        self.meter.install()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.shopify = start_shopify(self.base, throttle_max=2000.0, throttle_restore=100.0)
        self.control = httpx.Client(base_url=self.shopify.url, timeout=30)
        self.base_env = process_env(app_settings(self.db.app_url, REDIS_URL, self.shopify.url,
                                                 self.base), EASYPOST_API_KEY=CARRIER_KEY)
        # The web tier never calls the carrier; it keeps running across passes.
        self.gunicorn = start_gunicorn(self.procs, "orderflow:create_app()", self.port, 2,
                                       self.base_env, ready="/", any_answer=True)

    def teardown(self) -> None:
        self.procs.stop()
        if self.carrier is not None:
            self.carrier.stop()
        if self.shopify is not None:
            self.shopify.stop()
        if self.args.keep:
            say(f"kept database {self.db.name} and logs in {self.work}")
        else:
            self.db.drop()

    # --- a pass ------------------------------------------------------------------------------

    def run_pass(self, label: str, workers: int, orders: int, policy: dict | None,
                 deadline: float) -> dict:
        from orderflow.sandbox.easypost import SandboxEasyPost

        with self.db.connect() as conn:
            conn.execute(f"TRUNCATE {', '.join(self.tables)} RESTART IDENTITY CASCADE")
        self.redis.flushdb()
        self.carrier = SandboxEasyPost(port=0, latency_ms=self.args.latency_ms,
                                       time_scale=0).start()
        env = dict(self.base_env, EASYPOST_API_BASE=f"{self.carrier.url}/v2")
        names = ["clock"] + [f"worker-{label}-{w}" for w in range(1, workers + 1)]
        self.procs.start("clock", flask_cmd("clock"), env)
        for name in names[1:]:
            self.procs.start(name, self._worker_cmd(name), env)
        try:
            return self._measure(label, workers, orders, policy, deadline, names)
        finally:
            for name in names[1:]:
                for pid in self.procs.pids(name):
                    self._note_rss(name, pid)
            self.procs.stop(names)
            self.carrier.stop()

    def _note_rss(self, key: str, pid: int) -> None:
        hwm = vm_hwm_mb(pid)
        if hwm is not None:
            self.peak_rss[key] = max(self.peak_rss.get(key, 0.0), hwm)

    def _worker_cmd(self, name: str) -> list[str]:
        """`flask --app orderflow worker`, under cProfile with --profile (written on its exit)."""
        cmd = flask_cmd("worker")
        if not self.args.profile:
            return cmd
        Path(self.args.profile).mkdir(parents=True, exist_ok=True)
        out = Path(self.args.profile) / f"{name}.prof"
        return [sys.executable, "-m", "cProfile", "-o", str(out), *cmd]

    def _install(self, label: str, policy: dict | None) -> tuple[str, int]:
        """A new shop with plenty of stock installs the app; its settings; its first sync."""
        import httpx

        domain = f"bench-pipe-{label}-{uuid.uuid4().hex[:6]}.myshopify.com"
        self.control.post("/sandbox/shops", json={"domain": domain}).raise_for_status()
        for sku in SKUS:
            self.control.post(f"/sandbox/shops/{domain}/inventory", json={
                "sku": sku, "location": "Main warehouse", "on_hand": 1_000_000}
            ).raise_for_status()
        response = httpx.get(f"{self.base}/api/orders", timeout=30,
                             headers={"Authorization": f"Bearer {session_token(domain)}"})
        if response.status_code != 200:
            raise RuntimeError(f"install through GET /api/orders: {response.status_code}"
                               f" {response.text[:300]}")
        settings = {"automation": "buy", **({"policy": policy} if policy else {})}
        with self.db.connect() as conn:
            shop_id = conn.execute("SELECT id FROM shops WHERE domain = %s",
                                   (domain,)).fetchone()[0]
            conn.execute("INSERT INTO shop_settings (shop_id, data, updated_at)"
                         " VALUES (%s, %s, now())", (shop_id, json.dumps(settings)))
            # The first sync (subscriptions, a reconciler pass) must be over before the clock
            # starts.
            end = time.monotonic() + 60
            while True:
                subs = self.control.get(f"/sandbox/shops/{domain}/webhook-subscriptions").json()
                synced = conn.execute("SELECT reconciled_through IS NOT NULL FROM shops"
                                      " WHERE id = %s", (shop_id,)).fetchone()[0]
                if len(subs) >= 3 and synced:
                    break
                self.procs.check()
                if time.monotonic() > end:
                    raise RuntimeError(f"the install's first sync did not finish:"
                                       f" {len(subs)} subscriptions")
                time.sleep(0.2)
        return domain, shop_id

    def _full_bucket(self, domain: str):
        """Waits until the shop's bucket is full, as a shop quiet for 20 s would have it."""
        bucket = self.shopify.store.bucket(domain)
        while True:
            with self.shopify.store.lock:
                available = bucket.available()
            if available >= bucket.maximum - 1:
                return bucket, available
            time.sleep(0.2)

    def _place(self, domain: str, orders: int) -> int:
        placed, errors = 0, []

        def place(k: int):
            return self.control.post(f"/sandbox/shops/{domain}/orders", json=order_spec(k))

        with ThreadPoolExecutor(4) as pool:
            for result in pool.map(place, range(orders)):
                if result.status_code == 201:
                    placed += 1
                else:
                    errors.append(result.status_code)
        if errors:
            say(f"  {len(errors)} orders could not be placed: {Counter(errors)}")
        return placed

    def _measure(self, label, workers, orders, policy, deadline, names) -> dict:
        domain, shop_id = self._install(label, policy)
        bucket, available = self._full_bucket(domain)
        meter = CpuMeter({
            "workers": lambda: self._worker_pids(names),
            "clock": lambda: self.procs.pids("clock"),
            "gunicorn": lambda: [self.gunicorn.pid, *descendants(self.gunicorn.pid)],
            "bench": lambda: [os.getpid()],
        })
        shown = json.dumps(policy or {"mode": "cheapest"})
        say(f"[{label}] {workers} worker(s), {orders} orders, policy {shown}, shop {domain}")
        meter.start()
        t0_mono, t0_wall = time.monotonic(), time.time()
        placed = self._place(domain, orders)
        placing_s = time.monotonic() - t0_mono
        with self.db.connect() as conn:
            follow = self._follow(conn, shop_id, placed, t0_mono, deadline, names)
            cpu = meter.stop()
            end_wall = conn.execute("SELECT extract(epoch FROM max(fulfilled_at)) FROM shipments"
                                    " WHERE shop_id = %s AND state = 'fulfilled'",
                                    (shop_id,)).fetchone()[0]
            elapsed = ((float(end_wall) - t0_wall) if end_wall is not None
                       else time.monotonic() - t0_mono)
            if not follow["stalled"]:
                self._settle(conn)
            db = self._db_figures(conn, shop_id)
            db["phases"] = _phases(conn, shop_id)
            db["t0_wall"] = t0_wall
        stats = self.carrier.stats()
        calls = self.meter.rows(domain, since=t0_mono)
        if os.environ.get("BENCH_DUMP_GRAPHQL"):
            with open(self.work / f"graphql-{label}.tsv", "w") as out:
                for row in calls:
                    out.write("\t".join(str(x) for x in (round(row[0] - t0_mono, 3), *row[2:]))
                              + "\n")
        return {
            "label": label, "workers": workers, "orders": orders, "placed": placed,
            "policy": policy, "domain": domain, "elapsed": elapsed, "placing_s": placing_s,
            "fulfilled": follow["fulfilled"], "stalled": follow["stalled"], "cpu": cpu, "db": db,
            "carrier": stats, "carrier_window": follow["window"] or stats, "graphql": calls,
            "t0": t0_mono, "t_end": t0_mono + elapsed, "failed_jobs": self._failed_jobs(),
            "tracebacks": sum(len(self.procs.grep(n, r"Traceback")) for n in names),
            "jobs": job_stats(self.work, names[1:]), "timeline": follow["timeline"],
            "bucket_start": available, "bucket_max": bucket.maximum, "restore": bucket.restore,
        }

    def _worker_pids(self, names: list[str]) -> list[int]:
        return [p for n in names[1:] for p in self.procs.pids(n)]

    def _follow(self, conn, shop_id: int, placed: int, t0_mono: float, deadline: float,
                names: list[str]) -> dict:
        """Polls until every order placed is fulfilled, the pass stalls or its time is up."""
        timeline, last_change, last_key, fulfilled = [], time.monotonic(), None, 0
        window = None  # the carrier's counters when the last fulfilment was seen
        stalled = False
        next_print = time.monotonic() + 15
        while True:
            states = dict(conn.execute(
                "SELECT state, count(*) FROM orders WHERE shop_id = %s GROUP BY state",
                (shop_id,)).fetchall())
            fulfilled = states.get("fulfilled", 0)
            now = time.monotonic()
            timeline.append((now - t0_mono, fulfilled))
            # Progress is any step of any order: states, shipments, labels, webhooks handled.
            key = (tuple(sorted(states.items())), _progress(conn, shop_id))
            if key != last_key:
                last_key, last_change = key, now
            for pid in self._worker_pids(names):
                self._note_rss(str(pid), pid)
            if fulfilled >= placed:
                window = self.carrier.stats()
                break
            if now - last_change > self.args.stall and self._idle(conn, shop_id):
                say(f"  no progress for {now - last_change:.0f}s and no work queued, running or"
                    f" scheduled: stopping this pass ({dict(sorted(states.items()))})")
                stalled = True
                break
            if now > deadline:
                say(f"  the pass ran out of time after {now - t0_mono:.0f}s ({states})")
                stalled = True
                break
            self.procs.check(names)
            if now >= next_print:
                say(f"  {now - t0_mono:5.0f}s  {dict(sorted(states.items()))}")
                next_print = now + 15
            time.sleep(0.25)
        return {"timeline": timeline, "fulfilled": fulfilled, "window": window,
                "stalled": stalled}

    def _settle(self, conn) -> None:
        """Lets the trailing work (orders/updated webhooks the fulfilments caused) finish, so the
        Shopify points per order include it."""
        settle = time.monotonic() + 10
        while time.monotonic() < settle:
            waiting = conn.execute("SELECT count(*) FROM webhook_deliveries WHERE status IN"
                                   " ('pending', 'queued')").fetchone()[0]
            queued = sum(self.redis.llen(f"rq:queue:{q}") for q in QUEUES)
            if not waiting and not queued and self.shopify.wait_webhooks_idle(0.1):
                break
            time.sleep(0.25)
        time.sleep(0.5)

    def _db_figures(self, conn, shop_id: int) -> dict:
        def rows(sql: str) -> list:
            return conn.execute(sql, (shop_id,)).fetchall()

        return {
            "states": dict(rows("SELECT state, count(*) FROM orders WHERE shop_id = %s"
                                " GROUP BY state")),
            "shipments": rows("SELECT id, state, cost, selection FROM shipments"
                              " WHERE shop_id = %s ORDER BY id"),
            "parcels": rows("SELECT shipment_id, position, carrier_shipment_id, rates, amount,"
                            " bought_at IS NOT NULL FROM parcels WHERE shop_id = %s"
                            " ORDER BY shipment_id, position"),
            "holds": rows("SELECT state, left(hold_reason, 160), count(*) FROM orders"
                          " WHERE shop_id = %s AND state NOT IN ('fulfilled')"
                          " AND hold_reason IS NOT NULL GROUP BY 1, 2 ORDER BY count(*) DESC"
                          " LIMIT 5"),
            "stranded": [r[0] for r in rows(
                "SELECT s.id FROM shipments s WHERE s.shop_id = %s AND s.state = 'rated'"
                " AND NOT EXISTS (SELECT 1 FROM parcels p WHERE p.shipment_id = s.id"
                " AND p.bought_at IS NULL) ORDER BY s.id")],
            "events": dict(rows("SELECT e.kind, count(*) FROM order_events e JOIN orders o"
                                " ON o.id = e.order_id WHERE o.shop_id = %s GROUP BY e.kind")),
            "deliveries": dict(rows("SELECT topic, count(*) FROM webhook_deliveries"
                                    " WHERE shop_id = %s GROUP BY topic")),
        }

    def _idle(self, conn, shop_id: int) -> bool:
        """Nothing queued, running or waiting for a retry in RQ, and no delivery waiting."""
        if any(r["queued"] or r["started"] or r["scheduled"]
               for r in queue_state(self.redis, QUEUES).values()):
            return False
        return not conn.execute("SELECT count(*) FROM webhook_deliveries WHERE shop_id = %s AND"
                                " status IN ('pending', 'queued')", (shop_id,)).fetchone()[0]

    def _failed_jobs(self) -> dict:
        return {name: {"failed": r["failed"], "scheduled_retries": r["scheduled"]}
                for name, r in queue_state(self.redis, QUEUES).items()
                if r["failed"] or r["scheduled"]}


def _progress(conn, shop_id: int) -> tuple:
    return conn.execute(
        "SELECT (SELECT count(*) FROM shipments WHERE shop_id = %(s)s),"
        " (SELECT count(*) FROM parcels WHERE shop_id = %(s)s AND bought_at IS NOT NULL),"
        " (SELECT count(*) FROM webhook_deliveries WHERE shop_id = %(s)s AND status = 'done')",
        {"s": shop_id}).fetchone()


def _phases(conn, shop_id: int) -> tuple:
    """When the first and the last order reached each step (epoch seconds)."""
    return conn.execute(
        "SELECT extract(epoch FROM min(o.created_at)), extract(epoch FROM max(o.created_at)),"
        " (SELECT extract(epoch FROM min(created_at)) FROM shipments WHERE shop_id = %(s)s),"
        " (SELECT extract(epoch FROM max(created_at)) FROM shipments WHERE shop_id = %(s)s),"
        " (SELECT extract(epoch FROM min(bought_at)) FROM parcels WHERE shop_id = %(s)s),"
        " (SELECT extract(epoch FROM max(bought_at)) FROM parcels WHERE shop_id = %(s)s),"
        " (SELECT extract(epoch FROM min(fulfilled_at)) FROM shipments WHERE shop_id = %(s)s),"
        " (SELECT extract(epoch FROM max(fulfilled_at)) FROM shipments WHERE shop_id = %(s)s)"
        " FROM orders o WHERE o.shop_id = %(s)s", {"s": shop_id}).fetchone()
