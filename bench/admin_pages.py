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
   has; then VACUUM ANALYZE. Deterministic: the same rows on every run. Foreign-key triggers are
   off while seeding (the rows are generated consistent), so the bench connects as a superuser.
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
import os
import random
import re
import signal
import sys
import time
import uuid
from array import array
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
API_KEY, API_SECRET = "bench-client-id", "bench-client-secret-that-is-32-bytes-or-more"
SHOP, OTHER_SHOP = "bench-admin.myshopify.com", "bench-admin-other.myshopify.com"
CUSTOMER_SHARE = 0.6  # customers per order: four in ten orders come from a returning customer
NEXT = re.compile(r'before=(\d+)[^"]*" rel="next"')
ORDER_LINK = re.compile(r'data-order-id="(\d+)"')


def say(*parts) -> None:
    print(*parts, flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest rank on the sorted values; 0.0 when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / CLK_TCK  # all but idle and iowait


def _postgres_cpu() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().startswith("postgres"):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            pass
    return total


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
        return (f"full garbage collections: {len(self.pauses)}, longest {max(self.pauses):.0f} ms, "
                f"{sum(self.pauses):.0f} ms in all")


class CpuWatch:
    """Cores busy over a phase: this process, PostgreSQL, and everything else on the machine."""

    def __enter__(self):
        self.start = (time.monotonic(), _machine_cpu(), sum(os.times()[:2]), _postgres_cpu())
        return self

    def __exit__(self, *_exc):
        end = (time.monotonic(), _machine_cpu(), sum(os.times()[:2]), _postgres_cpu())
        wall, machine, mine, postgres = (b - a for a, b in zip(self.start, end))
        self.cores = {"bench (app)": mine / wall, "PostgreSQL": postgres / wall,
                      "anything else": max(0.0, machine - mine - postgres) / wall}

    def line(self) -> str:
        noisy = " NOISY" if self.cores["anything else"] > 0.2 else ""
        return "cores busy: " + ", ".join(f"{k} {v:.2f}" for k, v in self.cores.items()) + noisy


def session_token(shop: str, ttl: int = 60) -> str:
    import jwt
    now = int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": API_KEY, "sub": "42",
              "exp": now + ttl, "nbf": now - 5, "iat": now - 5, "jti": uuid.uuid4().hex,
              "sid": uuid.uuid4().hex}
    return jwt.encode(claims, API_SECRET, algorithm="HS256")


# ------------------------------------------------------------------------------------------------
# Seeding: one statement per table, each generating its rows in PostgreSQL

FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Dennis", "Margaret",
         "Ken", "Linus", "Guido", "Radia", "Sophie", "Tim", "Hedy", "Katherine", "John", "Mary",
         "Leslie", "Niklaus", "Bjarne", "Anita", "Shafi", "Silvio", "Judea", "Yukihiro", "Rasmus",
         "Jean", "Ivan", "Carl", "Lynn", "Cynthia", "Adele", "Frederick", "Fran", "Jim", "Ole",
         "Kristen", "Butler")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Ritchie",
        "Hamilton", "Thompson", "Torvalds", "Rossum", "Perlman", "Wilson", "Berners-Lee", "Lamarr",
        "Johnson", "Backus", "Keller", "Lamport", "Wirth", "Stroustrup", "Borg", "Goldwasser",
        "Micali", "Pearl", "Matsumoto", "Lerdorf", "Sammet", "Sutherland", "Hoare", "Conway",
        "Dwork", "Goldberg", "Brooks", "Kernighan", "Gray", "Dahl", "Nygaard", "Lampson", "Smith",
        "Smithson", "Jones", "Brown", "Garcia", "Miller", "Davis", "Martinez", "Lopez", "Clark",
        "Lewis", "Walker", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson")
CITIES = (("Cambridge", "MA", "02139"), ("New York", "NY", "10118"), ("Atlanta", "GA", "30313"),
          ("Chicago", "IL", "60606"), ("Dallas", "TX", "75201"), ("Denver", "CO", "80202"),
          ("Cupertino", "CA", "95014"), ("Seattle", "WA", "98109"), ("Reno", "NV", "89501"))


