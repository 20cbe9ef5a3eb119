"""The control API under /sandbox/ (JSON, no auth) for tests, the demo and benchmarks.

    POST   /sandbox/shops                                   {domain, name?, currency?, email?}
    GET    /sandbox/shops/<domain>                          locations (addresses), variants
    POST   /sandbox/shops/<domain>/products                 {title, sku, price, grams? |
                                                             weight?+weight_unit?, ...}
    POST   /sandbox/shops/<domain>/inventory                {sku, location, on_hand}
    POST   /sandbox/shops/<domain>/orders                   order spec -> REST order
    GET    /sandbox/shops/<domain>/orders/<id>              REST order, with `fulfillments`
    GET    /sandbox/shops/<domain>/orders/<id>/fulfillments REST fulfillments + notify_customer
    GET    /sandbox/shops/<domain>/fulfillments/<id>/events REST fulfillment events
    PUT    /sandbox/shops/<domain>/fulfillments/<id>/tracking {company?, numbers?, urls?}: replace
                                                             the tracking ({} strips it), no webhook
    GET    /sandbox/shops/<domain>/api-usage                the cost bucket, THROTTLED answers,
                                                             GraphQL operations answered, by name
    PUT    /sandbox/shops/<domain>/orders/<id>              partial edit -> orders/updated
    POST   /sandbox/shops/<domain>/orders/<id>/cancel       {reason?}
    POST   /sandbox/shops/<domain>/orders/<id>/hold         {reason?, reason_notes?}
    POST   /sandbox/shops/<domain>/orders/<id>/release-hold
    POST   /sandbox/shops/<domain>/access-token             {expiring?, online?, scope?}
    POST   /sandbox/shops/<domain>/uninstall
    POST   /sandbox/shops/<domain>/compliance/<customers-redact|customers-data_request|shop-redact>
    GET    /sandbox/shops/<domain>/webhook-subscriptions
    DELETE /sandbox/shops/<domain>/webhook-subscriptions?topic=ORDERS_CREATE
    POST   /sandbox/session-token                           {shop, sub?, ttl?, aud?, secret?}
    GET|POST|DELETE /sandbox/faults
    GET    /sandbox/webhooks/log?topic=&shop=&webhook_id=&event_id=
    GET    /sandbox/webhooks/idle?wait=<seconds>
    POST   /sandbox/reset
"""

from __future__ import annotations

from dataclasses import asdict, fields

from flask import Blueprint, jsonify, request

from . import orders as order_ops
from .core import SandboxCore
from .fulfillments import set_tracking
from .graphql import WEBHOOK_TOPICS
from .models import Faults, Shop
from .oauth import issue, session_token
from .payloads import (
    fulfillment_document,
    fulfillment_event_document,
    order_document,
    variant_document,
)
from .util import gid

COMPLIANCE_KINDS = ("customers-redact", "customers-data_request", "shop-redact")
FAULT_NAMES = tuple(f.name for f in fields(Faults))


class ControlError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def shop_summary(shop: Shop) -> dict:
    return {
        "id": shop.id, "admin_graphql_api_id": gid("Shop", shop.id), "domain": shop.domain,
        "name": shop.name, "email": shop.email, "currency": shop.currency,
        "installed": shop.scopes is not None, "scopes": shop.scopes,
        "locations": [{"id": loc.id, "name": loc.name,
                       "admin_graphql_api_id": gid("Location", loc.id), **loc.address}
                      for loc in shop.locations],
        "variants": [variant_document(v, shop) for v in shop.variants.values()],
    }


def _shop_or_404(core: SandboxCore, domain: str) -> Shop:
    shop = core.store.shop(domain)
    if shop is None:
        raise ControlError(404, f"unknown shop {domain}")
    return shop


def _order_or_404(shop: Shop, order_id: str):
    order = shop.orders.get(int(order_id)) if order_id.isdigit() else None
    if order is None:
        raise ControlError(404, f"unknown order {order_id}")
    return order


def _fulfillment_or_404(shop: Shop, fulfillment_id: str):
    fulfillment = shop.fulfillments.get(int(fulfillment_id)) if fulfillment_id.isdigit() else None
    if fulfillment is None:
        raise ControlError(404, f"unknown fulfillment {fulfillment_id}")
    return fulfillment


def control_blueprint(core: SandboxCore) -> Blueprint:
    bp = Blueprint("sandbox_control", __name__, url_prefix="/sandbox")

    @bp.errorhandler(ControlError)
    def control_error(exc: ControlError):
        return jsonify({"error": exc.message}), exc.status

    @bp.errorhandler(order_ops.SpecError)
    def spec_error(exc: order_ops.SpecError):
        return jsonify({"error": str(exc)}), 422

    _shop_routes(bp, core)
    _order_routes(bp, core)
    _webhook_routes(bp, core)
    _fault_routes(bp, core)
    return bp


