#!/usr/bin/env python3
"""Admin pages benchmark: the orders list and an order's page with 100,000 orders in PostgreSQL.

    python bench/admin_pages.py               (PostgreSQL and Redis up; see bench/README.md)

What it does, end to end (bench/README.md says what each figure means):

1. A throwaway PostgreSQL database (migrated), Redis db 5 (`BENCH_REDIS_URL`, flushed before and
   after), the sandbox Shopify in this process.
2. The shop installs the app for real: a session token on GET /api/orders (token exchange with
   the sandbox). A second shop is seeded beside it, so every query has another tenant to skip.
3. Seeding, server side (`INSERT ... SELECT` over generate_series, so nothing crosses the wire):
   100,000 orders over two years with their customers, line items, timelines, shipments, parcels
   (rates, tracking codes, carrier events), notices and alerts, in the mix of states a live shop
   has; then VACUUM ANALYZE (bench/admin_seed.py). Deterministic: the same rows on every run.
   Foreign-key triggers are off while seeding (the rows are generated consistent), so the bench
   connects as a superuser.
4. The real app (`orderflow.create_app`) in this process, driven through Flask's test client (WSGI,
   no network), each request with a fresh session token as the embedded admin sends. Server time
   is the time of the WSGI call, authentication included.
5. A warm-up round, then `--rounds` rounds. Each round requests every list variant once (the first
   page, each filter, each kind of search, the last page, a filtered deep page), the next
   `--walk` pages of a walk down the list by its cursor, and `--orders-per-round` order pages.
6. Queries per request are counted with SQLAlchemy's `before_cursor_execute`. The N+1 check asks
   for the first page at 10 and 100 rows, and for the order with the most shipments, parcels and
   events against an order with one of each: the counts must not change.

The last line is `RESULT orders=... list_p50_ms=... list_p99_ms=... order_p99_ms=...
queries_per_request=...` (the most queries any measured request made). Exit status 0 when the run
completed with constant query counts, 2 when a count grew with the data, 1 when the run failed.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import signal
import sys
import time
from array import array
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.admin_seed import SEED_HEAVY, seed_all
from bench.app_env import app_settings
from bench.common import result_line, say, session_token
from bench.cpu import CpuWatch
from bench.database import ThrowawayDatabase, fresh_redis, redis_url
from bench.sandboxes import start_shopify
from bench.stats import percentile

REDIS_URL = redis_url(5)
SHOP, OTHER_SHOP = "bench-admin.myshopify.com", "bench-admin-other.myshopify.com"
NEXT = re.compile(r'before=(\d+)[^"]*" rel="next"')
ORDER_LINK = re.compile(r'data-order-id="(\d+)"')
HOST = "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYmVuY2g"  # what Shopify's admin passes, base64


class GcWatch:
    """Python's full collections (generation 2) over a phase: a pause every request may meet."""

    def __enter__(self):
        self.pauses: list[float] = []
        self.started = 0.0
        gc.callbacks.append(self._note)
        return self

    def _note(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self.started) * 1000)

    def __exit__(self, *_exc):
        gc.callbacks.remove(self._note)

    def line(self) -> str:
        if not self.pauses:
            return "full garbage collections: none"
        return (f"full garbage collections: {len(self.pauses)}, longest {max(self.pauses):.0f} ms,"
                f" {sum(self.pauses):.0f} ms in all")


# ------------------------------------------------------------------------------------------------
# The run