def _array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


# The state of order n, from h = (n * 7919) % 100: the mix of a shop two years old.
STATE_OF = """CASE WHEN h < 60 THEN 'delivered' WHEN h < 70 THEN 'in_transit' WHEN h < 75 THEN 'fulfilled'
  WHEN h < 77 THEN 'label_bought' WHEN h < 85 THEN 'ready' WHEN h < 92 THEN 'on_hold'
  WHEN h < 94 THEN 'exception' WHEN h < 97 THEN 'cancelled' ELSE 'nothing_to_ship' END"""
HOLD_OF = """CASE WHEN h BETWEEN 85 AND 91 THEN (ARRAY[
    'Payment pending: wait for the payment to clear before shipping',
    'Shipping address is missing the postal code: correct it in Shopify',
    'Not enough stock at Portland warehouse: TEE-CLASSIC-M (Classic tee) needs 2, 0 on hand',
    'Held in Shopify: awaiting payment'])[1 + n % 4]
  WHEN h BETWEEN 92 AND 93 THEN 'Could not buy the label: the carrier did not answer' END"""

SEED_CUSTOMERS = f"""
INSERT INTO customers (shop_id, shopify_id, email, first_name, last_name)
SELECT :shop, :base + c, lower(f) || '.' || lower(l) || c || '@example.com', f, l
FROM generate_series(1, :count) c,
     LATERAL (SELECT ({_array(FIRST)})[1 + c % {len(FIRST)}] AS f,
                     ({_array(LAST)})[1 + (c / {len(FIRST)}) % {len(LAST)}] AS l) names"""

# Both shops' orders in one statement, in the order they were placed, so ids interleave as they do
# when shops share a database.
SEED_ORDERS = f"""
INSERT INTO orders (shop_id, shopify_id, name, email, currency, total_price, financial_status,
  fulfillment_status, state, hold_reason, shopify_created_at, shopify_updated_at, cancelled_at,
  customer_id, shipping_address, test, note, created_at, updated_at)
SELECT shop, base + n, '#' || (1000 + n), c.email, 'USD', 12 + (n * 37) % 180 + 0.5,
  CASE WHEN h BETWEEN 85 AND 91 AND n % 4 = 0 THEN 'pending' ELSE 'paid' END,
  CASE WHEN h < 75 THEN 'fulfilled' END, {STATE_OF}, {HOLD_OF}, placed, placed + interval '2 hours',
  CASE WHEN h BETWEEN 94 AND 96 THEN placed + interval '1 day' END, c.id,
  json_build_object('name', c.first_name || ' ' || c.last_name, 'address1', (n % 900 + 1) || ' Main St',
                    'city', cities[3 * k + 1], 'province_code', cities[3 * k + 2], 'zip', cities[3 * k + 3],
                    'country_code', 'US'),
  false, CASE WHEN n % 50 = 0 THEN 'Gift wrap, please' END, placed, placed
FROM (SELECT s.shop, s.base, s.customers, n, (n * 7919) % 100 AS h, n % {len(CITIES)} AS k,
             {_array(a for c in CITIES for a in c)} AS cities,
             now() - interval '730 days' + n * (interval '730 days' / s.count) AS placed
      FROM (VALUES (:shop, :count, :customers, :base), (:other, :other_count, :other_customers, :other_base))
             s(shop, count, customers, base), generate_series(1, s.count) n) g
JOIN customers c ON c.shop_id = g.shop AND c.shopify_id = g.base + 1 + (n * 7) % g.customers
ORDER BY placed, shop"""

