"""fulfillmentCreate, fulfillmentTrackingInfoUpdate, fulfillmentCancel and fulfillmentEventCreate:
Shopify's input rules, then the state changes.

Functions here change state only (the caller holds the store lock); graphql.py emits the
webhooks once the lock is released. Bad input *values* of the wrong type (a missing required
field, an unknown enum value, a malformed DateTime) are top-level `errors` on Shopify, like
here (QueryError with INVALID_VARIABLE); business-rule failures are `userErrors`.
"""

from __future__ import annotations

from urllib.parse import quote

from .models import (
    Fulfillment,
    FulfillmentEvent,
    FulfillmentLine,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Order,
    Shop,
)
from .orders import next_update_time
from .selection import QueryError
from .state import Store
from .util import gid, gid_id, parse_time, utc_now, whole_seconds

# The companies whose tracking URL the sandbox builds (a few of Shopify's supported list;
# the name must match exactly, capitals included, as on Shopify).
TRACKING_URLS = {
    "UPS": "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL Express": "https://www.dhl.com/en/express/tracking.html?AWB={}&brand=DHL",
}
FULFILLABLE_STATUSES = ("OPEN", "IN_PROGRESS")
EVENT_STATUSES = ("LABEL_PURCHASED", "LABEL_PRINTED", "CONFIRMED", "CARRIER_PICKED_UP",
                  "IN_TRANSIT", "OUT_FOR_DELIVERY", "ATTEMPTED_DELIVERY", "DELAYED",
                  "READY_FOR_PICKUP", "DELIVERED", "FAILURE")

Plan = list[tuple[FulfillmentOrder, FulfillmentOrderLine, int]]


def user_error(field: list[str], message: str) -> dict:
    return {"__typename": "UserError", "field": field, "message": message}


def _invalid(variable: str, type_name: str, detail: str) -> QueryError:
    return QueryError(f"Variable ${variable} of type {type_name} was provided invalid value"
                      f" for {detail}", "INVALID_VARIABLE")


# --- fulfillmentCreate -------------------------------------------------------------------------