def _shop_routes(bp: Blueprint, core: SandboxCore) -> None:
    store = core.store

    @bp.post("/shops")
    def create_shop():
        body = _body()
        if not str(body.get("domain", "")).endswith(".myshopify.com"):
            raise ControlError(422, "domain must end with .myshopify.com")
        shop = store.create_shop(body["domain"], body.get("name"), body.get("currency", "USD"),
                                 body.get("email"))
        with store.lock:
            return jsonify(shop_summary(shop)), 201

    @bp.get("/shops/<domain>")
    def get_shop(domain: str):
        with store.lock:
            return jsonify(shop_summary(_shop_or_404(core, domain)))

    @bp.get("/shops/<domain>/api-usage")
    def api_usage(domain: str):
        bucket = store.bucket(_shop_or_404(core, domain).domain)
        with store.lock:
            return jsonify({"bucket": bucket.status(), "throttled": bucket.throttled,
                            "operations": dict(bucket.operations)})

    @bp.post("/shops/<domain>/products")
    def add_product(domain: str):
        body, shop = _body(), _shop_or_404(core, domain)
        if not body.get("title") or not body.get("sku") or body.get("price") is None:
            raise ControlError(422, "title, sku and price are required")
        with store.lock:
            try:
                variant = store.add_variant(
                    shop, body["title"], body["sku"], body["price"], body.get("grams"),
                    body.get("requires_shipping", True), body.get("gift_card", False),
                    body.get("tracked", True), body.get("inventory"),
                    body.get("weight_unit"), body.get("weight"))
            except KeyError as exc:
                raise ControlError(422, str(exc.args[0])) from None
            return jsonify(variant_document(variant, shop)), 201

    @bp.post("/shops/<domain>/inventory")
    def set_inventory(domain: str):
        body, shop = _body(), _shop_or_404(core, domain)
        with store.lock:
            variant = shop.variants.get(body.get("sku", ""))
            if variant is None:
                raise ControlError(422, f"unknown sku {body.get('sku')!r}")
            try:
                location = store.location(shop, body.get("location", "Main warehouse"))
            except KeyError as exc:
                raise ControlError(422, str(exc.args[0])) from None
            variant.inventory[location.id] = int(body["on_hand"])
            return jsonify(variant_document(variant, shop))



def _order_routes(bp: Blueprint, core: SandboxCore) -> None:
    store = core.store

    @bp.post("/shops/<domain>/orders")
    def create_order(domain: str):
        body, shop = _body(), _shop_or_404(core, domain)
        with store.lock:
            order = order_ops.create_order(store, shop, body)
            doc = order_document(shop, order)
        if body.get("deliver", True):
            core.emit(shop, "orders/create", doc)
        return jsonify(doc), 201

    @bp.get("/shops/<domain>/orders/<order_id>")
    def get_order(domain: str, order_id: str):
        shop = _shop_or_404(core, domain)
        with store.lock:
            return jsonify(order_document(shop, _order_or_404(shop, order_id)))

    @bp.get("/shops/<domain>/orders/<order_id>/fulfillments")
    def order_fulfillments(domain: str, order_id: str):
        shop = _shop_or_404(core, domain)
        with store.lock:
            order = _order_or_404(shop, order_id)
            return jsonify([fulfillment_document(order, f, notify_customer=True)
                            for f in order.fulfillments])

    @bp.get("/shops/<domain>/fulfillments/<fulfillment_id>/events")
    def fulfillment_events(domain: str, fulfillment_id: str):
        shop = _shop_or_404(core, domain)
        with store.lock:
            fulfillment = _fulfillment_or_404(shop, fulfillment_id)
            return jsonify([fulfillment_event_document(shop, e) for e in fulfillment.events])

    @bp.put("/shops/<domain>/fulfillments/<fulfillment_id>/tracking")
    def replace_tracking(domain: str, fulfillment_id: str):
        """As if someone else (the merchant, another app) edited or removed the tracking."""
        body, shop = _body(), _shop_or_404(core, domain)
        with store.lock:
            fulfillment = _fulfillment_or_404(shop, fulfillment_id)
            set_tracking(fulfillment, body)
            order = shop.orders[fulfillment.order_id]
            return jsonify(fulfillment_document(order, fulfillment, notify_customer=True))

    @bp.put("/shops/<domain>/orders/<order_id>")
    def edit_order(domain: str, order_id: str):
        body, shop = _body(), _shop_or_404(core, domain)
        with store.lock:
            order = _order_or_404(shop, order_id)
            order_ops.edit_order(order, body)
        if body.get("deliver", True):
            core.emit_order(shop, order, "orders/updated")
        with store.lock:
            return jsonify(order_document(shop, order))

    @bp.post("/shops/<domain>/orders/<order_id>/cancel")
    def cancel_order(domain: str, order_id: str):
        body, shop = _body(), _shop_or_404(core, domain)
        with store.lock:
            order = _order_or_404(shop, order_id)
            order_ops.cancel_order(order, body.get("reason"))
        if body.get("deliver", True):
            core.emit_order(shop, order, "orders/cancelled", "orders/updated")
        with store.lock:
            return jsonify(order_document(shop, order))

    @bp.post("/shops/<domain>/orders/<order_id>/hold")
    def hold_order(domain: str, order_id: str):
        body, shop = _body(), _shop_or_404(core, domain)
        with store.lock:
            order = _order_or_404(shop, order_id)
            order_ops.hold_fulfillment(order, body.get("reason", "OTHER"),
                                       body.get("reason_notes"))
            return jsonify(order_document(shop, order))

    @bp.post("/shops/<domain>/orders/<order_id>/release-hold")
    def release_order(domain: str, order_id: str):
        shop = _shop_or_404(core, domain)
        with store.lock:
            order = _order_or_404(shop, order_id)
            order_ops.release_fulfillment(order)
            return jsonify(order_document(shop, order))