SEED_LINE_ITEMS = """
INSERT INTO line_items (order_id, shopify_id, title, sku, quantity, price, requires_shipping, gift_card,
  grams, fulfillable_quantity)
SELECT o.id, o.shopify_id * 10 + k, (ARRAY['Classic tee', 'Canvas tote', 'Ceramic mug', 'Wool hoodie'])[1 + (o.id + k) % 4],
  (ARRAY['TEE-CLASSIC-M', 'TOTE-CANVAS', 'MUG-CERAMIC', 'HOODIE-WOOL-L'])[1 + (o.id + k) % 4],
  1 + (o.id + k) % 2, 18.00, o.state <> 'nothing_to_ship', false, 200 + 150 * ((o.id + k) % 4), 0
FROM orders o, generate_series(0, (o.id % 3)) k ORDER BY o.id, k"""

CARRIER_OF = """(ARRAY['USPS','USPS','USPS','USPS','USPS','USPS','USPS','USPS','USPS','USPS',
  'UPS','UPS','UPS','UPS','UPS','UPS','FedEx','FedEx','FedEx','DHL'])[1 + (o.id * 13) % 20]"""
SERVICE_OF = {"USPS": "GroundAdvantage", "UPS": "Ground", "FedEx": "Home", "DHL": "Express"}

SEED_SHIPMENTS = f"""
INSERT INTO shipments (shop_id, order_id, fulfillment_order_id, lines, state, carrier, service, cost,
  currency, selection, shopify_fulfillment_id, fulfilled_at, estimated_delivery, delivered_at,
  tracking_status, tracking_token, delivery_proof, created_at)
SELECT o.shop_id, o.id, 'gid://shopify/FulfillmentOrder/' || o.shopify_id,
  json_build_array(json_build_object('id', 'gid://shopify/FulfillmentOrderLineItem/' || o.shopify_id, 'quantity', 1)),
  CASE o.state WHEN 'label_bought' THEN 'bought' WHEN 'ready' THEN 'rated' ELSE 'fulfilled' END,
  carrier, svc, cost, 'USD',
  json_build_object('reason', 'Cheapest: ' || carrier || ' ' || svc || ' at ' || cost || ' USD, 3 days',
    'chosen', json_build_object('id', 'rate_' || o.id, 'carrier', carrier, 'service', svc,
                                'amount', cost::text, 'currency', 'USD', 'delivery_days', 3, 'delivery_date', NULL),
    'alternatives', (SELECT json_agg(json_build_object('id', 'rate_' || o.id || '_' || a, 'carrier', ac,
                        'service', 'Service' || a, 'amount', (cost + a)::text, 'currency', 'USD',
                        'delivery_days', 1 + a % 5, 'delivery_date', NULL, 'why_not', 'Costs ' || a || '.00 USD more'))
                     FROM generate_series(1, 5) a,
                          LATERAL (SELECT (ARRAY['USPS','UPS','FedEx','DHL'])[1 + a % 4] AS ac) x),
    'warnings', json_build_array()),
  CASE WHEN o.state IN ('fulfilled', 'in_transit', 'delivered') THEN 'gid://shopify/Fulfillment/' || o.shopify_id END,
  CASE WHEN o.state IN ('fulfilled', 'in_transit', 'delivered') THEN o.shopify_created_at + interval '1 day' END,
  (o.shopify_created_at + interval '4 days')::date,
  CASE WHEN o.state = 'delivered' THEN o.shopify_created_at + interval '4 days' END,
  CASE o.state WHEN 'delivered' THEN 'delivered' WHEN 'in_transit' THEN 'in_transit'
               WHEN 'fulfilled' THEN 'label_created' END,
  CASE WHEN o.state IN ('fulfilled', 'in_transit', 'delivered') THEN substr(md5('t' || o.id) || md5('u' || o.id), 1, 43) END,
  CASE WHEN o.state = 'delivered' THEN json_build_object('at', o.shopify_created_at + interval '4 days',
                                                          'where', 'RENO, NV', 'signed_by', NULL) END,
  o.shopify_created_at + interval '3 hours'
FROM orders o,
     LATERAL (SELECT {CARRIER_OF} AS carrier) c,
     LATERAL (SELECT CASE carrier {" ".join(f"WHEN '{c}' THEN '{s}'" for c, s in SERVICE_OF.items())} END AS svc,
                     (5 + (o.id * 17) % 900 / 100.0)::numeric(18, 4) AS cost) s
WHERE (o.state IN ('label_bought', 'fulfilled', 'in_transit', 'delivered')
                             OR (o.state = 'ready' AND o.id % 2 = 0))
ORDER BY o.id"""

