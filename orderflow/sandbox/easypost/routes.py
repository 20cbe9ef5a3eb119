"""URL rules and thin handlers: parse parameters, call the domain modules, return objects.

A handler returns `(status, payload)`; the server serialises the payload under the store lock.
Endpoints named `api.*` need an API key and are subject to faults; `sandbox.*` and `public.*`
are not.
"""

from __future__ import annotations

from werkzeug.routing import Map, Rule

from . import addresses, shipments
from .trackers import TEST_CODES, Route, guess_carrier
from .util import ApiError, iso_z, new_id, not_found, param_required, utcnow
from .webhooks import Hook


class LostAnswer(Exception):
    """The work was done but the client must not learn it (lose_buy_answer fault)."""

    def __init__(self, mode: str):
        super().__init__(mode)
        self.mode = mode


def url_map() -> Map:
    api = [
        ("/addresses", "address_create", ["POST"]), ("/addresses", "address_list", ["GET"]),
        ("/addresses/create_and_verify", "address_create_and_verify", ["POST"]),
        ("/addresses/<oid>", "address_get", ["GET"]),
        ("/addresses/<oid>/verify", "address_verify", ["GET"]),
        ("/parcels", "parcel_create", ["POST"]), ("/parcels/<oid>", "parcel_get", ["GET"]),
        ("/shipments", "shipment_create", ["POST"]), ("/shipments", "shipment_list", ["GET"]),
        ("/shipments/<oid>", "shipment_get", ["GET"]),
        ("/shipments/<oid>/buy", "shipment_buy", ["POST"]),
        ("/shipments/<oid>/rerate", "shipment_rerate", ["POST"]),
        ("/shipments/<oid>/smartrate", "shipment_smartrate", ["GET"]),
        ("/shipments/<oid>/label", "shipment_label", ["GET"]),
        ("/shipments/<oid>/refund", "shipment_refund", ["POST"]),
        ("/shipments/<oid>/insure", "shipment_insure", ["POST"]),
        ("/rates/<oid>", "rate_get", ["GET"]),
        ("/trackers", "tracker_create", ["POST"]), ("/trackers", "tracker_list", ["GET"]),
        ("/trackers/<oid>", "tracker_get", ["GET"]),
        ("/events", "event_list", ["GET"]), ("/events/<oid>", "event_get", ["GET"]),
        ("/webhooks", "webhook_create", ["POST"]), ("/webhooks", "webhook_list", ["GET"]),
        ("/webhooks/<oid>", "webhook_get", ["GET"]),
        ("/webhooks/<oid>", "webhook_delete", ["DELETE"]),
    ]
    rules = [Rule(f"/v2{path}", endpoint=f"api.{name}", methods=methods)
             for path, name, methods in api]
    rules += [
        Rule("/labels/<label_id>.<ext>", endpoint="public.label_file", methods=["GET"]),
        Rule("/track/<oid>", endpoint="public.track", methods=["GET"]),
        Rule("/sandbox/faults", endpoint="sandbox.faults", methods=["GET", "POST", "DELETE"]),
        Rule("/sandbox/stats", endpoint="sandbox.stats", methods=["GET"]),
        Rule("/sandbox/reset", endpoint="sandbox.reset", methods=["POST"]),
        Rule("/sandbox/advance", endpoint="sandbox.advance", methods=["POST"]),
        Rule("/sandbox/outcome", endpoint="sandbox.outcome", methods=["POST"]),
        Rule("/sandbox/refunds/settle", endpoint="sandbox.settle", methods=["POST"]),
        Rule("/sandbox/webhooks/idle", endpoint="sandbox.webhooks_idle", methods=["POST"]),
    ]
    return Map(rules, strict_slashes=False)


# ---- addresses and parcels -----------------------------------------------------------------
def _new_address(box, body: dict, strict: bool = False) -> dict:
    params = body.get("address")
    if not isinstance(params, dict) or not params:
        raise param_required("address")
    address = addresses.build_address(params, utcnow())
    if strict or "verify" in body or "verify_strict" in body:  # the key alone turns it on
        ok = addresses.verify(address)
        if not ok and (strict or "verify_strict" in body):
            raise addresses.strict_failure(address)
    with box.store.lock:
        box.store.addresses[address["id"]] = address
    return address


def address_create(box, body, query):
    return 201, _new_address(box, body)


def address_create_and_verify(box, body, query):
    return 200, {"address": _new_address(box, body, strict=True)}


def address_list(box, body, query):
    with box.store.lock:
        return 200, shipments.page(list(reversed(box.store.addresses.values())), query, "addresses")


def address_get(box, body, query, oid):
    return 200, box.store.get(box.store.addresses, oid)


def address_verify(box, body, query, oid):
    with box.store.lock:
        address = box.store.get(box.store.addresses, oid)
        if not addresses.verify(address):
            raise addresses.strict_failure(address)
        return 200, {"address": address}


def parcel_create(box, body, query):
    parcel = shipments.build_parcel(body.get("parcel") or {})
    with box.store.lock:
        box.store.parcels[parcel["id"]] = parcel
    return 201, parcel


def parcel_get(box, body, query, oid):
    return 200, box.store.get(box.store.parcels, oid)


# ---- shipments -----------------------------------------------------------------------------
def shipment_create(box, body, query):
    return 201, shipments.create(box.store, body.get("shipment"))


def shipment_list(box, body, query):
    shipments.settle_refunds(box.store)
    return 200, shipments.list_shipments(box.store, query)


