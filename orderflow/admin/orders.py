"""Orders: the shop's orders, filtered, searched and paged, and one order's whole story.

The list pages by keyset on the order id (the ids at a page's edges, `before` and `after`), never
by OFFSET, so a deep page costs what the first does. A search is a UNION of small queries, one per
kind of match (order name, email, customer, tracking number), each already filtered and limited
to the page and each served by an index; one query OR-ing them could use none (migration 0005).
A list page is a fixed number of queries whatever its size: the orders with their customers,
their shipments, the shop's carriers (and the shop, for authentication).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from flask import current_app, g, render_template, request, url_for
from sqlalchemy import and_, func, or_, select, text, union
from sqlalchemy.orm import joinedload, selectinload

from ..actions.shipping import SHIPPING_CANCELLED, SHOPIFY_HOLD, is_unpaid_hold
from ..db.models import Alert, Customer, Notice, Order, OrderEvent, ParcelRow, Shipment
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import LABELLED, ShipmentState
from ..services import services
from ..store.orders import SHIPPED_STATES
from . import bp

PAGE_SIZES = (10, 25, 50, 100)
PAGE_SIZE = 50

STATES = {
    "received": "Received", "ready": "Ready to ship", "on_hold": "On hold",
    "label_bought": "Label bought", "fulfilled": "Fulfilled", "in_transit": "In transit",
    "delivered": "Delivered", "exception": "Exception", "nothing_to_ship": "Nothing to ship",
    "cancelled": "Cancelled",
}
assert set(STATES) == {s.value for s in OrderState}

# Why an order waits, by kind: the phrases its reason contains (an order on hold carries all of
# its reasons, joined by "; ").
HOLD_KINDS = {
    "payment": ("Payment", ("Payment ", "Order refunded", "Order partly refunded")),
    "address": ("Shipping address", ("No shipping address", "Shipping address is missing",
                                     "The carrier cannot deliver")),
    "stock": ("Stock", ("Not enough stock", "Could not check stock")),
    "shopify": ("Held in Shopify", (SHOPIFY_HOLD,)),
    "no_rate": ("No rate to buy", ("No rate to buy",)),
    "merchant": ("Shipping cancelled by you", (SHIPPING_CANCELLED,)),
    "failed": ("A step failed", ("Could not ",)),
}
_WAITING = (OrderState.ON_HOLD.value, OrderState.EXCEPTION.value)

# The shop's distinct carriers in one index walk (shipments' shop_id, carrier), not a scan.
_CARRIERS = text("""
WITH RECURSIVE c(carrier) AS (
  SELECT min(carrier) FROM shipments WHERE shop_id = :shop
  UNION ALL
  SELECT (SELECT min(carrier) FROM shipments WHERE shop_id = :shop AND carrier > c.carrier)
  FROM c WHERE c.carrier IS NOT NULL)