def plan_fulfillment(shop: Shop, spec) -> tuple[Plan, list[dict]]:
    """What to fulfil, or the userErrors (then nothing may change)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("lineItemsByFulfillmentOrder"),
                                                    list):
        raise _invalid("fulfillment", "FulfillmentInput!",
                       "lineItemsByFulfillmentOrder (Expected value to not be null)")
    origin = spec.get("originAddress")
    if origin is not None and not (isinstance(origin, dict) and origin.get("countryCode")):
        raise _invalid("fulfillment", "FulfillmentInput!",
                       "originAddress.countryCode (Expected value to not be null)")
    errors = _tracking_errors(spec.get("trackingInfo"))
    groups = spec["lineItemsByFulfillmentOrder"]
    if not groups:
        errors.append(user_error(["fulfillment", "lineItemsByFulfillmentOrder"],
                                 "Line items by fulfillment order can't be blank."))
    plan: Plan = []
    owners: set[tuple[int, int]] = set()
    for i, group in enumerate(groups):
        path = ["fulfillment", "lineItemsByFulfillmentOrder", str(i)]
        group = group if isinstance(group, dict) else {}
        fo = shop.fulfillment_orders.get(
            gid_id(group.get("fulfillmentOrderId"), "FulfillmentOrder") or -1)
        if fo is None:
            errors.append(user_error(path + ["fulfillmentOrderId"],
                                     "Fulfillment order does not exist."))
            continue
        if fo.status not in FULFILLABLE_STATUSES:
            errors.append(user_error(path + ["fulfillmentOrderId"],
                                     f"Fulfillment order {fo.id} has an unfulfillable "
                                     f"status= {fo.status.lower()}."))
            continue
        owners.add((fo.order_id, fo.location.id))
        plan += _plan_group(fo, group.get("fulfillmentOrderLineItems"), path, errors)
    if len(owners) > 1:
        errors.append(user_error(["fulfillment"], "All fulfillment orders must belong to the "
                                                  "same order and be assigned to the same "
                                                  "location."))
    if not errors and not plan:
        errors.append(user_error(["fulfillment"], "There are no line items to fulfill."))
    return ([] if errors else plan), errors


def _plan_group(fo: FulfillmentOrder, items, path: list[str], errors: list[dict]) -> Plan:
    if not items:  # omitted or empty: everything that remains
        return [(fo, line, line.remaining) for line in fo.lines if line.remaining > 0]
    plan, wanted = [], {}
    for j, item in enumerate(items):
        item_path = path + ["fulfillmentOrderLineItems", str(j)]
        item = item if isinstance(item, dict) else {}
        line = next((ln for ln in fo.lines
                     if gid("FulfillmentOrderLineItem", ln.id) == item.get("id")), None)
        if line is None:
            errors.append(user_error(item_path + ["id"],
                                     "Fulfillment order line item does not exist."))
            continue
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors.append(user_error(item_path + ["quantity"],
                                     "Quantity must be greater than 0."))
            continue
        wanted[line.id] = wanted.get(line.id, 0) + quantity
        if wanted[line.id] > line.remaining:
            errors.append(user_error(item_path + ["quantity"],
                                     "Invalid fulfillment order line item quantity "
                                     "requested."))
            continue
        plan.append((fo, line, quantity))
    return plan


def _tracking_errors(tracking, path: tuple[str, ...] = ("fulfillment", "trackingInfo"),
                    variable: tuple[str, str] = ("fulfillment", "FulfillmentInput!")) -> list[dict]:
    if tracking is None:
        return []
    if not isinstance(tracking, dict):
        raise _invalid(*variable, path[-1])
    path, errors = list(path), []
    has = {key: tracking.get(key) not in (None, "", []) for key in
           ("number", "numbers", "url", "urls")}
    if has["number"] and has["numbers"]:
        errors.append(user_error(path + ["numbers"], "Tracking number and tracking numbers "
                                                     "cannot both be provided."))
    if has["url"] and has["urls"]:
        errors.append(user_error(path + ["urls"], "Tracking url and tracking urls cannot "
                                                  "both be provided."))
    if has["url"] and not has["number"]:
        errors.append(user_error(path + ["url"], "Tracking url can only be provided together "
                                                 "with a tracking number."))
    if has["urls"] and not has["numbers"]:
        errors.append(user_error(path + ["urls"], "Tracking urls can only be provided "
                                                  "together with tracking numbers."))
    return errors


def tracking_url(company: str | None, number: str) -> str | None:
    template = TRACKING_URLS.get(company or "")
    return template.format(quote(number, safe="")) if template else None


def create_fulfillment(store: Store, shop: Shop, plan: Plan, spec: dict,
                       message: str | None) -> tuple[Order, Fulfillment]:
    order = shop.orders[plan[0][0].order_id]
    lines: dict[int, FulfillmentLine] = {}
    for _fo, fo_line, quantity in plan:
        fo_line.remaining -= quantity
        fo_line.line_item.fulfilled_quantity += quantity
        if fo_line.id in lines:
            lines[fo_line.id].quantity += quantity
        else:
            lines[fo_line.id] = FulfillmentLine(store.ids.big(), fo_line.line_item, quantity,
                                                fo_line.id)
    touched = {fo.id: fo for fo, _, _ in plan}
    for fo in touched.values():
        fo.status = "CLOSED" if all(ln.remaining == 0 for ln in fo.lines) else "IN_PROGRESS"
    company, numbers, urls = _tracking_fields(spec.get("trackingInfo") or {})
    order.updated_at = next_update_time(order.updated_at)
    now = whole_seconds(utc_now())
    fulfillment = Fulfillment(
        id=store.ids.big(), order_id=order.id, name=f"{order.name}.{len(order.fulfillments) + 1}",
        location=plan[0][0].location, created_at=now, updated_at=now,
        lines=sorted(lines.values(), key=lambda ln: order.line_items.index(ln.line_item)),
        fulfillment_order_ids=list(touched), tracking_company=company,
        tracking_numbers=numbers, tracking_urls=urls,
        notify_customer=bool(spec.get("notifyCustomer", False)),
        origin_address=_origin(spec.get("originAddress")), message=message)
    order.fulfillments.append(fulfillment)
    shop.fulfillments[fulfillment.id] = fulfillment
    return order, fulfillment


def _tracking_fields(tracking: dict) -> tuple[str | None, list[str], list[str | None]]:
    """(company, numbers, urls) of a FulfillmentTrackingInput; a known company builds the URLs
    that were not given."""
    company = tracking.get("company") or None
    numbers = [tracking["number"]] if tracking.get("number") else \
        [str(n) for n in tracking.get("numbers") or []]
    given = [tracking["url"]] if tracking.get("url") else list(tracking.get("urls") or [])
    urls = [given[k] if k < len(given) and given[k] else tracking_url(company, number)
            for k, number in enumerate(numbers)]
    return company, numbers, urls


def set_tracking(fulfillment: Fulfillment, tracking: dict) -> None:
    """Replace the fulfilment's tracking (also the control API's way to strip it)."""
    company, numbers, urls = _tracking_fields(tracking)
    fulfillment.tracking_company = company
    fulfillment.tracking_numbers, fulfillment.tracking_urls = numbers, urls
    fulfillment.updated_at = next_update_time(fulfillment.updated_at)


def _origin(raw: dict | None) -> dict | None:
    if not raw:
        return None
    return {"address1": raw.get("address1"), "address2": raw.get("address2"),
            "city": raw.get("city"), "country_code": raw.get("countryCode"),
            "province_code": raw.get("provinceCode"), "zip": raw.get("zip")}


# --- fulfillmentTrackingInfoUpdate -------------------------------------------------------------


def update_tracking(shop: Shop, raw_id, tracking,
                    notify: bool | None) -> tuple[Fulfillment | None, list[dict]]:
    """Replace a fulfilment's tracking company, numbers and URLs (FulfillmentTrackingInput has
    fulfillmentCreate's trackingInfo rules). A cancelled fulfilment is refused (the message is
    the sandbox's own wording)."""
    if not isinstance(tracking, dict):
        raise _invalid("trackingInfoInput", "FulfillmentTrackingInput!",
                       "trackingInfoInput (Expected value to not be null)")
    errors = _tracking_errors(tracking, ("trackingInfoInput",),
                              ("trackingInfoInput", "FulfillmentTrackingInput!"))
    fulfillment = shop.fulfillments.get(gid_id(raw_id, "Fulfillment") or -1)
    if fulfillment is None:
        errors.append(user_error(["fulfillmentId"], "Fulfillment does not exist."))
    elif fulfillment.status == "CANCELLED":
        errors.append(user_error(["fulfillmentId"], "Cannot update the tracking of a cancelled "
                                                    "fulfillment."))
    if errors:
        return None, errors
    set_tracking(fulfillment, tracking)
    if notify is not None:
        fulfillment.notify_customer = bool(notify)
    return fulfillment, []


