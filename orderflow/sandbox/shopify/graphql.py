"""POST /admin/api/<version>/graphql.json: operations by name, cost and throttling.

Each operation known to the app (orderflow/integrations/shopify/queries.py) maps to a root
object of resolvers; the client's own selection set then picks the fields (selection.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from . import fulfillments as fulfillment_ops
from . import gql_nodes as nodes
from .core import SandboxCore
from .models import Shop, Subscription
from .payloads import fulfillment_document, fulfillment_event_document
from .selection import (
    Connection,
    QueryError,
    actual_cost,
    operation_header,
    project,
    read_operation,
    requested_cost,
)
from .util import gid_id, parse_time, utc_now, whole_seconds

MUTATION_COST = 10
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
WEBHOOK_TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "ORDERS_PAID",
                  "ORDERS_FULFILLED", "ORDERS_PARTIALLY_FULFILLED", "ORDERS_DELETED",
                  "ORDERS_EDITED", "APP_UNINSTALLED", "FULFILLMENT_ORDERS_PLACED_ON_HOLD",
                  "FULFILLMENT_ORDERS_HOLD_RELEASED", "FULFILLMENTS_CREATE",
                  "FULFILLMENTS_UPDATE", "FULFILLMENT_EVENTS_CREATE")


@dataclass
class Context:
    core: SandboxCore
    shop: Shop
    api_version: str
    # Run after the answer is built and the store lock released (webhook emission).
    after: list[Callable[[], None]] = field(default_factory=list)


def execute(ctx: Context, body: dict) -> dict:
    """The JSON answer (always HTTP 200 once authenticated, as on Shopify)."""
    query = body.get("query") or ""
    kind, name = operation_header(query)
    name = name or body.get("operationName")
    builder = OPERATIONS.get(name or "")
    if builder is None:
        return _errors(f"sandbox does not implement operation {name or '(anonymous)'}")
    try:
        operation = read_operation(query, body.get("variables") or {})
    except QueryError as exc:
        return _errors(exc.message, exc.code)
    mutation = operation.kind == "mutation"
    requested = MUTATION_COST if mutation else requested_cost(operation.fields)
    if requested > ctx.core.config.max_query_cost:
        return _max_cost_exceeded(requested, ctx.core.config.max_query_cost)
    store, bucket = ctx.core.store, ctx.core.store.bucket(ctx.shop.domain)
    with store.lock:
        if _throttled(ctx, requested):
            bucket.throttled += 1
            return _throttled_answer(requested, bucket.status())
        bucket.spend(requested)
        try:
            data = project(operation.fields, builder(ctx))
        except QueryError as exc:
            bucket.spend(-requested)
            return _errors(exc.message, exc.code)
        actual = MUTATION_COST if mutation else actual_cost(operation.fields, data)
        bucket.spend(actual - requested)  # refund the difference, like Shopify
        bucket.operations[name] += 1
        cost = _cost(requested, actual, bucket.status())
    for action in ctx.after:
        action()
    return {"data": data, "extensions": {"cost": cost}}


def _throttled(ctx: Context, requested: int) -> bool:
    faults = ctx.core.store.faults
    if faults.throttle > 0:
        faults.throttle -= 1
        return True
    return ctx.core.store.bucket(ctx.shop.domain).available() < requested


def _cost(requested: int, actual: int | None, status: dict) -> dict:
    status = {**status, "currentlyAvailable": float(int(status["currentlyAvailable"]))}
    return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}


def _errors(message: str, code: str | None = None) -> dict:
    error: dict = {"message": message}
    if code:
        error["extensions"] = {"code": code}
    return {"errors": [error]}


def _throttled_answer(requested: int, status: dict) -> dict:
    return {
        "errors": [{"message": "Throttled",
                    "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}],
        "extensions": {"cost": _cost(requested, None, status)},
    }


def _max_cost_exceeded(cost: int, maximum: int) -> dict:
    message = (
        f"Query cost is {cost}, which exceeds the single query max cost limit ({maximum}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how "
        "the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer "
        "limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/"
        "perform-bulk-operations-with-admin-api for usage details.\n")
    return {"errors": [{"message": message, "extensions": {
        "code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": maximum,
        "documentation": RATE_LIMIT_DOCS}}]}


# --- queries ------------------------------------------------------------------------------------


def _shop_info(ctx: Context) -> dict:
    return {"shop": nodes.shop_node(ctx.shop)}


_FILTER = re.compile(r"\b(updated_at|created_at):(>=|<=|>|<)?\s*(?:'([^']*)'|\"([^\"]*)\"|(\S+))")
# Sort keys are JSON-friendly (they travel inside cursors): epoch seconds, then the id.
_SORTS = {
    "UPDATED_AT": lambda o: (int(o.updated_at.timestamp()), o.id),
    "CREATED_AT": lambda o: (int(o.created_at.timestamp()), o.id),
    "PROCESSED_AT": lambda o: (int(o.created_at.timestamp()), o.id),
    "ID": lambda o: (o.id,),
}


def _order_filter(search: str | None):
    """A predicate for Shopify's search syntax: only updated_at/created_at comparisons."""
    tests = []
    for field_name, op, q1, q2, bare in _FILTER.findall(search or ""):
        try:
            bound = parse_time(q1 or q2 or bare)
        except ValueError:
            raise QueryError(f"Invalid search query date: {q1 or q2 or bare}") from None
        attr = "updated_at" if field_name == "updated_at" else "created_at"
        tests.append((attr, op or "=", bound))
    ops = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
           "<": lambda a, b: a < b, "=": lambda a, b: whole_seconds(a) == whole_seconds(b)}
    return lambda order: all(ops[op](getattr(order, attr), bound) for attr, op, bound in tests)