SELECT carrier FROM c WHERE carrier IS NOT NULL""")


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    start: date | None = None  # placed on or after this day (UTC)
    end: date | None = None  # placed on or before this day (UTC)
    carrier: str | None = None
    hold: str | None = None
    q: str = ""
    errors: dict = field(default_factory=dict)  # field -> what is wrong with it

    def params(self) -> dict:
        """As query parameters, for links that keep them."""
        return {"state": self.state, "from": self.start and self.start.isoformat(),
                "to": self.end and self.end.isoformat(), "carrier": self.carrier,
                "hold": self.hold, "q": self.q}


def read_filters(args) -> Filters:
    errors: dict[str, str] = {}
    start, end = _day(args, "from", errors), _day(args, "to", errors)
    if start and end and end < start:
        errors["to"], end = "The end date is before the start date.", None
    state = args.get("state") if args.get("state") in STATES else None
    hold = args.get("hold") if args.get("hold") in HOLD_KINDS else None
    return Filters(state, start, end, args.get("carrier") or None, hold,
                   (args.get("q") or "").strip()[:100], errors)


def _day(args, name: str, errors: dict) -> date | None:
    raw = (args.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        errors[name] = "Use a date like 2026-11-26."
        return None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def conditions(shop_id: int, f: Filters) -> list:
    where = [Order.shop_id == shop_id]
    if f.state:
        where.append(Order.state == f.state)
    if f.start:
        where.append(Order.shopify_created_at >= _midnight(f.start))
    if f.end:
        where.append(Order.shopify_created_at < _midnight(f.end + timedelta(days=1)))
    if f.carrier:
        where.append(Order.id.in_(select(Shipment.order_id).where(
            Shipment.shop_id == shop_id, Shipment.carrier == f.carrier,
            Shipment.state != ShipmentState.VOIDED)))
    if f.hold:
        phrases = HOLD_KINDS[f.hold][1]
        where += [Order.state.in_(_WAITING),
                  or_(*(Order.hold_reason.contains(p, autoescape=True) for p in phrases))]
    return where


def search_matches(shop_id: int, q: str) -> list:
    """One condition per kind of match, each answerable from an index."""
    words = q.lower().split()
    typed = " ".join(words)
    names = {typed, typed if typed.startswith("#") else "#" + typed}
    return [
        or_(*(func.lower(Order.name).like(_like_prefix(n), escape="\\") for n in names)),
        func.lower(Order.email).like(_like_prefix(typed), escape="\\"),
        Order.customer_id.in_(_customers_named(shop_id, words)),
        Order.id.in_(select(Shipment.order_id).join(ParcelRow, ParcelRow.shipment_id == Shipment.id)
                     .where(ParcelRow.shop_id == shop_id,
                            ParcelRow.tracking_code.in_(sorted({q.strip(), q.strip().upper()})))),
    ]


def _customers_named(shop_id: int, words: list[str]):
    first, last = func.lower(Customer.first_name), func.lower(Customer.last_name)
    typed = _like_prefix(" ".join(words))
    named = [first.like(typed, escape="\\"), last.like(typed, escape="\\")]
    if len(words) > 1:
        rest = _like_prefix(" ".join(words[1:]))
        named.append(and_(first == words[0], last.like(rest, escape="\\")))
    return select(Customer.id).where(Customer.shop_id == shop_id, or_(*named))


def _keyset(query, before: int | None, after: int | None, size: int, key=Order.id):
    if after is not None:
        return query.where(key > after).order_by(key.asc()).limit(size + 1)
    if before is not None:
        query = query.where(key < before)
    return query.order_by(key.desc()).limit(size + 1)


def _by_date_index(f: Filters, today: date) -> bool:
    """Whether to read a past date range from its index rather than walk the ids down from the
    newest order until the range is met. Orders are placed about evenly in time and their ids
    follow, which the planner cannot know: left alone, it walks through every order placed since
    the range. Reading the range is cheaper when it is shorter than the time since it ended."""
    return f.start is not None and f.end is not None and f.end - f.start < today - f.end


def orders_query(shop_id: int, f: Filters, before: int | None, after: int | None, size: int):
    where = conditions(shop_id, f)
    if f.q:
        branches = [_keyset(select(Order.id).where(*where, match), before, after, size).subquery()
                    for match in search_matches(shop_id, f.q)]
        where = [Order.shop_id == shop_id, Order.id.in_(union(*(select(b.c.id) for b in branches)))]
    elif _by_date_index(f, datetime.now(UTC).date()):
        # Paged on an expression, the page's ids cannot come from walking the primary key.
        ids = _keyset(select(Order.id).where(*where), before, after, size,
                      key=Order.id + 0).subquery()
        where = [Order.shop_id == shop_id, Order.id.in_(select(ids.c.id))]
    return _keyset(select(Order).where(*where).options(joinedload(Order.customer)),
                   before, after, size)


@dataclass
class Page:
    orders: list
    newer: int | None  # `after` for the newer page
    older: int | None  # `before` for the older page


def page_of(rows: list, before: int | None, after: int | None, size: int) -> Page:
    more = len(rows) > size
    rows = rows[:size]
    if after is not None:
        rows.reverse()
        return Page(rows, rows[0].id if more and rows else None, rows[-1].id if rows else after + 1)
    older = rows[-1].id if more else None
    return Page(rows, rows[0].id if before is not None and rows else None, older)


@dataclass
class Shipping:
    """An order's live shipments as the list shows them."""

    carrier: str | None
    service: str | None
    state: str
    tracking_status: str | None
    codes: list[str] = field(default_factory=list)


def shipping_of(session, shop_id: int, order_ids: list[int]) -> dict[int, list[Shipping]]:
    rows = session.execute(
        select(Shipment.order_id, Shipment.id, Shipment.carrier, Shipment.service, Shipment.state,
               Shipment.tracking_status, ParcelRow.tracking_code)
        .outerjoin(ParcelRow, and_(ParcelRow.shipment_id == Shipment.id,
                                   ParcelRow.voided_at.is_(None)))
        .where(Shipment.shop_id == shop_id, Shipment.order_id.in_(order_ids),
               Shipment.state != ShipmentState.VOIDED)
        .order_by(Shipment.id, ParcelRow.position)).all()
    by_shipment: dict[int, tuple[int, Shipping]] = {}
    for order_id, ship_id, carrier, service, state, status, code in rows:
        _, shipping = by_shipment.setdefault(
            ship_id, (order_id, Shipping(carrier, service, state, status)))
        if code:
            shipping.codes.append(code)
    found: dict[int, list[Shipping]] = {}
    for order_id, shipping in by_shipment.values():
        found.setdefault(order_id, []).append(shipping)
    return found


def customer_name(order: Order) -> str:
    c = order.customer
    return " ".join(n for n in (c.first_name, c.last_name) if n) if c else ""


def order_links():
    """`admin_url` for each order of a page, with the carried query string encoded once: per
    row, admin_url's encoding of the session token was a third of the page's render time."""
    query = urlencode(g.carried)
    return lambda order_id: f"{url_for('admin.orders_show', order_id=order_id)}?{query}"