TRACKING_CODE = """CASE sh.carrier WHEN 'USPS' THEN '9400' || lpad((sh.id * 10 + p)::text, 18, '0')
  WHEN 'UPS' THEN '1Z' || lpad((sh.id * 10 + p)::text, 16, '0')
  WHEN 'FedEx' THEN lpad((sh.id * 10 + p)::text, 12, '7') ELSE lpad((sh.id * 10 + p)::text, 10, '3') END"""

SEED_PARCELS = f"""
INSERT INTO parcels (shipment_id, shop_id, position, box, length_in, width_in, height_in, weight_oz,
  contents, carrier_shipment_id, rates, rate_id, amount, tracking_code, label_format, bought_at,
  tracker_id, tracking_status, tracking_events, tracking_estimate)
SELECT sh.id, sh.shop_id, p, (ARRAY['Small box', 'Medium box', 'Poly mailer'])[1 + sh.id % 3], 10, 8, 4,
  12 + (sh.id % 40),
  json_build_object('items', json_build_object('MUG-CERAMIC', 1, 'TEE-CLASSIC-M', 1 + sh.id % 2),
                    'billable_lb', json_build_object('usps', 2, 'ups', 3, 'fedex', 3)),
  'shp_' || sh.id || '_' || p,
  (SELECT json_agg(json_build_object('id', 'rate_' || sh.id || '_' || r, 'service', rc || '/' || rs,
                                     'amount', (sh.cost + r)::text))
   FROM generate_series(0, 5) r,
        LATERAL (SELECT (ARRAY['USPS','UPS','FedEx','DHL','USPS','UPS'])[1 + r] AS rc,
                        (ARRAY['GroundAdvantage','Ground','Home','Express','Priority','2ndDayAir'])[1 + r] AS rs) x),
  'rate_' || sh.id || '_0', sh.cost,
  CASE WHEN sh.state <> 'rated' THEN {TRACKING_CODE} END,
  CASE WHEN sh.state <> 'rated' THEN 'PDF' END,
  CASE WHEN sh.state <> 'rated' THEN sh.created_at END,
  CASE WHEN sh.state = 'fulfilled' THEN 'trk_' || sh.id || '_' || p END,
  sh.tracking_status,
  CASE WHEN sh.tracking_status IS NOT NULL THEN
    (SELECT json_agg(json_build_object('status', st, 'message', 'Scanned at facility ' || e,
                                       'at', sh.created_at + e * interval '10 hours',
                                       'city', 'HUB ' || e, 'state', 'NV', 'country', 'US', 'zip', NULL, 'detail', NULL))
     FROM generate_series(1, CASE sh.tracking_status WHEN 'delivered' THEN 6 WHEN 'in_transit' THEN 4 ELSE 1 END) e,
          LATERAL (SELECT CASE WHEN e = 1 THEN 'pre_transit'
                               WHEN e = 6 THEN 'delivered' ELSE 'in_transit' END AS st) x) END,
  CASE WHEN sh.tracking_status IS NOT NULL THEN sh.estimated_delivery END
FROM shipments sh, generate_series(0, CASE WHEN sh.id % 25 = 0 THEN 1 ELSE 0 END) p
ORDER BY sh.id, p"""

