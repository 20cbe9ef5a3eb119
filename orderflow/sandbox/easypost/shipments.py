"""Shipments: create (with rates), buy, rerate, SmartRate, label conversion, refund, insure.

Every function takes the Store and the request's base URL (label and tracker URLs point back at
the sandbox) and returns live objects; the server serialises them while holding the lock.
"""

from __future__ import annotations

import heapq
import time

from . import addresses, labels
from . import rates as rating
from . import trackers as trk
from .state import Store
from .util import ApiError, iso_z, money, new_id, param_required, to_float, truthy, utcnow

INSURANCE_SHARE = 0.005  # 0.5% of the declared value, as in the recorded shipments-buy response
REFUND_SIM_SECONDS = 3600.0  # a refund settles one simulated hour after it is submitted
SHIPMENT_DEFAULT_OPTIONS = {"currency": "USD", "payment": {"type": "SENDER"}, "date_advance": 0}


def _address(store: Store, value, field: str) -> dict:
    if isinstance(value, str) and value:
        value = {"id": value}
    if not isinstance(value, dict) or not value:
        raise param_required(f"shipment.{field}")
    if set(value) == {"id"}:
        return store.get(store.addresses, value["id"])
    address = addresses.build_address(value, utcnow())
    store.addresses[address["id"]] = address
    return address


def build_parcel(params: dict) -> dict:
    weight = to_float(params.get("weight"))
    if weight is None or weight <= 0:
        raise ApiError(422, "PARCEL.PARAMETERS.INVALID", "Parcel weight must be greater than 0.",
                       [{"field": "weight", "message": "must be greater than 0"}])
    stamp = iso_z(utcnow())
    dims = {k: to_float(params.get(k)) for k in ("length", "width", "height")}
    if any(v is not None and v <= 0 for v in dims.values()):
        raise ApiError(422, "PARCEL.PARAMETERS.INVALID",
                       "Parcel dimensions must be greater than 0.")
    return {"id": new_id("prcl"), "object": "Parcel", "created_at": stamp, "updated_at": stamp,
            **dims, "predefined_package": params.get("predefined_package") or None,
            "weight": weight, "mode": "test"}


def _parcel(store: Store, value) -> dict:
    if isinstance(value, str) and value:
        value = {"id": value}
    if not isinstance(value, dict) or not value:
        raise param_required("shipment.parcel")
    if set(value) == {"id"}:
        return store.get(store.parcels, value["id"])
    parcel = build_parcel(value)
    store.parcels[parcel["id"]] = parcel
    return parcel


def _account_ids(value) -> set[str] | None:
    if not value:
        return None
    items = value if isinstance(value, list) else [value]
    return {item.get("id") if isinstance(item, dict) else str(item) for item in items}


def _customs(value) -> dict | None:
    if not isinstance(value, dict) or not value:
        return None
    stamp = iso_z(utcnow())
    items = [{"id": new_id("cstitem"), "object": "CustomsItem", "created_at": stamp,
              "updated_at": stamp, **item, "value": money(to_float(item.get("value"), 0.0)),
              "mode": "test"}
             for item in value.get("customs_items") or [] if isinstance(item, dict)]
    info = {k: v for k, v in value.items() if k != "customs_items"}
    return {"id": new_id("cstinfo"), "object": "CustomsInfo", "created_at": stamp,
            "updated_at": stamp, **info, "mode": "test", "customs_items": items}


