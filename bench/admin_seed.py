"""bench/admin_pages.py's data: one statement per table, each generating its rows in PostgreSQL.

100,000 orders over two years (by default) with their customers, line items, timelines,
shipments, parcels (rates, tracking codes, carrier events), notices and alerts, in the mix of
states a live shop has. Deterministic: the same rows on every run.
"""

from __future__ import annotations

import time

CUSTOMER_SHARE = 0.6  # customers per order: four in ten orders come from a returning customer

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
STATE_OF = """CASE WHEN h < 60 THEN 'delivered' WHEN h < 70 THEN 'in_transit'
  WHEN h < 75 THEN 'fulfilled'
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
  json_build_object('name', c.first_name || ' ' || c.last_name, 'address1', (n % 900 + 1) ||
    ' Main St',
                    'city', cities[3 * k + 1], 'province_code', cities[3 * k + 2], 'zip', cities[3 *
                      k + 3],
                    'country_code', 'US'),
  false, CASE WHEN n % 50 = 0 THEN 'Gift wrap, please' END, placed, placed
FROM (SELECT s.shop, s.base, s.customers, n, (n * 7919) % 100 AS h, n % {len(CITIES)} AS k,
             {_array(a for c in CITIES for a in c)} AS cities,
             now() - interval '730 days' + n * (interval '730 days' / s.count) AS placed
      FROM (VALUES (:shop, :count, :customers, :base), (:other, :other_count, :other_customers,
        :other_base))
             s(shop, count, customers, base), generate_series(1, s.count) n) g
JOIN customers c ON c.shop_id = g.shop AND c.shopify_id = g.base + 1 + (n * 7) % g.customers
ORDER BY placed, shop"""

SEED_LINE_ITEMS = """
INSERT INTO line_items (order_id, shopify_id, title, sku, quantity, price, requires_shipping,
  gift_card,
  grams, fulfillable_quantity)
SELECT o.id, o.shopify_id * 10 + k, (ARRAY['Classic tee', 'Canvas tote', 'Ceramic mug',
  'Wool hoodie'])[1 + (o.id + k) % 4],
  (ARRAY['TEE-CLASSIC-M', 'TOTE-CANVAS', 'MUG-CERAMIC', 'HOODIE-WOOL-L'])[1 + (o.id + k) % 4],
  1 + (o.id + k) % 2, 18.00, o.state <> 'nothing_to_ship', false, 200 + 150 * ((o.id + k) % 4), 0
FROM orders o, generate_series(0, (o.id % 3)) k ORDER BY o.id, k"""

CARRIER_OF = """(ARRAY['USPS','USPS','USPS','USPS','USPS','USPS','USPS','USPS','USPS','USPS',
  'UPS','UPS','UPS','UPS','UPS','UPS','FedEx','FedEx','FedEx','DHL'])[1 + (o.id * 13) % 20]"""
SERVICE_OF = {"USPS": "GroundAdvantage", "UPS": "Ground", "FedEx": "Home", "DHL": "Express"}