# --- fulfillmentCancel -------------------------------------------------------------------------


def cancel_fulfillment(store: Store, shop: Shop, raw_id) -> tuple[Fulfillment | None, list[dict]]:
    """Cancel a fulfilment and reverse its effect on its fulfillment orders (as Shopify
    documents it): an entirely fulfilled (CLOSED) fulfillment order stays closed and a new
    OPEN one at the same location takes the cancelled items; otherwise the cancelled
    quantities go back to the lines' remainingQuantity and the fulfillment order is OPEN again,
    or IN_PROGRESS while other fulfilments of it remain. Unknown or already cancelled: a
    userError and nothing changes."""
    fulfillment = shop.fulfillments.get(gid_id(raw_id, "Fulfillment") or -1)
    if fulfillment is None:
        return None, [user_error(["id"], "Fulfillment does not exist.")]
    if fulfillment.status == "CANCELLED":
        return None, [user_error(["id"], "Fulfillment has already been cancelled.")]
    order = shop.orders[fulfillment.order_id]
    fo_lines = {line.id: (fo, line) for fo in order.fulfillment_orders for line in fo.lines}
    reopened: dict[int, list[tuple[FulfillmentOrderLine, int]]] = {}
    for line in fulfillment.lines:
        line.line_item.fulfilled_quantity -= line.quantity
        # Never more than the line item can still take (an edited-down or cancelled order).
        quantity = min(line.quantity, line.line_item.fulfillable_quantity)
        fo, fo_line = fo_lines[line.fulfillment_order_line_id]
        if quantity > 0:
            reopened.setdefault(fo.id, []).append((fo_line, quantity))
    fulfillment.status = "CANCELLED"
    fulfillment.updated_at = next_update_time(fulfillment.updated_at)
    for fo_id, lines in reopened.items():
        fo = shop.fulfillment_orders[fo_id]
        if fo.status == "CLOSED":
            _replacement_order(store, shop, order, fo, lines)
            continue
        for fo_line, quantity in lines:
            fo_line.remaining += quantity
        if fo.status in FULFILLABLE_STATUSES:
            fo.status = "IN_PROGRESS" if _still_fulfilled(order, fo) else "OPEN"
    order.updated_at = next_update_time(order.updated_at)
    return fulfillment, []