def _orders(ctx: Context):
    def resolve(args: dict) -> Connection:
        if args.get("reverse"):
            raise QueryError("sandbox does not support reverse: true")
        keep = _order_filter(args.get("query"))
        sort = _SORTS.get(str(args.get("sortKey") or "ID"), _SORTS["ID"])
        items = sorted((o for o in ctx.shop.orders.values() if keep(o)), key=sort)
        return Connection(items, sort, nodes.order_node)

    return {"orders": resolve}


def _order(ctx: Context):
    def resolve(args: dict) -> dict | None:
        order = ctx.shop.orders.get(gid_id(args.get("id"), "Order") or -1)
        return nodes.order_node(order) if order else None

    return {"order": resolve}


def _nodes(ctx: Context):
    def node(ident: str) -> dict | None:
        item_id = gid_id(ident, "InventoryItem")
        if item_id is not None:
            variant = ctx.core.store.inventory_item(ctx.shop, item_id)
            return nodes.inventory_item_node(ctx.shop, variant) if variant else None
        order = ctx.shop.orders.get(gid_id(ident, "Order") or -1)
        return nodes.order_node(order) if order else None

    return {"nodes": lambda args: [node(i) for i in args.get("ids") or []]}


def _subscriptions(ctx: Context):
    def resolve(args: dict) -> Connection:
        topics = args.get("topics")
        subs = [s for s in ctx.shop.subscriptions.values() if not topics or s.topic in topics]
        return Connection([nodes.subscription_node(s) for s in sorted(subs, key=lambda s: s.id)])

    return {"webhookSubscriptions": resolve}


# --- mutations ----------------------------------------------------------------------------------


def _subscription_create(ctx: Context):
    def resolve(args: dict) -> dict:
        topic, spec = args.get("topic"), args.get("webhookSubscription") or {}
        if topic not in WEBHOOK_TOPICS:
            raise QueryError(f"Variable $topic of type WebhookSubscriptionTopic! was provided "
                             f"invalid value ({topic})", "INVALID_VARIABLE")
        uri = spec.get("uri") or spec.get("callbackUrl") or ""
        problem = _uri_problem(uri) or _duplicate(ctx.shop, topic, uri)
        if problem:
            return {"webhookSubscription": None, "userErrors": [
                {"__typename": "UserError", "field": ["webhookSubscription", "callbackUrl"],
                 "message": problem}]}
        store = ctx.core.store
        sub = Subscription(store.ids.small(), topic, uri, spec.get("format") or "JSON",
                           ctx.api_version, utc_now())
        ctx.shop.subscriptions[sub.id] = sub
        return {"webhookSubscription": nodes.subscription_node(sub), "userErrors": []}

    return {"webhookSubscriptionCreate": resolve}