def create(store: Store, params: dict) -> dict:
    if not isinstance(params, dict) or not params:
        raise param_required("shipment")
    now = utcnow()
    with store.lock:
        to_address = _address(store, params.get("to_address"), "to_address")
        from_address = _address(store, params.get("from_address"), "from_address")
        parcel = _parcel(store, params.get("parcel"))
        return_address = (_address(store, params["return_address"], "return_address")
                          if params.get("return_address") else from_address)
        buyer_address = (_address(store, params["buyer_address"], "buyer_address")
                         if params.get("buyer_address") else to_address)
        shipment_id = new_id("shp")
        found, messages = rating.rate_shipment(shipment_id, from_address, to_address, parcel,
                                               _account_ids(params.get("carrier_accounts")), now)
        zone = rating.zone_for(from_address, to_address)
        options = {**(params.get("options") or {}), **SHIPMENT_DEFAULT_OPTIONS}
        stamp = iso_z(now)
        shipment = {
            "id": shipment_id, "created_at": stamp,
            "is_return": bool(params.get("is_return", False)),
            "messages": messages, "mode": "test", "options": options,
            "reference": params.get("reference"), "status": "unknown", "tracking_code": None,
            "updated_at": stamp, "batch_id": None, "batch_status": None, "batch_message": None,
            "customs_info": _customs(params.get("customs_info")), "from_address": from_address,
            "insurance": None, "order_id": None, "parcel": parcel, "postage_label": None,
            "rates": found, "refund_status": None, "scan_form": None, "selected_rate": None,
            "tracker": None, "to_address": to_address,
            "usps_zone": None if zone == rating.INTERNATIONAL_ZONE else zone,
            "return_address": return_address, "buyer_address": buyer_address, "forms": [],
            "fees": [], "object": "Shipment",
        }
        store.shipments[shipment_id] = shipment
        store.shipment_order.append(shipment_id)
        if shipment["reference"] is not None:
            store.by_reference[str(shipment["reference"])].append(shipment_id)
        for rate in found:
            store.rates[rate["id"]] = rate
        return shipment


def rerate(store: Store, shipment_id: str) -> dict:
    with store.lock:
        shipment = store.get(store.shipments, shipment_id)
        account_ids = {r["carrier_account_id"] for r in shipment["rates"]} or None
        found, messages = rating.rate_shipment(shipment_id, shipment["from_address"],
                                               shipment["to_address"], shipment["parcel"],
                                               account_ids, utcnow())
        shipment["rates"], shipment["messages"] = found, messages
        for rate in found:
            store.rates[rate["id"]] = rate
        return {"rates": found}


def smartrate(store: Store, shipment_id: str) -> dict:
    with store.lock:
        shipment = store.get(store.shipments, shipment_id)
        if shipment["usps_zone"] is None:  # SmartRate is US domestic only
            return {"result": []}
        return {"result": [rating.smart_rate(rate) for rate in shipment["rates"]]}


def list_shipments(store: Store, query: dict) -> dict:
    with store.lock:
        if query.get("reference"):
            ids = store.by_reference.get(str(query["reference"]), [])
        else:
            ids = store.shipment_order
        items = [store.shipments[i] for i in reversed(ids)]
        if query.get("purchased") not in (None, ""):
            wanted = truthy(query["purchased"])
            items = [s for s in items if (s["postage_label"] is not None) == wanted]
        return page(items, query, "shipments")


def page(items: list[dict], query: dict, key: str) -> dict:
    """Newest first, `before_id` / `after_id` cursors, `page_size` (default 20, max 100)."""
    if query.get("before_id"):
        ids = [i["id"] for i in items]
        items = items[ids.index(query["before_id"]) + 1:] if query["before_id"] in ids else []
    if query.get("after_id"):
        ids = [i["id"] for i in items]
        items = items[: ids.index(query["after_id"])] if query["after_id"] in ids else items
    size = max(1, min(100, int(to_float(query.get("page_size"), 20) or 20)))
    return {key: items[:size], "has_more": len(items) > size}


# ---- buying --------------------------------------------------------------------------------
def check_buy(store: Store, shipment_id: str, params: dict) -> tuple[dict, float | None]:
    """Validate a buy under the lock and mark the shipment as purchasing."""
    shipment = store.get(store.shipments, shipment_id)
    store.stats["buy_attempts"][shipment_id] += 1
    if shipment["postage_label"] is not None:
        raise ApiError(422, "SHIPMENT.POSTAGE.EXISTS", "Postage already exists for this shipment.")
    if shipment_id in store.purchasing:
        raise ApiError(422, "SHIPMENT.PURCHASE.IN_PROGRESS",
                       "A purchase is already in progress for this shipment.")
    rate_param = params.get("rate")
    if not isinstance(rate_param, dict) or not rate_param.get("id"):
        raise param_required("rate", "must be an object with an id")
    rate = next((r for r in shipment["rates"] if r["id"] == rate_param["id"]), None)
    if rate is None:
        raise ApiError(422, "SHIPMENT.MISSING_RATE", "Unable to find the rate for this shipment.",
                       [{"field": "rate",
                         "message": f"{rate_param['id']} does not belong to {shipment_id}"}])
    insurance = None
    if params.get("insurance") not in (None, ""):
        insurance = to_float(params["insurance"])
        if insurance is None or insurance < 0:
            raise ApiError(422, "PARAMETER.INVALID", "Insurance must be a positive amount.")
    store.purchasing.add(shipment_id)
    return rate, insurance