def _still_fulfilled(order: Order, fo: FulfillmentOrder) -> bool:
    return any(f.status != "CANCELLED" and fo.id in f.fulfillment_order_ids
               for f in order.fulfillments)


def _replacement_order(store: Store, shop: Shop, order: Order, closed: FulfillmentOrder,
                       lines: list[tuple[FulfillmentOrderLine, int]]) -> FulfillmentOrder:
    fo = FulfillmentOrder(
        id=store.ids.big(), location=closed.location, status="OPEN", order_id=order.id,
        lines=[FulfillmentOrderLine(store.ids.big(), fo_line.line_item, quantity)
               for fo_line, quantity in lines])
    order.fulfillment_orders.append(fo)
    shop.fulfillment_orders[fo.id] = fo
    return fo


# --- fulfillmentEventCreate --------------------------------------------------------------------


def create_event(store: Store, shop: Shop, spec) -> tuple[FulfillmentEvent | None, list[dict]]:
    if not isinstance(spec, dict):
        raise QueryError("Variable $fulfillmentEvent of type FulfillmentEventInput! was "
                         "provided invalid value", "INVALID_VARIABLE")
    status = spec.get("status")
    if status not in EVENT_STATUSES:
        raise _invalid("fulfillmentEvent", "FulfillmentEventInput!",
                       f"status (Expected \"{status}\" to be one of: "
                       f"{', '.join(EVENT_STATUSES)})")
    happened = _time(spec, "happenedAt") or whole_seconds(utc_now())
    estimated = _time(spec, "estimatedDeliveryAt")
    fulfillment = shop.fulfillments.get(gid_id(spec.get("fulfillmentId"), "Fulfillment") or -1)
    if fulfillment is None:
        return None, [user_error(["fulfillmentEvent", "fulfillmentId"],
                                 "Fulfillment does not exist.")]
    event = FulfillmentEvent(
        id=store.ids.big(), fulfillment_id=fulfillment.id, order_id=fulfillment.order_id,
        status=status, happened_at=happened, created_at=whole_seconds(utc_now()),
        message=spec.get("message"), city=spec.get("city"), province=spec.get("province"),
        country=spec.get("country"), zip=spec.get("zip"), address1=spec.get("address1"),
        latitude=spec.get("latitude"), longitude=spec.get("longitude"),
        estimated_delivery_at=estimated)
    fulfillment.events.append(event)
    fulfillment.updated_at = next_update_time(fulfillment.updated_at)
    return event, []


def _time(spec: dict, key: str):
    value = spec.get(key)
    if value in (None, ""):
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        raise _invalid("fulfillmentEvent", "FulfillmentEventInput!",
                       f"{key} (invalid DateTime: {value})") from None


def latest_event(fulfillment: Fulfillment) -> FulfillmentEvent | None:
    if not fulfillment.events:
        return None
    return max(fulfillment.events, key=lambda e: (e.happened_at, e.created_at, e.id))