def _page_size() -> int:
    size = request.args.get("per_page", type=int)
    return size if size in PAGE_SIZES else PAGE_SIZE


@bp.get("/orders")
def orders():
    filters, size = read_filters(request.args), _page_size()
    before, after = request.args.get("before", type=int), request.args.get("after", type=int)
    with services().db.session() as s:
        rows = s.scalars(orders_query(g.shop.id, filters, before, after, size)).unique().all()
        page = page_of(list(rows), before, after, size)
        shipping = shipping_of(s, g.shop.id, [o.id for o in page.orders]) if page.orders else {}
        carriers = s.scalars(_CARRIERS, {"shop": g.shop.id}).all()
    return render_template(
        "admin/orders.html", page=page, shipping=shipping, filters=filters, carriers=carriers,
        states=STATES, hold_kinds=HOLD_KINDS, customer_name=customer_name,
        order_link=order_links(), size=size, sizes=PAGE_SIZES, deeper=bool(before or after),
        can_batch="admin.batches_create" in current_app.view_functions)


@bp.get("/orders/<int:order_id>")
def orders_show(order_id: int):
    with services().db.session() as s:
        order = s.scalar(select(Order).where(Order.id == order_id, Order.shop_id == g.shop.id)
                         .options(joinedload(Order.customer), selectinload(Order.line_items)))
        if order is None:
            return render_template("admin/orders_missing.html"), 404
        found = story(s, order)
        return render_template("admin/orders_show.html", order=order, states=STATES, offers=offers,
                               considered=considered, customer_name=customer_name,
                               can=choices(order, found["shipments"]),
                               app_url=services().settings.APP_URL.rstrip("/"), **found)




def choices(order: Order, shipments: list[Shipment]) -> dict[str, bool]:
    """Which actions the page offers; the actions check again, since the page may be stale."""
    held, reason = order.state == OrderState.ON_HOLD.value, order.hold_reason or ""
    live_label = any(sh.state in LABELLED for sh in shipments)
    return {
        "release": held and SHOPIFY_HOLD not in reason,
        "held_in_shopify": held and SHOPIFY_HOLD in reason,
        "unpaid": held and is_unpaid_hold(reason),
        "rerate": order.state == OrderState.READY.value,
        "void_first": live_label and order.state not in SHIPPED_STATES,
        "cancel": not live_label and SHIPPING_CANCELLED not in reason
        and order.state not in (*SHIPPED_STATES, OrderState.CANCELLED.value,
                                OrderState.NOTHING_TO_SHIP.value),
    }


@dataclass(frozen=True)
class Offer:
    service: str  # "UPS/Ground"
    amount: Decimal  # for every parcel of the shipment
    days: int | None
    chosen: bool  # the rate the shipment would be bought with now
    policy: bool  # the rate the selection policy chose


def offers(shipment: Shipment) -> list[Offer]:
    """The services every parcel of a rated shipment was offered, cheapest first: what can be
    bought."""
    per_parcel = [{r["service"]: Decimal(r["amount"]) for r in p.rates or []}
                  for p in shipment.parcels]
    common = set.intersection(*map(set, per_parcel)) if per_parcel else set()
    rates = considered(shipment)
    days = {f"{r['carrier']}/{r['service']}": r.get("delivery_days") for r in rates}
    chose = (shipment.selection or {}).get("chosen")
    policy = f"{rates[0]['carrier']}/{rates[0]['service']}" if chose else None
    chosen = f"{shipment.carrier}/{shipment.service}"
    return sorted((Offer(sv, sum(p[sv] for p in per_parcel), days.get(sv), sv == chosen,
                         sv == policy) for sv in common), key=lambda o: (o.amount, o.service))


def considered(shipment: Shipment) -> list[dict]:
    """The rates the selection weighed: the chosen one first, then each other with why not."""
    selection = shipment.selection or {}
    return [r for r in [selection.get("chosen"), *selection.get("alternatives", [])] if r]


def story(session, order: Order) -> dict:
    """Everything the order page shows beyond the order itself: five queries."""
    shipments = session.scalars(
        select(Shipment).where(Shipment.order_id == order.id, Shipment.shop_id == order.shop_id)
        .options(selectinload(Shipment.parcels).defer(ParcelRow.label_data))
        .order_by(Shipment.id.desc())).all()
    return {
        "shipments": shipments,
        "events": session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                           OrderEvent.shop_id == order.shop_id)
                                  .order_by(OrderEvent.id)).all(),
        "notices": session.scalars(
            select(Notice).join(Shipment, Shipment.id == Notice.shipment_id)
            .where(Shipment.order_id == order.id, Notice.shop_id == order.shop_id)
            .order_by(Notice.id)).all(),
        "alerts": session.scalars(select(Alert).where(Alert.order_id == order.id,
                                                      Alert.shop_id == order.shop_id)
                                  .order_by(Alert.id.desc())).all(),
    }
