"""The reconciler: a missed webhook costs minutes, never an order.

Per installed shop, on a schedule: make sure our order webhook subscriptions exist (Shopify deletes
one after 48 hours of failed deliveries), then read every order Shopify updated since the last
pass and process those we never received or hold an older version of. Last, check that recent
fulfilments of ours are still in Shopify with their tracking (bought labels that never reached
Shopify are the clock's: `schedule_shipping` pushes them again).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from ..db.models import Order, Shipment, Shop, parse_time, utcnow
from ..fulfilment.states.shipments import ShipmentState
from ..integrations.shopify import operations
from ..integrations.shopify.errors import ShopifyQueryError, ShopifyUserError
from ..integrations.shopify.ids import gid_to_id
from ..integrations.shopify.operations import Fulfilment, tracking_input
from ..integrations.shopify.readers import PayloadError
from ..queue.calls import job, run
from ..services import access_token, services
from ..store.orders import record, stored_version
from ..store.shops import ShopNotInstalled

log = logging.getLogger(__name__)

ORDER_SUBSCRIPTIONS = ("ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED")
PAGE_SIZE = 100
# Fulfilments checked in Shopify: those of the last two weeks, at most so many per pass, the
# least recently checked first. Marks live in Shipment.selection (the schema has no column).
CHECK_WINDOW = timedelta(days=14)
CHECK_BATCH = 50
CHECKED = "verified_at"
CANCELLED_THERE = "cancelled_in_shopify_at"


def ensure_subscriptions(svc, domain: str, token: str) -> list[str]:
    """Create the order subscriptions Shopify does not have; returns the topics created."""
    present = operations.webhook_subscriptions(svc.admin, domain, token)
    created = []
    for topic in ORDER_SUBSCRIPTIONS:
        if (topic, svc.webhook_uri) in present:
            continue
        try:
            operations.create_webhook_subscription(svc.admin, domain, token, topic,
                                                   svc.webhook_uri)
        except ShopifyUserError as exc:
            log.warning("subscription %s for %s refused: %s", topic, domain, exc.messages)
            continue
        created.append(topic)
    return created


def _known(svc, shop_id: int, shopify_id: int):
    with svc.db.session() as s:
        return stored_version(s, shop_id, shopify_id)


def _catch_up(svc, shop_id: int, domain: str, token: str, listed: dict) -> bool:
    """Fetch and process one listed order if we lack it or hold an older version."""
    shopify_id = gid_to_id(listed["id"], "Order")
    known = _known(svc, shop_id, shopify_id)
    if known is not None and known[0] >= parse_time(listed["updatedAt"]):
        return False
    snap = operations.order(svc.admin, domain, token, listed["id"])
    if snap is None:
        return False
    run("apply_order", svc, shop_id, snap, "reconciler")
    if known is None:
        with svc.db.session() as s, s.begin():
            order = s.scalar(select(Order).where(Order.shop_id == shop_id,
                                                 Order.shopify_id == shopify_id))
            record(s, order, "recovered", "No webhook arrived for this order; the reconciler "
                   "found it in Shopify", "reconciler")
    return True


@job
def reconcile_shop(shop_id: int) -> int:
    """Returns how many orders it caught up."""
    svc = services()
    try:
        domain, token = access_token(svc, shop_id)
    except ShopNotInstalled:
        return 0
    started = utcnow()
    ensure_subscriptions(svc, domain, token)
    with svc.db.session() as s:
        shop = s.get(Shop, shop_id)
        since = shop.reconciled_through or (
            started - timedelta(days=svc.settings.RECONCILE_BACKFILL_DAYS))
    since -= timedelta(seconds=svc.settings.RECONCILE_OVERLAP_SECONDS)
    caught_up = 0
    for node in operations.orders_updated_since(svc.admin, domain, token, since, PAGE_SIZE):
        try:
            caught_up += _catch_up(svc, shop_id, domain, token, node)
        except (PayloadError, KeyError, TypeError, ValueError) as exc:
            log.error("reconciler skipped an order of %s: %s", domain, exc)
    with svc.db.session() as s, s.begin():
        s.get(Shop, shop_id).reconciled_through = started
    repaired = check_fulfilments(svc, shop_id, domain, token)
    if repaired:
        log.info("reconciler repaired %d fulfilment(s) of %s", repaired, domain)
    return caught_up


def _to_check(svc, shop_id: int) -> dict[int, list[int]]:
    """Shipment ids by order id."""
    checked = Shipment.selection[CHECKED].as_string()
    with svc.db.session() as s:
        rows = s.execute(select(Shipment.order_id, Shipment.id).where(
            Shipment.shop_id == shop_id, Shipment.state == ShipmentState.FULFILLED,
            Shipment.shopify_fulfillment_id.is_not(None),
            Shipment.fulfilled_at >= utcnow() - CHECK_WINDOW,
            Shipment.selection[CANCELLED_THERE].as_string().is_(None),
        ).order_by(checked.nulls_first(), Shipment.fulfilled_at).limit(CHECK_BATCH)).all()
    by_order = defaultdict(list)
    for order_id, shipment_id in rows:
        by_order[order_id].append(shipment_id)
    return by_order


def check_fulfilments(svc, shop_id: int, domain: str, token: str) -> int:
    """Every recent fulfilment of ours must be in Shopify with our tracking: put back tracking
    that is missing or different; record, and leave be, one the merchant cancelled there.
    Returns how many it repaired or recorded."""
    changed = 0
    for order_id, shipment_ids in _to_check(svc, shop_id).items():
        try:
            found = _fulfilments_in_shopify(svc, domain, token, order_id)
            changed += sum(_check_one(svc, domain, token, i, found) for i in shipment_ids)
        except (ShopifyQueryError, PayloadError, KeyError, TypeError, ValueError) as exc:
            log.error("reconciler could not check the fulfilments of order %s: %s", order_id, exc)
    return changed


def _fulfilments_in_shopify(svc, domain: str, token: str,
                            order_id: int) -> dict[str, Fulfilment]:
    with svc.db.session() as s:
        shopify_id = s.get(Order, order_id).shopify_id
    return {f.id: f for f in operations.order_fulfilments(svc.admin, domain, token, shopify_id)}


def _check_one(svc, domain: str, token: str, shipment_id: int,
               found: dict[str, Fulfilment]) -> bool:
    with svc.db.session() as s:
        shipment = s.get(Shipment, shipment_id)
        numbers = [p.tracking_code for p in shipment.parcels if p.voided_at is None]
        expected = tracking_input(shipment.carrier, numbers)
        fulfillment_id = shipment.shopify_fulfillment_id
    fulfillment = found.get(fulfillment_id)
    news, marks = None, {CHECKED: utcnow().isoformat()}
    if fulfillment is None:
        log.warning("fulfilment %s of shipment %s is not among its order's in Shopify",
                    fulfillment_id, shipment_id)
    elif fulfillment.status == "CANCELLED":
        news = ("fulfilment_cancelled_in_shopify",
                f"The fulfilment with tracking {', '.join(numbers)} was cancelled in Shopify;"
                " it is not created again")
        marks[CANCELLED_THERE] = marks[CHECKED]
    elif _tracking_differs(fulfillment, expected):
        # Without notifying the customer: the fulfilment's first notice already went out.
        operations.update_tracking(svc.admin, domain, token, fulfillment_id, expected,
                                   notify_customer=False)
        news = ("tracking_repaired", f"Shopify had {_described(fulfillment)} on the fulfilment;"
                                     f" put back {expected['company']} {', '.join(numbers)}")
    _note(svc, shipment_id, marks, news)
    return news is not None


def _tracking_differs(fulfillment: Fulfilment, expected: dict) -> bool:
    numbers = sorted(t.number for t in fulfillment.tracking if t.number)
    companies = {t.company for t in fulfillment.tracking}
    return numbers != sorted(expected["numbers"]) or companies != {expected["company"]}


def _described(fulfillment: Fulfilment) -> str:
    info = [t for t in fulfillment.tracking if t.number]
    if not info:
        return "no tracking"
    return "tracking " + ", ".join(f"{t.company or '?'} {t.number}" for t in info)


def _note(svc, shipment_id: int, marks: dict, news: tuple[str, str] | None) -> None:
    with svc.db.session() as s, s.begin():
        shipment = s.get(Shipment, shipment_id)
        shipment.selection = dict(shipment.selection or {}) | marks
        if news is not None:
            record(s, s.get(Order, shipment.order_id), *news, "reconciler")


@job
def after_install(shop_id: int) -> None:
    """Name the shop, subscribe to its order webhooks and read its recent orders."""
    svc = services()
    domain, token = access_token(svc, shop_id)
    info = operations.shop_info(svc.admin, domain, token)
    with svc.db.session() as s, s.begin():
        s.get(Shop, shop_id).name = info.name
    reconcile_shop(shop_id)