def purchase(store: Store, shipment_id: str, rate: dict, insurance: float | None,
             base: str) -> tuple[dict, list[bytes]]:
    """Buy postage (the shipment was validated by check_buy); return it and events to send."""
    now = utcnow()
    shipment = store.shipments[shipment_id]
    code = store.next_tracking_code(rate["carrier"])
    route = trk.Route(rate["carrier"], rate["service"], int(rate["delivery_days"]),
                      trk.place_of(shipment["from_address"]), trk.place_of(shipment["to_address"]),
                      recipient=shipment["to_address"].get("name"),
                      weight=shipment["parcel"]["weight"])
    tracker, events = store.add_tracker(code, route, shipment_id, base)
    shipment.update(selected_rate=dict(rate), tracking_code=code, tracker=tracker,
                    postage_label=_postage_label(store, shipment, rate, code, base, now),
                    updated_at=iso_z(now), status="unknown")
    shipment["fees"] = [{"object": "Fee", "type": "LabelFee", "amount": "0.00000", "charged": True,
                         "refunded": False},
                        {"object": "Fee", "type": "PostageFee", "amount": money(rate["rate"], 5),
                         "charged": True, "refunded": False}]
    if insurance:
        _insure(shipment, insurance)
    store.stats["buys"][shipment_id] += 1
    return shipment, events


def _postage_label(store: Store, shipment: dict, rate: dict, code: str, base: str, now) -> dict:
    options = shipment["options"]
    fmt = str(options.get("label_format") or "PNG").upper()
    fmt = fmt if fmt in labels.FORMATS else "PNG"
    ext, file_type = labels.FORMATS[fmt]
    label_id = new_id("pl")
    label_date = options.get("label_date") or iso_z(now)
    store.labels[label_id] = {
        "carrier": rate["carrier"], "service": rate["service"], "tracking_code": code,
        "from_address": shipment["from_address"], "to_address": shipment["to_address"],
        "label_date": label_date, "label_size": options.get("label_size") or "4x6",
        "original_format": fmt, **{k: options.get(k) for k in (
            "print_custom_1", "print_custom_2", "print_custom_3", "invoice_number")},
    }
    label = {"object": "PostageLabel", "id": label_id, "created_at": iso_z(now),
             "updated_at": iso_z(now),
             "date_advance": 0, "integrated_form": "none", "label_date": label_date,
             "label_resolution": 300 if fmt in ("PNG", "PDF") else 203,
             "label_size": options.get("label_size") or "4x6", "label_type": "default",
             "label_file_type": file_type, "label_url": f"{base}/labels/{label_id}.{ext}",
             "label_pdf_url": None, "label_zpl_url": None, "label_epl2_url": None,
             "label_file": None}
    if fmt != "PNG":
        label[f"label_{ext}_url"] = label["label_url"]
    return label


def convert_label(store: Store, shipment_id: str, file_format: str | None, base: str) -> dict:
    """GET /shipments/:id/label: only PNG labels convert (EasyPost's rule), to PDF, ZPL or EPL2."""
    fmt = str(file_format or "").upper()
    with store.lock:
        shipment = store.get(store.shipments, shipment_id)
        label = shipment["postage_label"]
        if label is None:
            raise ApiError(422, "SHIPMENT.POSTAGE.REQUIRED",
                           "The shipment has no postage label yet.")
        if fmt not in labels.FORMATS:
            raise ApiError(422, "SHIPMENT.POSTAGE.INVALID_FORMAT",
                           "file_format must be one of PNG, PDF, ZPL, EPL2.")
        original = store.labels[label["id"]]["original_format"]
        if fmt == original:
            return shipment
        if original != "PNG":
            raise ApiError(422, "SHIPMENT.POSTAGE.FORMAT_UNAVAILABLE",
                           f"A {original} label cannot be converted to {fmt}; "
                           "only PNG labels convert.")
        ext = labels.FORMATS[fmt][0]
        label[f"label_{ext}_url"] = f"{base}/labels/{label['id']}.{ext}"
        label["updated_at"] = shipment["updated_at"] = iso_z(utcnow())
        return shipment