class AdminBench:
    def __init__(self, args):
        self.args = args
        self.db = ThrowawayDatabase("orderflow_bench_admin")
        self.shopify = None
        self.redis = None
        self.queries = 0

    # --- infrastructure ----------------------------------------------------------------------

    def setup(self) -> None:
        self.db.create()
        self.redis = fresh_redis(REDIS_URL)
        self.shopify = start_shopify("http://127.0.0.1:9")

    def start_app(self) -> None:
        from sqlalchemy import event

        from orderflow import create_app

        self.app = create_app(app_settings(self.db.app_url, REDIS_URL, self.shopify.url,
                                           "http://127.0.0.1:9"))
        self.svc = self.app.extensions["orderflow"]
        self.client = self.app.test_client()
        event.listen(self.svc.db.engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.queries += 1

    def install(self, domain: str) -> int:
        import httpx
        from sqlalchemy import text

        httpx.post(f"{self.shopify.url}/sandbox/shops", json={"domain": domain},
                   timeout=30).raise_for_status()
        answer = self.client.get("/api/orders",
                                 headers={"Authorization": f"Bearer {session_token(domain)}"})
        if answer.status_code != 200:
            raise RuntimeError(f"install of {domain}: {answer.status_code}"
                               f" {answer.get_data(as_text=True)[:300]}")
        with self.svc.db.engine.connect() as conn:
            return conn.execute(text("SELECT id FROM shops WHERE domain = :d"),
                                {"d": domain}).scalar_one()

    def cleanup(self) -> None:
        if self.shopify is not None:
            self.shopify.stop()
        if getattr(self, "svc", None) is not None:
            self.svc.db.dispose()
        if self.redis is not None:
            self.redis.flushdb()
        if not self.args.keep:
            self.db.drop()

    # --- data --------------------------------------------------------------------------------

    def seed(self) -> None:
        from sqlalchemy import text

        started = time.monotonic()
        self.shop_id = self.install(SHOP)
        other_id = self.install(OTHER_SHOP)
        with self.svc.db.engine.begin() as conn:
            took = seed_all(conn, [(self.shop_id, self.args.orders, 1_000_000),
                                   (other_id, self.args.other_orders, 5_000_000)])
            for sql in SEED_HEAVY:
                conn.execute(text(sql), {"shop": self.shop_id, "base": 1_000_000})
        self.db.execute("VACUUM ANALYZE")
        self.describe_data(time.monotonic() - started, took)

    def describe_data(self, seconds: float, took: dict) -> None:
        from sqlalchemy import text

        with self.svc.db.engine.connect() as conn:
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in took}
            mine = conn.execute(text("SELECT count(*) FROM orders WHERE shop_id = :s"),
                                {"s": self.shop_id}).scalar()
            size = conn.execute(text(
                "SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        self.orders = mine
        say(f"seeded in {seconds:.1f} s ({size}): {mine:,} orders in the measured shop, "
            f"{counts['orders'] - mine:,} in the other; "
            + ", ".join(f"{t} {n:,} ({took[t]:.1f} s)" for t, n in counts.items()))

    def variants(self) -> dict[str, dict]:
        """The list pages a merchant asks for, with values picked from the seeded data."""
        from sqlalchemy import text

        q = {"s": self.shop_id}
        n = self.orders
        with self.svc.db.engine.connect() as conn:
            def one(sql: str, **params):
                return conn.execute(text(sql), {**q, **params}).scalar()

            lo, hi = conn.execute(text("SELECT min(id), max(id) FROM orders WHERE shop_id = :s"),
                                  q).one()
            # An array, not a list: 100,000 ints the garbage collector need not walk.
            self.order_ids = array("q", conn.execute(
                text("SELECT id FROM orders WHERE shop_id = :s"), q).scalars())
            email = one("SELECT email FROM orders WHERE shop_id = :s AND shopify_id = :n",
                        n=1_000_000 + n * 5 // 9)
            code = one("SELECT tracking_code FROM parcels WHERE shop_id = :s AND tracking_code"
                       " IS NOT NULL ORDER BY id OFFSET :k LIMIT 1", k=n * 3 // 10)
            month = one("SELECT shopify_created_at::date FROM orders WHERE shop_id = :s"
                        " AND shopify_id = :n", n=1_000_000 + n * 4 // 10).replace(day=1)
        month_range = {"from": month.isoformat(), "to": month.replace(day=28).isoformat()}
        return {
            "first page": {}, "state ready": {"state": "ready"},
            "state on hold": {"state": "on_hold"}, "hold payment": {"hold": "payment"},
            "one month": dict(month_range), "hold stock + month": {"hold": "stock", **month_range},
            "carrier DHL": {"carrier": "DHL"},
            "carrier UPS in transit": {"carrier": "UPS", "state": "in_transit"},
            "search #name": {"q": f"#{1000 + n * 5 // 9}"},
            "search number": {"q": str(1000 + n * 4 // 7)},
            "search last name prefix": {"q": "smi"}, "search full name": {"q": "grace hopper"},
            "search email": {"q": email}, "search tracking": {"q": code},
            "search no match": {"q": "zzqx"},
            "last page": {"before": lo + 30},
            "deep filtered": {"state": "delivered", "before": (lo + hi) // 2},
        }

    # --- measuring ---------------------------------------------------------------------------

    def get(self, path: str, expect: int = 200, **params) -> tuple[float, int, str]:
        """(server ms, queries, body) of one admin page, as Shopify's admin would load it."""
        query = urlencode({"shop": SHOP, "host": HOST, "embedded": "1",
                           "id_token": session_token(SHOP), **params})
        self.queries = 0
        started = time.perf_counter()
        response = self.client.get(f"{path}?{query}")
        body = response.get_data(as_text=True)
        took = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            raise RuntimeError(f"GET {path} {params}: {response.status_code} {body[:300]}")
        return took, self.queries, body

    def measure(self, variants: dict, rounds: int, record) -> None:
        rng = random.Random(42)
        walk_before = None
        for _ in range(rounds):
            for name, params in variants.items():
                record("list", name, *self.get("/orders", **params))
            for _ in range(self.args.walk):
                took, queries, body = self.get(
                    "/orders", **({"before": walk_before} if walk_before else {}))
                record("list", "cursor walk", took, queries, body)
                found = NEXT.search(body)
                walk_before = found[1] if found else None
            for _ in range(self.args.orders_per_round):
                record("order", "order page", *self.get(f"/orders/{rng.choice(self.order_ids)}"))
            record("floor", "floor: a missing order", *self.get("/orders/0", expect=404))

    def sql_times(self, variants: dict) -> dict[str, float]:
        """The database's own time (EXPLAIN ANALYZE, best of 3) for each variant's orders query."""
        from sqlalchemy import text
        from sqlalchemy.dialects import postgresql

        from orderflow.admin.orders import PAGE_SIZE, orders_query, read_filters

        times = {}
        with self.svc.db.engine.connect() as conn:
            for name, params in variants.items():
                query = orders_query(self.shop_id, read_filters(params), params.get("before"),
                                     None, PAGE_SIZE)
                sql = str(query.compile(dialect=postgresql.dialect(),
                                        compile_kwargs={"literal_binds": True}))
                times[name] = min(
                    _execution_ms(conn.execute(text("EXPLAIN ANALYZE " + sql)).scalars())
                    for _ in range(3))
        return times

    def n_plus_one(self) -> dict[str, tuple[int, int]]:
        """Queries of the same page with little and with much to show."""
        from sqlalchemy import text

        with self.svc.db.engine.connect() as conn:
            heavy = conn.execute(text("SELECT id FROM orders WHERE shop_id = :s"
                                      " AND shopify_id = 1000777"), {"s": self.shop_id}).scalar()
            plain = conn.execute(text(
                "SELECT o.id FROM orders o JOIN shipments sh ON sh.order_id = o.id"
                " WHERE o.shop_id = :s AND o.state = 'delivered' AND sh.id % 25 <> 0"
                " ORDER BY o.id LIMIT 1"), {"s": self.shop_id}).scalar()

        def queries(path: str, **params) -> int:
            return self.get(path, **params)[1]

        return {
            "list: 10 rows vs 100": (queries("/orders", per_page=10),
                                     queries("/orders", per_page=100)),
            "search: 10 rows vs 100": (queries("/orders", q="smi", per_page=10),
                                       queries("/orders", q="smi", per_page=100)),
            "order: 1 shipment vs 7 (19 parcels, 200 more events)": (
                queries(f"/orders/{plain}"), queries(f"/orders/{heavy}")),
        }


def _execution_ms(plan) -> float:
    return next(float(line.split(":")[1].split()[0]) for line in plan
                if line.startswith("Execution Time"))


# ------------------------------------------------------------------------------------------------
# Report


class Results:
    def __init__(self):
        self.samples: dict[tuple[str, str], list[tuple[float, int, int]]] = defaultdict(list)

    def record(self, page: str, name: str, took: float, queries: int, body: str) -> None:
        self.samples[page, name].append((took, queries, len(ORDER_LINK.findall(body))))

    def times(self, page: str) -> list[float]:
        return [t for (p, _), rows in self.samples.items() if p == page for t, _, _ in rows]

    def most_queries(self) -> int:
        return max(q for rows in self.samples.values() for _, q, _ in rows)

    def table(self, sql_ms: dict[str, float]) -> None:
        say(f"{'page':<28} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'sql ms':>7}"
            f" {'queries':>8} {'rows':>7}")
        for (page, name), rows in self.samples.items():
            took = [t for t, _, _ in rows]
            queries = "/".join(map(str, sorted({q for _, q, _ in rows})))
            shown = sorted({r for _, _, r in rows})
            shown = "—" if page != "list" else "-".join(map(str, sorted({shown[0], shown[-1]})))
            sql = f"{sql_ms[name]:.2f}" if name in sql_ms else "—"
            say(f"{name:<28} {len(rows):>4} {percentile(took, 50):>8.1f}"
                f" {percentile(took, 99):>8.1f} {max(took):>8.1f} {sql:>7} {queries:>8}"
                f" {shown:>7}")


def measured(bench: AdminBench, args, started: float) -> int:
    """The rounds, the table and the N+1 check; returns the exit status."""
    variants = bench.variants()
    warm = Results()
    bench.measure(variants, 1, warm.record)
    results = Results()
    rounds = 0
    with CpuWatch() as cpu, GcWatch() as collections:
        while rounds < args.rounds and time.monotonic() - started < args.budget:
            bench.measure(variants, 1, results.record)
            rounds += 1
    say(f"\n{rounds} rounds after one warm-up round; server time of the WSGI call, authentication "
        "included; sql ms: the database's time for the list's orders query (EXPLAIN ANALYZE)")
    say(cpu.line())
    say(collections.line())
    results.table(bench.sql_times(variants))
    checks = bench.n_plus_one()
    say("\nqueries per request, with little and with much on the page (no N+1 when equal):")
    for name, (small, large) in checks.items():
        say(f"  {name:<52} {small} vs {large}")
    constant = all(small == large for small, large in checks.values())
    lists, orders = results.times("list"), results.times("order")
    say(f"\nwall time {time.monotonic() - started:.0f} s")
    say(result_line(orders=bench.orders, list_p50_ms=f"{percentile(lists, 50):.1f}",
                    list_p99_ms=f"{percentile(lists, 99):.1f}",
                    order_p99_ms=f"{percentile(orders, 99):.1f}",
                    queries_per_request=results.most_queries()))
    return 0 if constant else 2


def run(args) -> int:
    bench = AdminBench(args)
    started = time.monotonic()
    try:
        bench.setup()
        bench.start_app()
        bench.seed()
        return measured(bench, args, started)
    except Exception as exc:  # noqa: BLE001 - a failed run still prints its RESULT line
        say(f"the run failed: {type(exc).__name__}: {exc}")
        import traceback

        traceback.print_exc()
        say(result_line(orders=0, list_p50_ms=-1, list_p99_ms=-1, order_p99_ms=-1,
                        queries_per_request=-1))
        return 1
    finally:
        bench.cleanup()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders of the measured shop")
    parser.add_argument("--other-orders", type=int, default=20_000,
                        help="orders of the other shop")
    parser.add_argument("--rounds", type=int, default=30, help="measured rounds")
    parser.add_argument("--walk", type=int, default=5, help="cursor pages per round")
    parser.add_argument("--orders-per-round", type=int, default=20, help="order pages per round")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds before rounds stop")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
