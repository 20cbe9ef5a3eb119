"""Every Admin GraphQL operation the jobs send: one function each, typed arguments in, our types
out, through `ShopifyAdmin` (admin.py: throttling, retries, transport errors).

A mutation that Shopify answers with `userErrors` raises `ShopifyUserError` here, once; a caller
that lives with some of them catches it. The one exception Shopify's answer makes for us:
cancelling a fulfilment that is already cancelled is no error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from ...fulfilment.carrier_names import shopify_company, tracking_url
from ...fulfilment.types import OrderSnapshot
from .. import json_readers as read
from . import queries
from .admin import ShopifyAdmin
from .errors import ShopifyUserError
from .fulfilment_orders import (
    MAX_LINES,
    QUERY,
    OpenFulfilmentOrder,
    lines_cut,
    open_fulfilment_orders,
)
from .ids import id_to_gid
from .inventory import inventory_levels
from .orders import order_from_graphql
from .readers import Fields


@dataclass(frozen=True)
class ShopInfo:
    name: str | None
    email: str | None


@dataclass(frozen=True)
class Tracking:
    company: str | None
    number: str | None
    url: str | None = None


@dataclass(frozen=True)
class Fulfilment:
    id: str  # Fulfillment gid
    status: str | None  # SUCCESS, CANCELLED, ...
    tracking: tuple[Tracking, ...] = ()


def tracking_input(carrier: str, numbers: list[str]) -> dict:
    """Shopify's exact company name builds its own links; otherwise we give ours (notes, sec. 3)."""
    info = {"company": shopify_company(carrier) or carrier, "numbers": numbers}
    urls = [tracking_url(carrier, n) for n in numbers]
    if all(urls):
        info["urls"] = urls
    return info


# --- the shop and its webhooks -----------------------------------------------------------------


def shop_info(admin: ShopifyAdmin, domain: str, token: str) -> ShopInfo:
    shop = (admin.graphql(domain, token, queries.SHOP_INFO) or {}).get("shop") or {}
    return ShopInfo(name=shop.get("name"), email=shop.get("email"))


def webhook_subscriptions(admin: ShopifyAdmin, domain: str, token: str) -> set[tuple]:
    """The (topic, uri) of every webhook subscription the shop has for this app."""
    data = admin.graphql(domain, token, queries.WEBHOOK_SUBSCRIPTIONS)
    return {(n.get("topic"), n.get("uri")) for n in data["webhookSubscriptions"]["nodes"]}


def create_webhook_subscription(admin: ShopifyAdmin, domain: str, token: str, topic: str,
                                uri: str) -> None:
    _mutate(admin, domain, token, queries.WEBHOOK_SUBSCRIPTION_CREATE, {
        "topic": topic, "webhookSubscription": {"uri": uri, "format": "JSON"},
    }, "webhookSubscriptionCreate", f"the {topic} subscription")


# --- orders ------------------------------------------------------------------------------------


def orders_updated_since(admin: ShopifyAdmin, domain: str, token: str, since: datetime,
                         page_size: int) -> Iterator[dict]:
    """Every order updated since `since`, page by page, as listed (`id`, `legacyResourceId`,
    `updatedAt`): the caller reads each node, so that one it cannot read skips one order."""
    query = f"updated_at:>='{since.isoformat()}'"
    after = None
    while True:
        data = admin.graphql(domain, token, queries.ORDERS_UPDATED_SINCE,
                             {"first": page_size, "after": after, "query": query})
        connection = data["orders"]
        yield from connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return
        after = connection["pageInfo"]["endCursor"]


def order(admin: ShopifyAdmin, domain: str, token: str, gid: str) -> OrderSnapshot | None:
    """The order with the Order gid `gid`; None when Shopify has none."""
    node = admin.graphql(domain, token, queries.ORDER_BY_ID, {"id": gid})["order"]
    return None if node is None else order_from_graphql(node)


def fulfilment_orders(admin: ShopifyAdmin, domain: str, token: str, order_id: int,
                      lines: int) -> list[OpenFulfilmentOrder]:
    """The order's open fulfilment orders, read with a page of `lines` lines (the order's line
    count); asked again with the longest page if an edit has made the order longer since."""
    variables = {"id": id_to_gid("Order", order_id), "lines": min(max(lines, 1), MAX_LINES)}
    data = admin.graphql(domain, token, QUERY, variables)
    if variables["lines"] < MAX_LINES and lines_cut(data):
        data = admin.graphql(domain, token, QUERY, variables | {"lines": MAX_LINES})
    return open_fulfilment_orders(data)