# (state it applies to, step, kind, message): the timeline of an order in each state.
TIMELINE = [
    ("*", 1, "received", "Received from Shopify (paid)"),
    ("ready", 2, "ready", "Ready to ship"), ("shipped", 2, "ready", "Ready to ship"),
    ("exception", 2, "ready", "Ready to ship"),
    ("shipped", 3, "rated", "1 parcel(s); Cheapest: USPS GroundAdvantage at 5.60 USD, 2 days"),
    ("exception", 3, "exception", "Could not buy the label: the carrier did not answer"),
    ("shipped", 4, "label_bought", "Label bought"),
    ("shipped_on", 5, "fulfilled", "Fulfilled in Shopify with tracking"),
    ("shipped_on", 6, "tracking", "In transit: Departed facility (RENO, NV)"),
    ("moving", 7, "in_transit", "In transit with the carrier"),
    ("delivered", 8, "tracking", "Delivered: Left at front door (RENO, NV)"),
    ("delivered", 9, "delivered", "Delivered"),
    ("on_hold", 2, "held", "On hold: see the reason"),
    ("cancelled", 2, "cancelled", "Cancelled in Shopify (reason: customer)"),
    ("nothing_to_ship", 2, "nothing_to_ship", "Nothing to ship: every item is digital or a gift card"),
]
GROUPS = {"shipped": ("label_bought", "fulfilled", "in_transit", "delivered"),
          "shipped_on": ("fulfilled", "in_transit", "delivered"), "moving": ("in_transit", "delivered")}


def _timeline_values() -> str:
    rows = []
    for applies, step, kind, message in TIMELINE:
        states = GROUPS.get(applies, (applies,))
        for state in states:
            rows.append(f"('{state}', {step}, '{kind}', '{message}')")
    return ", ".join(rows)


SEED_EVENTS = f"""
INSERT INTO order_events (shop_id, order_id, kind, message, source, created_at)
SELECT o.shop_id, o.id, t.kind, t.message, CASE WHEN t.step = 1 THEN 'webhook orders/create' ELSE 'shipping' END,
  o.shopify_created_at + t.step * interval '3 hours'
FROM orders o JOIN (VALUES {_timeline_values()}) t(state, step, kind, message)
  ON t.state = o.state OR (t.state = '*' AND true)
ORDER BY o.id, t.step"""

SEED_NOTICES = """
INSERT INTO notices (shop_id, shipment_id, channel, kind, state, recipient, attempts, created_at, sent_at)
SELECT sh.shop_id, sh.id, k.channel, k.kind, 'sent', CASE WHEN k.channel = 'email' THEN o.email END, 1,
  sh.created_at + k.after, sh.created_at + k.after
FROM shipments sh JOIN orders o ON o.id = sh.order_id
JOIN (VALUES ('email', 'shipped', interval '1 day', 'fulfilled'),
             ('shopify', 'IN_TRANSIT', interval '2 days', 'in_transit'),
             ('email', 'delivered', interval '4 days', 'delivered'),
             ('shopify', 'DELIVERED', interval '4 days', 'delivered')) k(channel, kind, after, min_state)
  ON (k.min_state = 'fulfilled' AND sh.tracking_status IS NOT NULL)
  OR (k.min_state = 'in_transit' AND sh.tracking_status IN ('in_transit', 'delivered'))
  OR (k.min_state = 'delivered' AND sh.tracking_status = 'delivered')
ORDER BY sh.id"""

SEED_ALERTS = """
INSERT INTO alerts (shop_id, order_id, shipment_id, kind, message, created_at)
SELECT sh.shop_id, sh.order_id, sh.id, 'stalled', 'No movement for 5 days: ask the carrier', sh.created_at + interval '6 days'
FROM shipments sh WHERE sh.tracking_status = 'in_transit' AND sh.id % 20 = 0"""