SEED_SHIPMENTS = f"""
INSERT INTO shipments (shop_id, order_id, fulfillment_order_id, lines, state, carrier, service,
  cost,
  currency, selection, shopify_fulfillment_id, fulfilled_at, estimated_delivery, delivered_at,
  tracking_status, tracking_token, delivery_proof, created_at)
SELECT o.shop_id, o.id, 'gid://shopify/FulfillmentOrder/' || o.shopify_id,
  json_build_array(json_build_object('id', 'gid://shopify/FulfillmentOrderLineItem/' ||
    o.shopify_id, 'quantity', 1)),
  CASE o.state WHEN 'label_bought' THEN 'bought' WHEN 'ready' THEN 'rated' ELSE 'fulfilled' END,
  carrier, svc, cost, 'USD',
  json_build_object('reason', 'Cheapest: ' || carrier || ' ' || svc || ' at ' || cost ||
    ' USD, 3 days',
    'chosen', json_build_object('id', 'rate_' || o.id, 'carrier', carrier, 'service', svc,
                                'amount', cost::text, 'currency', 'USD', 'delivery_days', 3,
                                  'delivery_date', NULL),
    'alternatives', (SELECT json_agg(json_build_object('id', 'rate_' || o.id || '_' || a, 'carrier',
      ac,
                        'service', 'Service' || a, 'amount', (cost + a)::text, 'currency', 'USD',
                        'delivery_days', 1 + a % 5, 'delivery_date', NULL, 'why_not', 'Costs ' || a
                          || '.00 USD more'))
                     FROM generate_series(1, 5) a,
                          LATERAL (SELECT (ARRAY['USPS','UPS','FedEx','DHL'])[1 + a % 4] AS ac) x),
    'warnings', json_build_array()),
  CASE WHEN o.state IN ('fulfilled', 'in_transit', 'delivered') THEN 'gid://shopify/Fulfillment/' ||
    o.shopify_id END,
  CASE WHEN o.state IN ('fulfilled', 'in_transit', 'delivered') THEN o.shopify_created_at + interval
    '1 day' END,
  (o.shopify_created_at + interval '4 days')::date,
  CASE WHEN o.state = 'delivered' THEN o.shopify_created_at + interval '4 days' END,
  CASE o.state WHEN 'delivered' THEN 'delivered' WHEN 'in_transit' THEN 'in_transit'
               WHEN 'fulfilled' THEN 'label_created' END,
  CASE WHEN o.state IN ('fulfilled', 'in_transit', 'delivered') THEN substr(md5('t' || o.id) ||
    md5('u' || o.id), 1, 43) END,
  CASE WHEN o.state = 'delivered' THEN json_build_object('at', o.shopify_created_at + interval
    '4 days',
                                                          'where', 'RENO, NV', 'signed_by', NULL)
                                                            END,
  o.shopify_created_at + interval '3 hours'
FROM orders o,
     LATERAL (SELECT {CARRIER_OF} AS carrier) c,
     LATERAL (SELECT CASE carrier
       {" ".join(f"WHEN '{c}' THEN '{s}'" for c, s in SERVICE_OF.items())} END AS svc,
                     (5 + (o.id * 17) % 900 / 100.0)::numeric(18, 4) AS cost) s
WHERE (o.state IN ('label_bought', 'fulfilled', 'in_transit', 'delivered')
                             OR (o.state = 'ready' AND o.id % 2 = 0))
ORDER BY o.id"""

TRACKING_CODE = """CASE sh.carrier WHEN 'USPS' THEN '9400' || lpad((sh.id * 10 + p)::text, 18, '0')
  WHEN 'UPS' THEN '1Z' || lpad((sh.id * 10 + p)::text, 16, '0')
  WHEN 'FedEx' THEN lpad((sh.id * 10 + p)::text, 12, '7') ELSE lpad((sh.id * 10 + p)::text, 10, '3')
    END"""

SEED_PARCELS = f"""
INSERT INTO parcels (shipment_id, shop_id, position, box, length_in, width_in, height_in, weight_oz,
  contents, carrier_shipment_id, rates, rate_id, amount, tracking_code, label_format, bought_at,
  tracker_id, tracking_status, tracking_events, tracking_estimate)
SELECT sh.id, sh.shop_id, p, (ARRAY['Small box', 'Medium box', 'Poly mailer'])[1 + sh.id % 3], 10,
  8, 4,
  12 + (sh.id % 40),
  json_build_object('items', json_build_object('MUG-CERAMIC', 1, 'TEE-CLASSIC-M', 1 + sh.id % 2),
                    'billable_lb', json_build_object('usps', 2, 'ups', 3, 'fedex', 3)),
  'shp_' || sh.id || '_' || p,
  (SELECT json_agg(json_build_object('id', 'rate_' || sh.id || '_' || r, 'service', rc || '/' || rs,
                                     'amount', (sh.cost + r)::text))
   FROM generate_series(0, 5) r,
        LATERAL (SELECT (ARRAY['USPS','UPS','FedEx','DHL','USPS','UPS'])[1 + r] AS rc,
                        (ARRAY['GroundAdvantage','Ground','Home','Express','Priority',
                               '2ndDayAir'])[1 + r] AS rs) x),
  'rate_' || sh.id || '_0', sh.cost,
  CASE WHEN sh.state <> 'rated' THEN {TRACKING_CODE} END,
  CASE WHEN sh.state <> 'rated' THEN 'PDF' END,
  CASE WHEN sh.state <> 'rated' THEN sh.created_at END,
  CASE WHEN sh.state = 'fulfilled' THEN 'trk_' || sh.id || '_' || p END,
  sh.tracking_status,
  CASE WHEN sh.tracking_status IS NOT NULL THEN
    (SELECT json_agg(json_build_object('status', st, 'message', 'Scanned at facility ' || e,
                                       'at', sh.created_at + e * interval '10 hours',
                                       'city', 'HUB ' || e, 'state', 'NV', 'country', 'US', 'zip',
                                         NULL, 'detail', NULL))
     FROM generate_series(1, CASE sh.tracking_status WHEN 'delivered' THEN 6 WHEN 'in_transit' THEN
       4 ELSE 1 END) e,
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
    ("nothing_to_ship", 2, "nothing_to_ship",
     "Nothing to ship: every item is digital or a gift card"),
]
GROUPS = {"shipped": ("label_bought", "fulfilled", "in_transit", "delivered"),
          "shipped_on": ("fulfilled", "in_transit", "delivered"),
          "moving": ("in_transit", "delivered")}


def _timeline_values() -> str:
    rows = []
    for applies, step, kind, message in TIMELINE:
        states = GROUPS.get(applies, (applies,))
        for state in states:
            rows.append(f"('{state}', {step}, '{kind}', '{message}')")
    return ", ".join(rows)


SEED_EVENTS = f"""
INSERT INTO order_events (shop_id, order_id, kind, message, source, created_at)
SELECT o.shop_id, o.id, t.kind, t.message, CASE WHEN t.step = 1 THEN 'webhook orders/create' ELSE
  'shipping' END,
  o.shopify_created_at + t.step * interval '3 hours'