def _webhook_routes(bp: Blueprint, core: SandboxCore) -> None:
    store = core.store

    @bp.post("/shops/<domain>/access-token")
    def mint_token(domain: str):
        """Skip OAuth: install the app and issue a token (same answer as the token endpoint)."""
        body, shop = _body(), _shop_or_404(core, domain)
        return jsonify(issue(core, shop.domain, body.get("scope") or core.config.scopes,
                             bool(body.get("online")), bool(body.get("expiring", True)),
                             {"id": 1} if body.get("online") else None))

    @bp.post("/shops/<domain>/uninstall")
    def uninstall(domain: str):
        core.uninstall(_shop_or_404(core, domain))
        return jsonify({"uninstalled": domain})

    @bp.post("/shops/<domain>/compliance/<kind>")
    def compliance(domain: str, kind: str):
        if kind not in COMPLIANCE_KINDS:
            raise ControlError(404, f"kind must be one of {', '.join(COMPLIANCE_KINDS)}")
        shop, body = _shop_or_404(core, domain), _body()
        try:
            return jsonify(core.compliance(shop, kind, body.get("customer_id")))
        except KeyError:
            raise ControlError(422, "unknown customer (create an order first)") from None

    @bp.get("/shops/<domain>/webhook-subscriptions")
    def list_subscriptions(domain: str):
        shop = _shop_or_404(core, domain)
        with store.lock:
            return jsonify([{"id": s.id, "admin_graphql_api_id": gid("WebhookSubscription", s.id),
                             "topic": s.topic, "uri": s.uri, "format": s.format,
                             "api_version": s.api_version}
                            for s in shop.subscriptions.values()])

    @bp.delete("/shops/<domain>/webhook-subscriptions")
    def delete_subscriptions(domain: str):
        shop, topic = _shop_or_404(core, domain), request.args.get("topic")
        if topic and topic not in WEBHOOK_TOPICS:
            raise ControlError(422, f"unknown topic {topic}")
        with store.lock:
            doomed = [k for k, s in shop.subscriptions.items() if not topic or s.topic == topic]
            for key in doomed:
                del shop.subscriptions[key]
        return jsonify({"deleted": len(doomed)})

    @bp.post("/session-token")
    def make_session_token():
        body = _body()
        if not body.get("shop"):
            raise ControlError(422, "shop is required")
        token = session_token(core, body["shop"], body.get("sub", "1"), body.get("ttl", 60),
                              body.get("aud"), body.get("secret"))
        return jsonify({"token": token})



def _fault_routes(bp: Blueprint, core: SandboxCore) -> None:
    store = core.store

    @bp.get("/faults")
    def get_faults():
        with store.lock:
            return jsonify(asdict(store.faults))

    @bp.post("/faults")
    def set_faults():
        body = _body()
        unknown = sorted(set(body) - set(FAULT_NAMES))
        if unknown:
            raise ControlError(422, f"unknown faults {unknown}; known: {list(FAULT_NAMES)}")
        with store.lock:
            was_holding = store.faults.hold_webhooks
            for name, value in body.items():
                kind = type(getattr(Faults(), name))
                setattr(store.faults, name, kind(value))
            release = was_holding and not store.faults.hold_webhooks
            reverse = store.faults.reorder_webhooks
            current = asdict(store.faults)
        released = core.dispatcher.release_held(reverse) if release else 0
        return jsonify({**current, "released": released})

    @bp.delete("/faults")
    def clear_faults():
        with store.lock:
            reverse = store.faults.reorder_webhooks
            store.faults = Faults()
        released = core.dispatcher.release_held(reverse)
        return jsonify({**asdict(Faults()), "released": released})

    @bp.get("/webhooks/log")
    def webhook_log():
        entries = core.dispatcher.entries()
        for key in ("topic", "shop", "webhook_id", "event_id"):
            if request.args.get(key):
                entries = [e for e in entries if e[key] == request.args[key]]
        return jsonify(entries)

    @bp.get("/webhooks/idle")
    def webhooks_idle():
        timeout = float(request.args.get("wait", 0))
        idle = core.dispatcher.wait_idle(timeout) if timeout else core.dispatcher.idle()
        return jsonify({"idle": idle, "held": core.dispatcher.held_count()})

    @bp.post("/reset")
    def reset():
        core.reset()
        return jsonify({"reset": True})
