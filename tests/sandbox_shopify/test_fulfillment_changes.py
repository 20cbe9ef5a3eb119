"""Changing a fulfilment in the sandbox Shopify after it was made: fulfillmentCancel reopens its
lines, fulfillmentTrackingInfoUpdate replaces its tracking."""

from __future__ import annotations

import json

from .. import shopify_queries as queries
from .helpers import Shop, fulfil, to_ship, wait_until

# --- fulfillmentCancel -------------------------------------------------------------------------


def all_to_ship(shop: Shop, order: dict) -> list[dict]:
    answer = shop.data(queries.FULFILLMENT_ORDERS_TO_SHIP, {"id": order["admin_graphql_api_id"]})
    return answer["order"]["fulfillmentOrders"]["nodes"]


def cancel(shop: Shop, fulfillment_id: str) -> dict:
    body = shop.graphql(queries.FULFILLMENT_CANCEL, {"id": fulfillment_id}).json()
    assert "errors" not in body, body
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10
    assert body["extensions"]["cost"]["actualQueryCost"] == 10
    return body["data"]["fulfillmentCancel"]


def test_cancelled_fulfillment_reopens_its_lines_and_can_be_fulfilled_again(sandbox, receiver,
                                                                           shop):
    path = f"/hooks/cancel/{shop.domain}"
    for topic in ("FULFILLMENTS_UPDATE", "ORDERS_UPDATED"):
        shop.subscribe(topic, receiver.url + path)
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}], deliver=False)
    fo = to_ship(shop, order)
    first = fulfil(shop, fo, tracking={"company": "UPS", "number": "1Z1"})["fulfillment"]
    assert sandbox.wait_webhooks_idle(10)
    before = shop.control("get", f"orders/{order['id']}")
    assert before["fulfillment_status"] == "fulfilled"

    assert cancel(shop, first["id"]) == {
        "fulfillment": {"id": first["id"], "status": "CANCELLED"}, "userErrors": []}

    # As on Shopify: the entirely fulfilled fulfillment order stays closed and a new open one
    # at the same location carries the cancelled items.
    closed, reopened = all_to_ship(shop, order)
    assert closed["id"] == fo["id"] and closed["status"] == "CLOSED"
    assert reopened["status"] == "OPEN" and reopened["fulfillmentHolds"] == []
    assert reopened["assignedLocation"] == closed["assignedLocation"]
    cancelled_back = [(n["sku"], q, n["lineItem"])
                      for n, q in zip(fo["lineItems"]["nodes"], (2, 1), strict=False)]
    assert [(n["sku"], n["remainingQuantity"], n["lineItem"]) for n in
            reopened["lineItems"]["nodes"]] == cancelled_back
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    assert [(f["id"], f["status"]) for f in found["order"]["fulfillments"]] == \
        [(first["id"], "CANCELLED")]
    rest = shop.control("get", f"orders/{order['id']}")
    assert rest["fulfillment_status"] is None and rest["updated_at"] > before["updated_at"]
    assert [li["fulfillable_quantity"] for li in rest["line_items"]] == [2, 1]
    listed = shop.control("get", f"orders/{order['id']}/fulfillments")
    assert [(f["admin_graphql_api_id"], f["status"]) for f in listed] == \
        [(first["id"], "cancelled")]
    node = shop.data(queries.ORDER_BY_ID, {"id": order["admin_graphql_api_id"]})["order"]
    assert node["displayFulfillmentStatus"] == "UNFULFILLED"

    assert sandbox.wait_webhooks_idle(10)
    hooks = receiver.received(path)
    updates = [json.loads(h["body"]) for h in hooks
               if h["headers"]["X-Shopify-Topic"] == "fulfillments/update"]
    assert [(u["admin_graphql_api_id"], u["status"]) for u in updates] == \
        [(first["id"], "cancelled")]
    orders_updated = [json.loads(h["body"]) for h in hooks
                      if h["headers"]["X-Shopify-Topic"] == "orders/updated"]
    assert orders_updated[-1]["fulfillment_status"] is None
    assert [f["status"] for f in orders_updated[-1]["fulfillments"]] == ["cancelled"]

    assert fulfil(shop, closed)["userErrors"][0]["message"].endswith("status= closed.")
    again = fulfil(shop, reopened, tracking={"company": "UPS", "number": "1Z2"})
    assert again["userErrors"] == [] and again["fulfillment"]["status"] == "SUCCESS"
    assert [fo["status"] for fo in all_to_ship(shop, order)] == ["CLOSED", "CLOSED"]
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    assert [f["status"] for f in found["order"]["fulfillments"]] == ["CANCELLED", "SUCCESS"]
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] == "fulfilled"


def test_cancelling_a_partial_fulfillment_reopens_the_same_fulfillment_order(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 3},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}])
    fo = to_ship(shop, order)
    mug, tote = fo["lineItems"]["nodes"]
    one = fulfil(shop, fo, [(mug, 1)])["fulfillment"]
    two = fulfil(shop, fo, [(mug, 1), (tote, 1)])["fulfillment"]
    assert cancel(shop, two["id"])["userErrors"] == []
    (after,) = all_to_ship(shop, order)
    assert after["status"] == "IN_PROGRESS"  # the first fulfilment remains
    assert [n["remainingQuantity"] for n in after["lineItems"]["nodes"]] == [2, 1]
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] == "partial"
    assert cancel(shop, one["id"])["userErrors"] == []
    (after,) = all_to_ship(shop, order)
    assert after["status"] == "OPEN"
    assert [n["remainingQuantity"] for n in after["lineItems"]["nodes"]] == [3, 1]
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] is None
    assert fulfil(shop, after)["userErrors"] == []
    assert to_ship(shop, order)["status"] == "CLOSED"