FROM orders o JOIN (VALUES {_timeline_values()}) t(state, step, kind, message)
  ON t.state = o.state OR (t.state = '*' AND true)
ORDER BY o.id, t.step"""

SEED_NOTICES = """
INSERT INTO notices (shop_id, shipment_id, channel, kind, state, recipient, attempts, created_at,
  sent_at)
SELECT sh.shop_id, sh.id, k.channel, k.kind, 'sent', CASE WHEN k.channel = 'email' THEN o.email END,
  1,
  sh.created_at + k.after, sh.created_at + k.after
FROM shipments sh JOIN orders o ON o.id = sh.order_id
JOIN (VALUES ('email', 'shipped', interval '1 day', 'fulfilled'),
             ('shopify', 'IN_TRANSIT', interval '2 days', 'in_transit'),
             ('email', 'delivered', interval '4 days', 'delivered'),
             ('shopify', 'DELIVERED', interval '4 days', 'delivered')) k(channel, kind, after,
               min_state)
  ON (k.min_state = 'fulfilled' AND sh.tracking_status IS NOT NULL)
  OR (k.min_state = 'in_transit' AND sh.tracking_status IN ('in_transit', 'delivered'))
  OR (k.min_state = 'delivered' AND sh.tracking_status = 'delivered')
ORDER BY sh.id"""

SEED_ALERTS = """
INSERT INTO alerts (shop_id, order_id, shipment_id, kind, message, created_at)
SELECT sh.shop_id, sh.order_id, sh.id, 'stalled', 'No movement for 5 days: ask the carrier',
  sh.created_at + interval '6 days'
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
        conn.execute(text(SEED_CUSTOMERS),
                     {"shop": shop, "base": base, "count": _customers(orders)})
    took["customers"] = time.monotonic() - started
    (shop, count, base), (other, other_count, other_base) = shops
    steps = [("orders", SEED_ORDERS, {
        "shop": shop, "count": count, "customers": _customers(count), "base": base, "other": other,
        "other_count": other_count, "other_customers": _customers(other_count),
        "other_base": other_base})]
    steps += [(table, sql, {}) for table, sql in (
        ("line_items", SEED_LINE_ITEMS), ("order_events", SEED_EVENTS),
        ("shipments", SEED_SHIPMENTS),
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
WITH o AS (SELECT id, shopify_created_at FROM orders WHERE shop_id = :shop AND shopify_id = :base +
  777),
s AS (INSERT INTO shipments (shop_id, order_id, fulfillment_order_id, lines, state, carrier,
  service,
                             cost, currency, created_at)
      SELECT :shop, o.id, 'gid://shopify/FulfillmentOrder/heavy-' || k, '[]'::json, 'voided', 'UPS',
             'Ground', 9.5, 'USD', o.shopify_created_at FROM o, generate_series(1, 6) k RETURNING
               id)
INSERT INTO parcels (shipment_id, shop_id, position, box, length_in, width_in, height_in, weight_oz,
  contents)
SELECT s.id, :shop, p, 'Large box', 12, 10, 8, 40, '{}'::json FROM s, generate_series(0, 2)
  p""", """
INSERT INTO order_events (shop_id, order_id, kind, message, source, created_at)
SELECT :shop, o.id, 'tracking', 'Scanned at hub ' || k, 'carrier', o.shopify_created_at + k *
  interval '1 hour'
FROM orders o, generate_series(1, 200) k WHERE o.shop_id = :shop AND o.shopify_id = :base + 777"""]
