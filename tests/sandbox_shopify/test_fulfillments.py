"""The sandbox Shopify's fulfilments: fulfillment orders to ship, fulfillmentCreate in full and in
part, tracking URLs and input rules, a lost answer, the fulfillments/create webhook, and events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

from .. import shopify_queries as queries
from .helpers import SECRET, fulfil, to_ship

EVENT_CREATE = """
mutation FulfillmentEventCreate($fulfillmentEvent: FulfillmentEventInput!) {
  fulfillmentEventCreate(fulfillmentEvent: $fulfillmentEvent) {
    fulfillmentEvent { id status } userErrors { field message } } }
"""


def test_fulfillment_order_lines_carry_weight_and_location_address(sandbox, shop):
    shop.control("post", "products", json={"title": "Lamp", "sku": "LAMP", "price": "40.00"})
    shop.control("post", "products", json={"title": "Anvil", "sku": "ANVIL", "price": "90",
                                           "weight": 2.5, "weight_unit": "POUNDS"})
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2}, {"sku": "LAMP"},
                                   {"sku": "ANVIL"}])
    body = shop.graphql(queries.FULFILLMENT_ORDERS_TO_SHIP,
                        {"id": order["admin_graphql_api_id"]}).json()
    assert body["extensions"]["cost"]["requestedQueryCost"] < 1000
    fo = body["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    place = fo["assignedLocation"]
    assert (place["name"], place["city"], place["province"], place["countryCode"],
            place["zip"]) == ("Main warehouse", "Portland", "Oregon", "US", "97205")
    assert place["address1"] and place["phone"] and place["location"]["id"]
    mug, lamp, anvil = fo["lineItems"]["nodes"]
    assert mug["weight"] == {"unit": "GRAMS", "value": 450.0}
    assert mug["productTitle"] == "Ceramic Mug" and mug["remainingQuantity"] == 2
    assert lamp["weight"] is None  # created without grams
    assert anvil["weight"] == {"unit": "POUNDS", "value": 2.5}
    overflow = next(loc for loc in shop.info["locations"] if loc["name"] == "Overflow")
    assert (overflow["city"], overflow["province_code"], overflow["zip"]) == \
        ("Reno", "NV", "89501")


def test_full_fulfillment_closes_the_order_and_cannot_be_repeated(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}])
    fo = to_ship(shop, order)
    created = fulfil(shop, fo, tracking={"company": "Acme Freight", "number": "AF-1"},
                     notifyCustomer=True)
    assert created["userErrors"] == []
    fulfillment = created["fulfillment"]
    assert fulfillment["id"].startswith("gid://shopify/Fulfillment/")
    assert fulfillment["status"] == "SUCCESS"
    assert fulfillment["trackingInfo"] == [{"company": "Acme Freight", "number": "AF-1",
                                            "url": None}]
    after = to_ship(shop, order)
    assert after["status"] == "CLOSED"
    assert [n["remainingQuantity"] for n in after["lineItems"]["nodes"]] == [0, 0]

    again = fulfil(shop, fo, [(fo["lineItems"]["nodes"][0], 1)])
    assert again["fulfillment"] is None
    assert again["userErrors"] == [{
        "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0", "fulfillmentOrderId"],
        "message": f"Fulfillment order {fo['id'].rsplit('/', 1)[1]} has an unfulfillable "
                   "status= closed."}]

    rest = shop.control("get", f"orders/{order['id']}")
    assert rest["fulfillment_status"] == "fulfilled" and rest["updated_at"] > rest["created_at"]
    assert [f["admin_graphql_api_id"] for f in rest["fulfillments"]] == [fulfillment["id"]]
    listed = shop.control("get", f"orders/{order['id']}/fulfillments")
    assert len(listed) == 1 and listed[0]["notify_customer"] is True
    assert listed[0]["tracking_numbers"] == ["AF-1"] and listed[0]["status"] == "success"
    assert [(li["sku"], li["quantity"]) for li in listed[0]["line_items"]] == \
        [("MUG-CERAMIC", 2), ("TOTE-CANVAS", 1)]
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    assert found["order"]["fulfillments"] == [fulfillment]


def test_partial_fulfillment_leaves_the_rest(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 3},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}])
    fo = to_ship(shop, order)
    mug, tote = fo["lineItems"]["nodes"]
    assert fulfil(shop, fo, [(mug, 2)])["userErrors"] == []
    after = to_ship(shop, order)
    assert after["status"] == "IN_PROGRESS"
    assert [n["remainingQuantity"] for n in after["lineItems"]["nodes"]] == [1, 1]
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] == "partial"
    node = shop.data(queries.ORDER_BY_ID, {"id": order["admin_graphql_api_id"]})["order"]
    assert node["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    too_many = fulfil(shop, after, [(after["lineItems"]["nodes"][0], 2)])
    assert too_many == {"fulfillment": None, "userErrors": [{
        "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0",
                  "fulfillmentOrderLineItems", "0", "quantity"],
        "message": "Invalid fulfillment order line item quantity requested."}]}
    assert fulfil(shop, after)["userErrors"] == []  # no line items given: all that remains
    assert to_ship(shop, order)["status"] == "CLOSED"
    assert shop.control("get", f"orders/{order['id']}")["fulfillment_status"] == "fulfilled"


def test_tracking_urls_and_input_rules(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 5}])
    fo = to_ship(shop, order)
    line = fo["lineItems"]["nodes"][0]
    ups = fulfil(shop, fo, [(line, 1)], {"company": "UPS", "number": "1Z999AA10123456784"})
    assert ups["fulfillment"]["trackingInfo"] == [{
        "company": "UPS", "number": "1Z999AA10123456784",
        "url": "https://www.ups.com/WebTracking?loc=en_US&requester=ST"
               "&trackNums=1Z999AA10123456784"}]
    fedex = fulfil(shop, fo, [(line, 1)], {"company": "FedEx", "numbers": ["111", "222"]})
    assert [t["url"] for t in fedex["fulfillment"]["trackingInfo"]] == [
        "https://www.fedex.com/fedextrack/?trknbr=111",
        "https://www.fedex.com/fedextrack/?trknbr=222"]
    own = fulfil(shop, fo, [(line, 1)], {"company": "usps", "number": "9400",
                                         "url": "https://track.example/9400"})
    assert own["fulfillment"]["trackingInfo"] == [
        {"company": "usps", "number": "9400", "url": "https://track.example/9400"}]

    bad = fulfil(shop, fo, [(line, 1)], {"company": "UPS", "url": "https://x.example/1"})
    assert bad["fulfillment"] is None
    assert bad["userErrors"][0]["field"] == ["fulfillment", "trackingInfo", "url"]
    both = fulfil(shop, fo, [(line, 1)], {"number": "1", "numbers": ["2"]})
    assert both["userErrors"][0]["field"] == ["fulfillment", "trackingInfo", "numbers"]
    stranger = to_ship(shop, shop.order())["lineItems"]["nodes"][0]
    foreign = fulfil(shop, fo, [(stranger, 1)])
    assert foreign["userErrors"][0] == {
        "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0",
                  "fulfillmentOrderLineItems", "0", "id"],
        "message": "Fulfillment order line item does not exist."}
    unknown = fulfil(shop, {"id": "gid://shopify/FulfillmentOrder/1"})
    assert unknown["userErrors"][0]["message"] == "Fulfillment order does not exist."
    shop.control("post", f"orders/{order['id']}/hold", json={"reason": "OTHER"})
    held = fulfil(shop, fo, [(line, 1)])
    assert held["userErrors"][0]["message"].endswith("unfulfillable status= on_hold.")
    assert len(shop.control("get", f"orders/{order['id']}/fulfillments")) == 3


def test_lost_fulfillment_answer_still_creates_it(sandbox, shop):
    order = shop.order()
    fo = to_ship(shop, order)
    try:
        shop.http.post("/sandbox/faults", json={"lose_fulfillment_answer": 1})
        lost = shop.graphql(queries.FULFILLMENT_CREATE, {"fulfillment": {
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
            "trackingInfo": {"company": "USPS", "number": "9400111"}}})
        assert lost.status_code == 502
        assert shop.http.get("/sandbox/faults").json()["lose_fulfillment_answer"] == 0
    finally:
        shop.http.delete("/sandbox/faults")
    found = shop.data(queries.ORDER_FULFILLMENTS, {"id": order["admin_graphql_api_id"]})
    assert found["order"]["fulfillments"][0]["trackingInfo"] == [{
        "company": "USPS", "number": "9400111",
        "url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111"}]
    assert to_ship(shop, order)["status"] == "CLOSED"


def test_fulfillments_create_webhook_is_signed_and_delivered(sandbox, receiver, shop):
    path = f"/hooks/fulfil/{shop.domain}"
    for topic in ("FULFILLMENTS_CREATE", "ORDERS_UPDATED"):
        shop.subscribe(topic, receiver.url + path)
    order = shop.order(deliver=False)
    created = fulfil(shop, to_ship(shop, order), tracking={"company": "DHL Express",
                                                           "number": "JD0140"})
    assert sandbox.wait_webhooks_idle(10)
    hooks = {r["headers"]["X-Shopify-Topic"]: r for r in receiver.received(path)}
    assert sorted(hooks) == ["fulfillments/create", "orders/updated"]
    hook = hooks["fulfillments/create"]
    expected = base64.b64encode(hmac.new(SECRET.encode(), hook["body"], hashlib.sha256).digest())
    assert hmac.compare_digest(hook["headers"]["X-Shopify-Hmac-Sha256"].encode(), expected)
    body = json.loads(hook["body"])
    assert body["admin_graphql_api_id"] == created["fulfillment"]["id"]
    assert body["order_id"] == order["id"] and body["status"] == "success"
    assert body["tracking_company"] == "DHL Express" and body["tracking_number"] == "JD0140"
    assert body["tracking_urls"] == [
        "https://www.dhl.com/en/express/tracking.html?AWB=JD0140&brand=DHL"]
    assert body["line_items"][0]["id"] == order["line_items"][0]["id"]
    assert body["name"] == order["name"] + ".1"
    shared = Path(__file__).resolve().parents[3] / "shared"
    with open(shared / "fixtures/shopify/webhooks/fulfillments_create.json") as fixture:
        assert list(body) == list(json.load(fixture))
    updated = json.loads(hooks["orders/updated"]["body"])
    assert updated["fulfillment_status"] == "fulfilled" and len(updated["fulfillments"]) == 1


def test_fulfillment_events(sandbox, shop):
    order = shop.order()
    fulfillment = fulfil(shop, to_ship(shop, order))["fulfillment"]
    made = shop.data(EVENT_CREATE, {"fulfillmentEvent": {
        "fulfillmentId": fulfillment["id"], "status": "IN_TRANSIT", "city": "Reno",
        "happenedAt": "2026-03-01T10:00:00Z", "estimatedDeliveryAt": "2026-03-03T18:00:00Z",
        "message": "Departed facility"}})["fulfillmentEventCreate"]
    assert made["userErrors"] == [] and made["fulfillmentEvent"]["status"] == "IN_TRANSIT"
    assert made["fulfillmentEvent"]["id"].startswith("gid://shopify/FulfillmentEvent/")
    bogus = shop.graphql(EVENT_CREATE, {"fulfillmentEvent": {
        "fulfillmentId": fulfillment["id"], "status": "LOST_IN_SPACE"}}).json()
    assert bogus["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    missing = shop.data(EVENT_CREATE, {"fulfillmentEvent": {
        "fulfillmentId": "gid://shopify/Fulfillment/1", "status": "DELIVERED"}})
    assert missing["fulfillmentEventCreate"] == {"fulfillmentEvent": None, "userErrors": [
        {"field": ["fulfillmentEvent", "fulfillmentId"],
         "message": "Fulfillment does not exist."}]}
    events = shop.control("get", f"fulfillments/{fulfillment['id'].rsplit('/', 1)[1]}/events")
    assert [(e["status"], e["city"], e["message"]) for e in events] == \
        [("in_transit", "Reno", "Departed facility")]
    assert events[0]["admin_graphql_api_id"] == made["fulfillmentEvent"]["id"]
    listed = shop.control("get", f"orders/{order['id']}/fulfillments")
    assert listed[0]["shipment_status"] == "in_transit"