def test_cancelling_twice_or_an_unknown_fulfillment_is_a_user_error(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2}])
    fulfillment = fulfil(shop, to_ship(shop, order))["fulfillment"]
    assert cancel(shop, fulfillment["id"])["userErrors"] == []
    state = (shop.control("get", f"orders/{order['id']}"), all_to_ship(shop, order))

    twice = cancel(shop, fulfillment["id"])
    assert twice["fulfillment"] is None
    assert [e["field"] for e in twice["userErrors"]] == [["id"]]
    assert "cancelled" in twice["userErrors"][0]["message"]
    unknown = cancel(shop, "gid://shopify/Fulfillment/1")
    assert unknown == {"fulfillment": None, "userErrors": [
        {"field": ["id"], "message": "Fulfillment does not exist."}]}
    assert (shop.control("get", f"orders/{order['id']}"), all_to_ship(shop, order)) == state


def test_fulfillment_cancel_obeys_faults(sandbox, shop):
    order = shop.order()
    fulfillment = fulfil(shop, to_ship(shop, order))["fulfillment"]
    variables = {"id": fulfillment["id"]}
    try:
        shop.http.post("/sandbox/faults", json={"fail_5xx": 1, "http_429": 1, "throttle": 1})
        assert shop.graphql(queries.FULFILLMENT_CANCEL, variables).status_code == 503
        assert shop.graphql(queries.FULFILLMENT_CANCEL, variables).status_code == 429
        throttled = shop.graphql(queries.FULFILLMENT_CANCEL, variables).json()
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        listed = shop.control("get", f"orders/{order['id']}/fulfillments")
        assert listed[0]["status"] == "success"  # none of those ran
    finally:
        shop.http.delete("/sandbox/faults")
    assert cancel(shop, fulfillment["id"])["fulfillment"]["status"] == "CANCELLED"


# --- fulfillmentTrackingInfoUpdate -------------------------------------------------------------


def update_tracking(shop: Shop, fulfillment_id: str, tracking, notify=None) -> dict:
    return shop.data(queries.FULFILLMENT_TRACKING_INFO_UPDATE, {
        "fulfillmentId": fulfillment_id, "trackingInfoInput": tracking,
        "notifyCustomer": notify})["fulfillmentTrackingInfoUpdate"]


def test_tracking_info_update_replaces_the_tracking_of_a_fulfillment(sandbox, receiver, shop):
    order = shop.order()
    created = fulfil(shop, to_ship(shop, order), tracking={"company": "USPS", "number": "9400"})
    fulfillment_id = created["fulfillment"]["id"]
    stripped = shop.control("put", f"fulfillments/{fulfillment_id.rsplit('/', 1)[1]}/tracking",
                            json={})
    assert stripped["tracking_numbers"] == [] and stripped["tracking_company"] is None
    shop.subscribe("FULFILLMENTS_UPDATE", receiver.url + "/app")

    updated = update_tracking(shop, fulfillment_id, {"company": "UPS", "numbers": ["1Z1", "1Z2"]})
    assert updated["userErrors"] == []
    assert [(t["company"], t["number"]) for t in updated["fulfillment"]["trackingInfo"]] == \
        [("UPS", "1Z1"), ("UPS", "1Z2")]
    assert updated["fulfillment"]["trackingInfo"][0]["url"].endswith("trackNums=1Z1")
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    [listed] = found["order"]["fulfillments"]
    assert listed["trackingInfo"] == updated["fulfillment"]["trackingInfo"]
    wait_until(lambda: any(r["headers"].get("X-Shopify-Topic") == "fulfillments/update"
                           for r in receiver.requests))


def test_tracking_info_update_input_rules(sandbox, shop):
    order = shop.order()
    fulfillment_id = fulfil(shop, to_ship(shop, order))["fulfillment"]["id"]
    both = update_tracking(shop, fulfillment_id, {"number": "1", "numbers": ["2"]})
    assert both["fulfillment"] is None
    assert both["userErrors"][0]["field"] == ["trackingInfoInput", "numbers"]
    unknown = update_tracking(shop, "gid://shopify/Fulfillment/1", {"number": "1"})
    assert unknown["userErrors"] == [{"field": ["fulfillmentId"],
                                      "message": "Fulfillment does not exist."}]
    cancel(shop, fulfillment_id)
    cancelled = update_tracking(shop, fulfillment_id, {"number": "1"})
    assert cancelled["fulfillment"] is None
    assert cancelled["userErrors"][0]["field"] == ["fulfillmentId"]
    missing = shop.graphql(queries.FULFILLMENT_TRACKING_INFO_UPDATE,
                           {"fulfillmentId": fulfillment_id}).json()
    assert missing["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