def label_file(store: Store, label_id: str, ext: str) -> bytes:
    """Bytes of a label file, rendered once and cached."""
    with store.lock:
        meta = store.labels.get(label_id)
        if meta is None or ext not in labels.CONTENT_TYPES:
            raise ApiError(404, "NOT_FOUND", "The requested resource could not be found.")
        cached = store.label_files.get((label_id, ext))
        if cached is None:
            fmt = next(f for f, (e, _) in labels.FORMATS.items() if e == ext)
            cached = store.label_files[(label_id, ext)] = labels.render(meta, fmt)
        return cached


# ---- after purchase ------------------------------------------------------------------------
def _insure(shipment: dict, amount: float) -> None:
    shipment["insurance"] = money(amount)
    shipment["fees"].append({"object": "Fee", "type": "InsuranceFee",
                             "amount": money(amount * INSURANCE_SHARE, 5), "charged": True,
                             "refunded": False})


def insure(store: Store, shipment_id: str, params: dict) -> dict:
    amount = to_float(params.get("amount"))
    with store.lock:
        shipment = store.get(store.shipments, shipment_id)
        if shipment["postage_label"] is None:
            raise ApiError(422, "SHIPMENT.POSTAGE.REQUIRED", "Buy postage before adding insurance.")
        if shipment["insurance"] is not None:
            raise ApiError(422, "SHIPMENT.INSURANCE.ALREADY_PURCHASED",
                           "Insurance has already been purchased for this shipment.")
        if amount is None or amount <= 0:
            raise param_required("amount", "must be a positive amount")
        _insure(shipment, amount)
        shipment["updated_at"] = iso_z(utcnow())
        return shipment


def refund(store: Store, shipment_id: str, refund_delay: float) -> dict:
    """Submit a refund; it settles `refund_delay` real seconds later (see settle_refunds).

    A label the carrier has already scanned (tracker past pre_transit) is rejected, like USPS.
    """
    with store.lock:
        shipment = store.get(store.shipments, shipment_id)
        if shipment["postage_label"] is None:
            raise ApiError(422, "SHIPMENT.POSTAGE.REQUIRED",
                           "The shipment has no postage to refund.")
        if shipment["refund_status"] in ("submitted", "refunded"):
            raise ApiError(422, "SHIPMENT.REFUND.UNAVAILABLE",
                           f"A refund for this shipment is already {shipment['refund_status']}.")
        shipment["refund_status"] = "submitted"
        shipment["updated_at"] = iso_z(utcnow())
        store.stats["refunds"][shipment_id] += 1
        tracker = shipment["tracker"]
        scanned = tracker is not None and tracker["status"] not in ("unknown", "pre_transit")
        if not scanned and tracker is not None:
            store.sims[tracker["id"]].active = False  # a voided label never ships
        heapq.heappush(store.refunds_due, (time.monotonic() + refund_delay, shipment_id,
                                           "rejected" if scanned else "refunded"))
        return shipment


def settle_refunds(store: Store, force: bool = False) -> int:
    """Move submitted refunds whose time has come to refunded / rejected."""
    settled, now = 0, time.monotonic()
    with store.lock:
        while store.refunds_due and (force or store.refunds_due[0][0] <= now):
            _, shipment_id, outcome = heapq.heappop(store.refunds_due)
            shipment = store.shipments.get(shipment_id)
            if shipment is None or shipment["refund_status"] != "submitted":
                continue
            shipment["refund_status"] = outcome
            shipment["updated_at"] = iso_z(utcnow())
            if outcome == "refunded":
                for fee in shipment["fees"]:
                    if fee["type"] in ("PostageFee", "InsuranceFee"):
                        fee["refunded"] = True
            settled += 1
    return settled