def _uri_problem(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"):
        return None
    if parts.scheme == "http":
        return "Address protocol http:// is not supported"
    return "Address is invalid"


def _duplicate(shop: Shop, topic: str, uri: str) -> str | None:
    if any(s.topic == topic and s.uri == uri for s in shop.subscriptions.values()):
        return "Address for this topic has already been taken"
    return None


def _subscription_delete(ctx: Context):
    def resolve(args: dict) -> dict:
        sub_id = gid_id(args.get("id"), "WebhookSubscription")
        if sub_id is None or ctx.shop.subscriptions.pop(sub_id, None) is None:
            return {"deletedWebhookSubscriptionId": None, "userErrors": [
                {"__typename": "UserError", "field": ["id"],
                 "message": "Webhook subscription does not exist"}]}
        return {"deletedWebhookSubscriptionId": args["id"], "userErrors": []}

    return {"webhookSubscriptionDelete": resolve}


def _fulfillment_create(ctx: Context):
    def resolve(args: dict) -> dict:
        spec = args.get("fulfillment")
        plan, errors = fulfillment_ops.plan_fulfillment(ctx.shop, spec)
        if errors:
            return {"fulfillment": None, "userErrors": errors}
        store, shop = ctx.core.store, ctx.shop
        order, fulfillment = fulfillment_ops.create_fulfillment(store, shop, plan, spec,
                                                                args.get("message"))
        body = fulfillment_document(order, fulfillment)
        status_topic = ("orders/fulfilled" if nodes.order_node(order)[
            "displayFulfillmentStatus"] == "FULFILLED" else "orders/partially_fulfilled")

        def send() -> None:
            ctx.core.emit(shop, "fulfillments/create", body)
            ctx.core.emit_order(shop, order, status_topic, "orders/updated")

        ctx.after.append(send)
        return {"fulfillment": nodes.fulfillment_node(fulfillment), "userErrors": []}

    return {"fulfillmentCreate": resolve}


def _tracking_info_update(ctx: Context):
    def resolve(args: dict) -> dict:
        shop = ctx.shop
        fulfillment, errors = fulfillment_ops.update_tracking(
            shop, args.get("fulfillmentId"), args.get("trackingInfoInput"),
            args.get("notifyCustomer"))
        if errors:
            return {"fulfillment": None, "userErrors": errors}
        body = fulfillment_document(shop.orders[fulfillment.order_id], fulfillment)
        ctx.after.append(lambda: ctx.core.emit(shop, "fulfillments/update", body))
        return {"fulfillment": nodes.fulfillment_node(fulfillment), "userErrors": []}

    return {"fulfillmentTrackingInfoUpdate": resolve}


def _fulfillment_cancel(ctx: Context):
    def resolve(args: dict) -> dict:
        store, shop = ctx.core.store, ctx.shop
        fulfillment, errors = fulfillment_ops.cancel_fulfillment(store, shop, args.get("id"))
        if errors:
            return {"fulfillment": None, "userErrors": errors}
        order = shop.orders[fulfillment.order_id]
        body = fulfillment_document(order, fulfillment)

        def send() -> None:
            ctx.core.emit(shop, "fulfillments/update", body)
            ctx.core.emit_order(shop, order, "orders/updated")

        ctx.after.append(send)
        return {"fulfillment": nodes.fulfillment_node(fulfillment), "userErrors": []}

    return {"fulfillmentCancel": resolve}


def _fulfillment_event_create(ctx: Context):
    def resolve(args: dict) -> dict:
        store, shop = ctx.core.store, ctx.shop
        event, errors = fulfillment_ops.create_event(store, shop, args.get("fulfillmentEvent"))
        if errors:
            return {"fulfillmentEvent": None, "userErrors": errors}
        fulfillment = shop.fulfillments[event.fulfillment_id]
        order = shop.orders[fulfillment.order_id]
        event_body = fulfillment_event_document(shop, event)
        update_body = fulfillment_document(order, fulfillment)

        def send() -> None:
            ctx.core.emit(shop, "fulfillment_events/create", event_body)
            ctx.core.emit(shop, "fulfillments/update", update_body)

        ctx.after.append(send)
        return {"fulfillmentEvent": nodes.fulfillment_event_node(event), "userErrors": []}

    return {"fulfillmentEventCreate": resolve}


OPERATIONS = {
    "ShopInfo": _shop_info,
    "OrdersUpdatedSince": _orders,
    "OrderById": _order,
    "OrderFulfillmentOrders": _order,
    "FulfillmentOrdersToShip": _order,
    "OrderFulfillments": _order,
    "InventoryAtLocation": _nodes,
    "WebhookSubscriptions": _subscriptions,
    "WebhookSubscriptionCreate": _subscription_create,
    "WebhookSubscriptionDelete": _subscription_delete,
    "FulfillmentCreate": _fulfillment_create,
    "FulfillmentTrackingInfoUpdate": _tracking_info_update,
    "FulfillmentCancel": _fulfillment_cancel,
    "FulfillmentEventCreate": _fulfillment_event_create,
    "FulfillmentEvents": _order,
}