def stock_at(admin: ShopifyAdmin, domain: str, token: str, items: list[str],
             location_id: str) -> dict[str, int | None]:
    """On-hand quantity of each InventoryItem gid at the Location gid (inventory.py)."""
    return inventory_levels(admin.graphql(domain, token, queries.INVENTORY_AT_LOCATION,
                                          {"ids": items, "locationId": location_id}))


# --- fulfilments -------------------------------------------------------------------------------


def order_fulfilments(admin: ShopifyAdmin, domain: str, token: str,
                      order_id: int) -> list[Fulfilment]:
    """The order's fulfilments with their tracking, cancelled ones included."""
    data = admin.graphql(domain, token, queries.ORDER_FULFILLMENTS,
                         {"id": id_to_gid("Order", order_id)})
    order_node = Fields.of(data, "fulfilments response").obj("order")
    if order_node is None:
        return []
    return [_fulfilment(f) for f in order_node.each_if_any("fulfillments", "fulfilment")]


def _fulfilment(fulfilment: Fields) -> Fulfilment:
    tracking = tuple(
        Tracking(
            t.get("company", read.trimmed_text),
            t.get("number", read.trimmed_text),
            t.get("url", read.trimmed_text),
        )
        for t in fulfilment.each_if_any("trackingInfo", "tracking")
    )
    return Fulfilment(
        fulfilment.need("id", read.trimmed_text),
        fulfilment.get("status", read.trimmed_text),
        tracking,
    )


def create_fulfilment(admin: ShopifyAdmin, domain: str, token: str, fulfillment_order_id: str,
                      lines: list[dict], tracking: dict, notify_customer: bool) -> str:
    """Fulfil `lines` ({"id", "quantity"}) of the fulfilment order with `tracking`
    (`tracking_input`); the Fulfillment gid."""
    request = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order_id,
                                         "fulfillmentOrderLineItems": lines}],
        "trackingInfo": tracking,
        "notifyCustomer": notify_customer,
    }
    result = _mutate(admin, domain, token, queries.FULFILLMENT_CREATE, {"fulfillment": request},
                     "fulfillmentCreate", "the fulfilment")
    return result["fulfillment"]["id"]


def update_tracking(admin: ShopifyAdmin, domain: str, token: str, fulfilment_id: str,
                    tracking: dict, notify_customer: bool = False) -> None:
    _mutate(admin, domain, token, queries.FULFILLMENT_TRACKING_INFO_UPDATE, {
        "fulfillmentId": fulfilment_id, "trackingInfoInput": tracking,
        "notifyCustomer": notify_customer,
    }, "fulfillmentTrackingInfoUpdate", "the tracking")


def cancel_fulfilment(admin: ShopifyAdmin, domain: str, token: str, fulfilment_id: str) -> None:
    """Cancel the fulfilment; one Shopify reports cancelled already is no error."""
    _mutate(admin, domain, token, queries.FULFILLMENT_CANCEL, {"id": fulfilment_id},
            "fulfillmentCancel", "to cancel the fulfilment",
            accept=lambda r: (r.get("fulfillment") or {}).get("status") == "CANCELLED")


# --- fulfilment events -------------------------------------------------------------------------


def fulfilment_events(admin: ShopifyAdmin, domain: str, token: str,
                      order_id: int) -> dict[str, tuple[str, ...]]:
    """The statuses of the events of each of the order's fulfilments, by Fulfillment gid."""
    data = admin.graphql(domain, token, queries.FULFILLMENT_EVENTS,
                         {"id": id_to_gid("Order", order_id)})
    order_node = Fields.of(data, "fulfilment events response").obj("order")
    fulfilments = order_node.each_if_any("fulfillments", "fulfilment") if order_node else ()
    return {
        f.need("id", read.trimmed_text): tuple(
            e.get("status", read.trimmed_text) for e in f.nodes("events", "event")
        )
        for f in fulfilments
    }


def create_fulfilment_event(admin: ShopifyAdmin, domain: str, token: str, event: dict) -> str:
    """Tell Shopify the tracking news `event` (a FulfillmentEventInput); the event's gid."""
    result = _mutate(admin, domain, token, queries.FULFILLMENT_EVENT_CREATE,
                     {"fulfillmentEvent": event}, "fulfillmentEventCreate", "the event")
    return result["fulfillmentEvent"]["id"]


def _mutate(admin: ShopifyAdmin, domain: str, token: str, query: str, variables: dict,
            field: str, what: str, accept=lambda result: False) -> dict:
    """Send the mutation and return its `field`; its userErrors raise ShopifyUserError (naming
    `what` was refused) unless `accept(result)` says the outcome is what we wanted anyway."""
    result = admin.graphql(domain, token, query, variables)[field]
    if result.get("userErrors") and not accept(result):
        raise ShopifyUserError(what, result["userErrors"])
    return result