def seed_all(conn, shops: list[tuple[int, int, int]]) -> dict[str, float]:
    """Seed the shops, each (shop id, orders, shopify id base); seconds per table."""
    from sqlalchemy import text
    took = {}
    # A throwaway database of rows generated consistent: no foreign-key triggers (superuser only)
    # and no JIT, which spends seconds compiling statements that run once.
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    conn.execute(text("SET LOCAL jit = off"))
    started = time.monotonic()
    for shop, orders, base in shops:
        conn.execute(text(SEED_CUSTOMERS), {"shop": shop, "base": base, "count": _customers(orders)})
    took["customers"] = time.monotonic() - started
    (shop, count, base), (other, other_count, other_base) = shops
    steps = [("orders", SEED_ORDERS, {
        "shop": shop, "count": count, "customers": _customers(count), "base": base, "other": other,
        "other_count": other_count, "other_customers": _customers(other_count), "other_base": other_base})]
    steps += [(table, sql, {}) for table, sql in (
        ("line_items", SEED_LINE_ITEMS), ("order_events", SEED_EVENTS), ("shipments", SEED_SHIPMENTS),
        ("parcels", SEED_PARCELS), ("notices", SEED_NOTICES), ("alerts", SEED_ALERTS))]
    for table, sql, params in steps:
        started = time.monotonic()
        conn.execute(text(sql), params)
        took[table] = time.monotonic() - started
    return took


def _customers(orders: int) -> int:
    return max(1, int(orders * CUSTOMER_SHARE))


# One order with far more than the others: six voided shipments of three parcels, 200 events.
SEED_HEAVY = ["""
WITH o AS (SELECT id, shopify_created_at FROM orders WHERE shop_id = :shop AND shopify_id = :base + 777),
s AS (INSERT INTO shipments (shop_id, order_id, fulfillment_order_id, lines, state, carrier, service,
                             cost, currency, created_at)
      SELECT :shop, o.id, 'gid://shopify/FulfillmentOrder/heavy-' || k, '[]'::json, 'voided', 'UPS',
             'Ground', 9.5, 'USD', o.shopify_created_at FROM o, generate_series(1, 6) k RETURNING id)
INSERT INTO parcels (shipment_id, shop_id, position, box, length_in, width_in, height_in, weight_oz, contents)
SELECT s.id, :shop, p, 'Large box', 12, 10, 8, 40, '{}'::json FROM s, generate_series(0, 2) p""", """
INSERT INTO order_events (shop_id, order_id, kind, message, source, created_at)
SELECT :shop, o.id, 'tracking', 'Scanned at hub ' || k, 'carrier', o.shopify_created_at + k * interval '1 hour'
FROM orders o, generate_series(1, 200) k WHERE o.shop_id = :shop AND o.shopify_id = :base + 777"""]


# ------------------------------------------------------------------------------------------------
# The run