def shipment_get(box, body, query, oid):
    shipments.settle_refunds(box.store)
    return 200, box.store.get(box.store.shipments, oid)


def shipment_buy(box, body, query, oid):
    store = box.store
    with store.lock:
        rate, insurance = shipments.check_buy(store, oid, body)
    try:
        box.sleep(box.faults.get("buy_latency_ms") / 1000.0)
        with store.lock:
            shipment, events = shipments.purchase(store, oid, rate, insurance, box.base_url)
    finally:
        with store.lock:
            store.purchasing.discard(oid)
    box.emit(events, created=True)
    if box.faults.take("lose_buy_answer"):
        raise LostAnswer(box.faults.get("lose_buy_mode") or "500")
    return 200, shipment


def shipment_rerate(box, body, query, oid):
    return 200, shipments.rerate(box.store, oid)


def shipment_smartrate(box, body, query, oid):
    return 200, shipments.smartrate(box.store, oid)


def shipment_label(box, body, query, oid):
    return 200, shipments.convert_label(box.store, oid, query.get("file_format"), box.base_url)


def shipment_refund(box, body, query, oid):
    return 200, shipments.refund(box.store, oid, box.refund_delay)


def shipment_insure(box, body, query, oid):
    return 200, shipments.insure(box.store, oid, body)


def rate_get(box, body, query, oid):
    return 200, box.store.get(box.store.rates, oid)


# ---- trackers, events, webhooks ------------------------------------------------------------
def tracker_create(box, body, query):
    params = body.get("tracker") if isinstance(body.get("tracker"), dict) else {}
    code = str(params.get("tracking_code") or "").strip()
    if not code:
        raise param_required("tracker.tracking_code")
    store = box.store
    with store.lock:
        existing = store.tracker_by_code.get(code)
        if existing:  # EasyPost returns the tracker it already has for this code
            return 200, store.trackers[existing]
        carrier = params.get("carrier") or guess_carrier(code)
        reach, outcome = TEST_CODES.get(code, (None, None))
        route = Route(carrier, "", 3, {}, {})
        tracker, events = store.add_tracker(code, route, None, box.base_url,
                                            outcome=outcome, reach=reach)
    box.emit(events, created=True)
    return 200, tracker


def tracker_list(box, body, query):
    store = box.store
    codes = set(query.get("tracking_codes[]") or [])
    if query.get("tracking_code"):
        codes.add(query["tracking_code"])
    with store.lock:
        items = [store.trackers[i] for i in reversed(store.tracker_order)]
        if codes:
            items = [t for t in items if t["tracking_code"] in codes]
        if query.get("carrier"):
            items = [t for t in items if t["carrier"].lower() == str(query["carrier"]).lower()]
        return 200, shipments.page(items, query, "trackers")


def tracker_get(box, body, query, oid):
    return 200, box.store.get(box.store.trackers, oid)


def event_list(box, body, query):
    with box.store.lock:
        items = [box.store.events[i] for i in reversed(box.store.event_order)]
        return 200, shipments.page(items, query, "events")


def event_get(box, body, query, oid):
    return 200, box.store.get(box.store.events, oid)


def webhook_create(box, body, query):
    params = body.get("webhook") if isinstance(body.get("webhook"), dict) else {}
    if not params.get("url"):
        raise param_required("webhook.url")
    stamp = iso_z(utcnow())
    webhook = {"id": new_id("hook"), "object": "Webhook", "mode": "test", "url": params["url"],
               "created_at": stamp, "disabled_at": None,
               "custom_headers": params.get("custom_headers") or []}
    hook = Hook(params["url"], str(params.get("webhook_secret") or ""), webhook["custom_headers"])
    with box.store.lock:
        box.store.webhooks[webhook["id"]] = (webhook, hook)
        box.dispatcher.hooks.append(hook)
    return 201, webhook


def webhook_list(box, body, query):
    with box.store.lock:
        return 200, {"webhooks": [w for w, _ in box.store.webhooks.values()]}


def webhook_get(box, body, query, oid):
    with box.store.lock:
        if oid not in box.store.webhooks:
            raise not_found()
        return 200, box.store.webhooks[oid][0]


def webhook_delete(box, body, query, oid):
    with box.store.lock:
        if oid not in box.store.webhooks:
            raise not_found()
        _, hook = box.store.webhooks.pop(oid)
        box.dispatcher.hooks.remove(hook)
    return 200, {}


# ---- sandbox control -----------------------------------------------------------------------
def sandbox_faults(box, body, query, method):
    if method == "DELETE":
        return 200, box.faults.clear()
    if method == "POST":
        try:
            return 200, box.faults.update(body)
        except (ValueError, TypeError) as exc:
            raise ApiError(400, "BAD_REQUEST", str(exc)) from None
    return 200, box.faults.snapshot()


def sandbox_stats(box, body, query, method):
    return 200, box.stats()


def sandbox_reset(box, body, query, method):
    box.reset()
    return 200, {"ok": True}


def sandbox_advance(box, body, query, method):
    return 200, {"moved": box.advance_trackers(body.get("until"))}


def sandbox_outcome(box, body, query, method):
    code, outcome = str(body.get("tracking_code") or ""), str(body.get("outcome") or "")
    return 200, box.force_outcome(code, outcome)


def sandbox_settle(box, body, query, method):
    return 200, {"settled": box.settle_refunds(force=True)}


def sandbox_webhooks_idle(box, body, query, method):
    return 200, {"idle": box.wait_webhooks_idle(float(body.get("timeout", 30)))}
