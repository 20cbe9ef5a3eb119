"""The reconciler: a missed webhook costs minutes, never an order.

Per installed shop, on a schedule: make sure our order webhook subscriptions exist (Shopify deletes
one after 48 hours of failed deliveries), then read every order Shopify updated since the last
pass and process those we never received or hold an older version of.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from ..integrations.shopify import queries
from ..integrations.shopify.mapping import PayloadError, gid_to_id, order_from_graphql
from ..models import Order, Shop, parse_time, utcnow
from ..orders import record, stored_version
from ..queue import job
from ..services import services
from ..shop_access import ShopNotInstalled, access_token
from .orders import apply_order

log = logging.getLogger(__name__)

ORDER_SUBSCRIPTIONS = ("ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED")
PAGE_SIZE = 100


def ensure_subscriptions(svc, domain: str, token: str) -> list[str]:
    """Create the order subscriptions Shopify does not have; returns the topics created."""
    data = svc.admin.graphql(domain, token, queries.WEBHOOK_SUBSCRIPTIONS)
    present = {(n.get("topic"), n.get("uri")) for n in data["webhookSubscriptions"]["nodes"]}
    created = []
    for topic in ORDER_SUBSCRIPTIONS:
        if (topic, svc.webhook_uri) in present:
            continue
        result = svc.admin.graphql(domain, token, queries.WEBHOOK_SUBSCRIPTION_CREATE, {
            "topic": topic, "webhookSubscription": {"uri": svc.webhook_uri, "format": "JSON"},
        })["webhookSubscriptionCreate"]
        if result.get("userErrors"):
            log.warning("subscription %s for %s refused: %s", topic, domain, result["userErrors"])
            continue
        created.append(topic)
    return created


def _pages(svc, domain: str, token: str, since):
    query = f"updated_at:>='{since.isoformat()}'"
    after = None
    while True:
        data = svc.admin.graphql(domain, token, queries.ORDERS_UPDATED_SINCE,
                                 {"first": PAGE_SIZE, "after": after, "query": query})
        connection = data["orders"]
        yield from connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return
        after = connection["pageInfo"]["endCursor"]


def _known(svc, shop_id: int, shopify_id: int):
    with svc.db.session() as s:
        return stored_version(s, shop_id, shopify_id)


def _catch_up(svc, shop_id: int, domain: str, token: str, listed: dict) -> bool:
    """Fetch and process one listed order if we lack it or hold an older version."""
    shopify_id = gid_to_id(listed["id"], "Order")
    known = _known(svc, shop_id, shopify_id)
    if known is not None and known[0] >= parse_time(listed["updatedAt"]):
        return False
    node = svc.admin.graphql(domain, token, queries.ORDER_BY_ID, {"id": listed["id"]})["order"]
    if node is None:
        return False
    apply_order(svc, shop_id, order_from_graphql(node), "reconciler")
    if known is None:
        with svc.db.session() as s, s.begin():
            order = s.scalar(select(Order).where(Order.shop_id == shop_id,
                                                 Order.shopify_id == shopify_id))
            record(s, order, "recovered", "No webhook arrived for this order; the reconciler "
                   "found it in Shopify", "reconciler")
    return True


@job(queue="reconcile", timeout=1800)
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
    for node in _pages(svc, domain, token, since):
        try:
            caught_up += _catch_up(svc, shop_id, domain, token, node)
        except (PayloadError, KeyError, TypeError, ValueError) as exc:
            log.error("reconciler skipped an order of %s: %s", domain, exc)
    with svc.db.session() as s, s.begin():
        s.get(Shop, shop_id).reconciled_through = started
    return caught_up


@job(queue="reconcile", timeout=600)
def after_install(shop_id: int) -> None:
    """Name the shop, subscribe to its order webhooks and read its recent orders."""
    svc = services()
    domain, token = access_token(svc, shop_id)
    info = svc.admin.graphql(domain, token, queries.SHOP_INFO)["shop"]
    with svc.db.session() as s, s.begin():
        s.get(Shop, shop_id).name = info.get("name")
    reconcile_shop(shop_id)