class Bench:
    def __init__(self, args):
        self.args = args
        self.db_name = f"orderflow_bench_admin_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.db_created = False
        self.shopify = None
        self.redis = None
        self.queries = 0

    # --- infrastructure ----------------------------------------------------------------------

    def setup(self) -> None:
        import psycopg
        from redis import Redis

        from orderflow.db.migrate import upgrade
        from orderflow.sandbox.shopify import SandboxShopify

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        self.raw_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.db_name}"
        upgrade(self.raw_url)
        self.redis = Redis.from_url(REDIS_URL)
        self.redis.flushdb()
        self.shopify = SandboxShopify(API_KEY, API_SECRET, app_webhooks_uri="http://127.0.0.1:9/webhooks/shopify",
                                      time_scale=0.001).start()

    def start_app(self) -> None:
        from sqlalchemy import event

        from orderflow import create_app
        self.app = create_app({
            "APP_ENV": "test", "DATABASE_URL": self.raw_url.replace("postgresql://", "postgresql+psycopg://"),
            "REDIS_URL": REDIS_URL, "APP_URL": "http://127.0.0.1:9", "SHOPIFY_API_KEY": API_KEY,
            "SHOPIFY_API_SECRET": API_SECRET, "SHOPIFY_SANDBOX_URL": self.shopify.url})
        self.svc = self.app.extensions["orderflow"]
        self.client = self.app.test_client()
        event.listen(self.svc.db.engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.queries += 1

    def install(self, domain: str) -> int:
        import httpx
        from sqlalchemy import text
        httpx.post(f"{self.shopify.url}/sandbox/shops", json={"domain": domain}, timeout=30).raise_for_status()
        answer = self.client.get("/api/orders", headers={"Authorization": f"Bearer {session_token(domain)}"})
        if answer.status_code != 200:
            raise RuntimeError(f"install of {domain}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
        with self.svc.db.engine.connect() as conn:
            return conn.execute(text("SELECT id FROM shops WHERE domain = :d"), {"d": domain}).scalar_one()

    def cleanup(self) -> None:
        import psycopg
        if self.shopify is not None:
            self.shopify.stop()
        if getattr(self, "svc", None) is not None:
            self.svc.db.dispose()
        if self.redis is not None:
            self.redis.flushdb()
        if self.db_created and not self.args.keep:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self.db_created = False

    # --- data --------------------------------------------------------------------------------

    def seed(self) -> None:
        import psycopg
        from sqlalchemy import text
        started = time.monotonic()
        self.shop_id = self.install(SHOP)
        other_id = self.install(OTHER_SHOP)
        with self.svc.db.engine.begin() as conn:
            took = seed_all(conn, [(self.shop_id, self.args.orders, 1_000_000),
                                   (other_id, self.args.other_orders, 5_000_000)])
            for sql in SEED_HEAVY:
                conn.execute(text(sql), {"shop": self.shop_id, "base": 1_000_000})
        with psycopg.connect(self.raw_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        self.describe_data(time.monotonic() - started, took)

    def describe_data(self, seconds: float, took: dict) -> None:
        from sqlalchemy import text
        with self.svc.db.engine.connect() as conn:
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in took}
            mine = conn.execute(text("SELECT count(*) FROM orders WHERE shop_id = :s"), {"s": self.shop_id}).scalar()
            size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        self.orders = mine
        say(f"seeded in {seconds:.1f} s ({size}): {mine:,} orders in the measured shop, "
            f"{counts['orders'] - mine:,} in the other; "
            + ", ".join(f"{t} {n:,} ({took[t]:.1f} s)" for t, n in counts.items()))

    def variants(self) -> dict[str, dict]:
        """The list pages a merchant asks for, with values picked from the seeded data."""
        from sqlalchemy import text
        q = {"s": self.shop_id}
        with self.svc.db.engine.connect() as conn:
            lo, hi = conn.execute(text("SELECT min(id), max(id) FROM orders WHERE shop_id = :s"), q).one()
            # An array, not a list: 100,000 ints the garbage collector need not walk.
            self.order_ids = array("q", conn.execute(text("SELECT id FROM orders WHERE shop_id = :s"), q).scalars())
            email = conn.execute(text("SELECT email FROM orders WHERE shop_id = :s AND shopify_id = :n"),
                                 {**q, "n": 1_000_000 + self.orders * 5 // 9}).scalar()
            code = conn.execute(text(
                "SELECT tracking_code FROM parcels WHERE shop_id = :s AND tracking_code IS NOT NULL "
                "ORDER BY id OFFSET :k LIMIT 1"), {**q, "k": self.orders * 3 // 10}).scalar()
            month = conn.execute(text(
                "SELECT shopify_created_at::date FROM orders WHERE shop_id = :s AND shopify_id = :n"),
                {**q, "n": 1_000_000 + self.orders * 4 // 10}).scalar().replace(day=1)
        return {
            "first page": {}, "state ready": {"state": "ready"}, "state on hold": {"state": "on_hold"},
            "hold payment": {"hold": "payment"}, "one month": {"from": month.isoformat(),
                                                            "to": (month.replace(day=28)).isoformat()},
            "hold stock + month": {"hold": "stock", "from": month.isoformat(),
                                   "to": month.replace(day=28).isoformat()},
            "carrier DHL": {"carrier": "DHL"}, "carrier UPS in transit": {"carrier": "UPS", "state": "in_transit"},
            "search #name": {"q": f"#{1000 + self.orders * 5 // 9}"},
            "search number": {"q": str(1000 + self.orders * 4 // 7)},
            "search last name prefix": {"q": "smi"}, "search full name": {"q": "grace hopper"},
            "search email": {"q": email}, "search tracking": {"q": code}, "search no match": {"q": "zzqx"},
            "last page": {"before": lo + 30}, "deep filtered": {"state": "delivered", "before": (lo + hi) // 2},
        }

    # --- measuring ---------------------------------------------------------------------------

    def get(self, path: str, expect: int = 200, **params) -> tuple[float, int, str]:
        """(server ms, queries, body) of one admin page, as Shopify's admin would load it."""
        query = urlencode({"shop": SHOP, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYmVuY2g", "embedded": "1",
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
                took, queries, body = self.get("/orders", **({"before": walk_before} if walk_before else {}))
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
                query = orders_query(self.shop_id, read_filters(params), params.get("before"), None, PAGE_SIZE)
                sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
                times[name] = min(_execution_ms(conn.execute(text("EXPLAIN ANALYZE " + sql)).scalars())
                                  for _ in range(3))
        return times

    def n_plus_one(self) -> dict[str, tuple[int, int]]:
        """Queries of the same page with little and with much to show."""
        from sqlalchemy import text
        with self.svc.db.engine.connect() as conn:
            heavy = conn.execute(text("SELECT id FROM orders WHERE shop_id = :s AND shopify_id = 1000777"),
                                 {"s": self.shop_id}).scalar()
            plain = conn.execute(text(
                "SELECT o.id FROM orders o JOIN shipments sh ON sh.order_id = o.id WHERE o.shop_id = :s "
                "AND o.state = 'delivered' AND sh.id % 25 <> 0 ORDER BY o.id LIMIT 1"), {"s": self.shop_id}).scalar()
        return {
            "list: 10 rows vs 100": (self.get("/orders", per_page=10)[1], self.get("/orders", per_page=100)[1]),
            "search: 10 rows vs 100": (self.get("/orders", q="smi", per_page=10)[1],
                                       self.get("/orders", q="smi", per_page=100)[1]),
            "order: 1 shipment vs 7 (19 parcels, 200 more events)": (
                self.get(f"/orders/{plain}")[1], self.get(f"/orders/{heavy}")[1]),
        }


def _execution_ms(plan) -> float:
    return next(float(line.split(":")[1].split()[0]) for line in plan if line.startswith("Execution Time"))


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
        say(f"{'page':<28} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'sql ms':>7} {'queries':>8} {'rows':>7}")
        for (page, name), rows in self.samples.items():
            took = [t for t, _, _ in rows]
            queries = "/".join(map(str, sorted({q for _, q, _ in rows})))
            shown = sorted({r for _, _, r in rows})
            shown = "—" if page != "list" else "-".join(map(str, sorted({shown[0], shown[-1]})))
            sql = f"{sql_ms[name]:.2f}" if name in sql_ms else "—"
            say(f"{name:<28} {len(rows):>4} {percentile(took, 50):>8.1f} {percentile(took, 99):>8.1f} "
                f"{max(took):>8.1f} {sql:>7} {queries:>8} {shown:>7}")


def run(args) -> int:
    bench = Bench(args)
    started = time.monotonic()
    try:
        bench.setup()
        bench.start_app()
        bench.seed()
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
        say(f"RESULT orders={bench.orders} list_p50_ms={percentile(lists, 50):.1f} "
            f"list_p99_ms={percentile(lists, 99):.1f} order_p99_ms={percentile(orders, 99):.1f} "
            f"queries_per_request={results.most_queries()}")
        return 0 if constant else 2
    except Exception as exc:  # noqa: BLE001 - a failed run still prints its RESULT line
        say(f"the run failed: {type(exc).__name__}: {exc}")
        import traceback
        traceback.print_exc()
        say("RESULT orders=0 list_p50_ms=-1 list_p99_ms=-1 order_p99_ms=-1 queries_per_request=-1")
        return 1
    finally:
        bench.cleanup()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders of the measured shop")
    parser.add_argument("--other-orders", type=int, default=20_000, help="orders of the other shop")
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
