"""The sandbox Shopify's GraphQL Admin API: the app's queries and mutations answered with exactly
their fields, query cost and throttling, HTTP faults, and the API usage it counts."""

from __future__ import annotations

import time

from .. import shopify_queries as queries
from .helpers import VERSION, Shop, start_sandbox, wait_until

FULL_ORDERS_QUERY = f"""
query OrdersUpdatedSince($first: Int!) {{
  orders(first: $first, sortKey: UPDATED_AT) {{ nodes {{ {queries.ORDER_FIELDS} }} }}
}}
"""


# --- queries and mutations ---------------------------------------------------------------------


def test_shop_info_and_unknown_things(sandbox, shop):
    data = shop.data(queries.SHOP_INFO)["shop"]
    assert data == {"id": shop.info["admin_graphql_api_id"], "name": shop.info["name"],
                    "email": shop.info["email"], "myshopifyDomain": shop.domain,
                    "currencyCode": "USD"}
    assert shop.http.post("/admin/api/2019-01/graphql.json", json={"query": queries.SHOP_INFO},
                          headers={"Host": shop.domain,
                                   "X-Shopify-Access-Token": shop.token}).status_code == 404
    unknown = shop.graphql("query Mystery { shop { id } }").json()
    assert unknown == {"errors": [{"message": "sandbox does not implement operation Mystery"}]}
    by_param = shop.http.post(f"/admin/api/{VERSION}/graphql.json",
                              params={"shop": shop.domain}, json={"query": queries.SHOP_INFO},
                              headers={"X-Shopify-Access-Token": shop.token})
    assert by_param.json()["data"]["shop"]["myshopifyDomain"] == shop.domain


def test_orders_updated_since_pages_in_update_order(sandbox, shop):
    created = [shop.order()["id"] for _ in range(7)]
    edited = shop.control("put", f"orders/{created[2]}", json={"note": "gift wrap"})
    assert edited["updated_at"] > edited["created_at"] and edited["note"] == "gift wrap"

    def pages(search: str, first: int) -> list[dict]:
        found, after = [], None
        while True:
            page = shop.data(queries.ORDERS_UPDATED_SINCE, {"first": first, "after": after,
                                                  "query": search})["orders"]
            found += page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    everything = pages("updated_at:>='2000-01-01T00:00:00Z'", 3)
    assert sorted(int(n["legacyResourceId"]) for n in everything) == sorted(created)
    keys = [(n["updatedAt"], int(n["legacyResourceId"])) for n in everything]
    assert keys == sorted(keys) and everything[-1]["legacyResourceId"] == str(created[2])
    bound = everything[-1]["updatedAt"]
    recent = pages(f"updated_at:>={bound}", 2)
    assert [n["id"] for n in recent] == [n["id"] for n in everything if n["updatedAt"] >= bound]
    assert pages(f"updated_at:>'{bound}'", 2) == []


def test_app_queries_answer_exactly_their_fields_with_sixty_lines(sandbox, shop):
    lines = [{"title": f"Part {i}", "sku": f"PART-{i:02d}", "quantity": i % 3 + 1,
              "price": "1.10", "requires_shipping": i % 10 != 0} for i in range(60)]
    order = shop.order(line_items=lines, tags="vip, rush")
    assert len(order["line_items"]) == 60
    node = shop.data(queries.ORDER_BY_ID, {"id": order["admin_graphql_api_id"]})["order"]
    assert node["legacyResourceId"] == str(order["id"]) and node["tags"] == ["vip", "rush"]
    assert node["displayFinancialStatus"] == "PAID"
    assert node["totalPriceSet"] == {"shopMoney": {"amount": order["total_price"],
                                                   "currencyCode": "USD"}}
    got = node["lineItems"]["nodes"]
    assert [n["id"] for n in got] == [li["admin_graphql_api_id"] for li in order["line_items"]]
    assert [n["sku"] for n in got] == [li["sku"] for li in lines]
    assert set(got[0]) == {"id", "title", "sku", "quantity", "requiresShipping", "isGiftCard",
                           "unfulfilledQuantity", "originalUnitPriceSet", "variant", "product"}
    assert got[0]["variant"] is None and got[0]["originalUnitPriceSet"]["shopMoney"]["amount"] \
        == "1.10"
    fos = shop.data(queries.ORDER_FULFILLMENT_ORDERS, {"id": node["id"]})["order"]
    fo_lines = fos["fulfillmentOrders"]["nodes"][0]["lineItems"]["nodes"]
    assert [fl["lineItem"]["id"] for fl in fo_lines] == [n["id"] for n in got]
    assert [fl["requiresShipping"] for fl in fo_lines] == [li["requires_shipping"] for li in lines]
    assert shop.data(queries.ORDER_FULFILLMENT_ORDERS,
                     {"id": "gid://shopify/Order/1"}) == {"order": None}


def test_fulfillment_orders_and_inventory_shapes(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 2},
                                   {"sku": "EBOOK-SHIP101", "quantity": 1}])
    fo = shop.data(queries.ORDER_FULFILLMENT_ORDERS,
                   {"id": order["admin_graphql_api_id"]})["order"]["fulfillmentOrders"]["nodes"][0]
    main = next(loc for loc in shop.info["locations"] if loc["name"] == "Main warehouse")
    assert fo["status"] == "OPEN" and fo["fulfillmentHolds"] == []
    assert fo["assignedLocation"] == {"name": "Main warehouse",
                                      "location": {"id": main["admin_graphql_api_id"]}}
    mug, ebook = fo["lineItems"]["nodes"]
    assert (mug["sku"], mug["remainingQuantity"], mug["requiresShipping"]) == \
        ("MUG-CERAMIC", 2, True)
    assert ebook["requiresShipping"] is False and ebook["inventoryItemId"]

    shop.control("post", "products", json={"title": "Lamp", "sku": "LAMP", "price": "40.00",
                                           "inventory": {"Main warehouse": 3}})
    summary = shop.http.get(f"/sandbox/shops/{shop.domain}").json()
    variants = {v["sku"]: v for v in summary["variants"]}
    overflow = next(loc for loc in shop.info["locations"] if loc["name"] == "Overflow")
    ids = [variants["LAMP"]["inventory_item_gid"], variants["MUG-CERAMIC"]["inventory_item_gid"],
           "gid://shopify/InventoryItem/1"]
    at_overflow = shop.data(queries.INVENTORY_AT_LOCATION,
                            {"ids": ids, "locationId": overflow["admin_graphql_api_id"]})["nodes"]
    assert at_overflow[0] == {"id": ids[0], "tracked": True, "inventoryLevel": None}
    assert at_overflow[1]["inventoryLevel"] == {"quantities": [{"name": "on_hand",
                                                                "quantity": 5}]}
    assert at_overflow[2] is None
    shop.control("post", "inventory", json={"sku": "LAMP", "location": "Overflow", "on_hand": 7})
    again = shop.data(queries.INVENTORY_AT_LOCATION,
                      {"ids": ids[:1], "locationId": overflow["admin_graphql_api_id"]})["nodes"]
    assert again[0]["inventoryLevel"]["quantities"][0]["quantity"] == 7


def test_webhook_subscription_mutations(sandbox, shop):
    uri = "https://app.example/webhooks"
    created = shop.subscribe("ORDERS_UPDATED", uri)["webhookSubscriptionCreate"]
    sub = created["webhookSubscription"]
    assert sub["topic"] == "ORDERS_UPDATED" and sub["uri"] == uri
    duplicate = shop.subscribe("ORDERS_UPDATED", uri)["webhookSubscriptionCreate"]
    assert duplicate == {"webhookSubscription": None, "userErrors": [
        {"field": ["webhookSubscription", "callbackUrl"],
         "message": "Address for this topic has already been taken"}]}
    insecure = shop.subscribe("ORDERS_CREATE", "http://app.example/hooks")
    assert insecure["webhookSubscriptionCreate"]["userErrors"][0]["field"] == \
        ["webhookSubscription", "callbackUrl"]
    listed = shop.data(queries.WEBHOOK_SUBSCRIPTIONS)["webhookSubscriptions"]["nodes"]
    assert listed == [sub]
    deleted = shop.data("""mutation WebhookSubscriptionDelete($id: ID!) {
        webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId
                                             userErrors { field message } } }""",
                        {"id": sub["id"]})["webhookSubscriptionDelete"]
    assert deleted == {"deletedWebhookSubscriptionId": sub["id"], "userErrors": []}
    assert shop.data(queries.WEBHOOK_SUBSCRIPTIONS)["webhookSubscriptions"]["nodes"] == []


def test_variables_left_out_take_their_defaults(sandbox, shop):
    order = shop.order(line_items=[{"sku": "MUG-CERAMIC", "quantity": 1},
                                   {"sku": "TOTE-CANVAS", "quantity": 1}])
    full = shop.graphql(queries.ORDER_FULFILLMENT_ORDERS, {"id": order["admin_graphql_api_id"]})
    one = shop.graphql(queries.ORDER_FULFILLMENT_ORDERS,
                       {"id": order["admin_graphql_api_id"], "lines": 1})
    assert full.json()["extensions"]["cost"]["requestedQueryCost"] == 621
    assert one.json()["extensions"]["cost"]["requestedQueryCost"] == 27
    lines = one.json()["data"]["order"]["fulfillmentOrders"]["nodes"][0]["lineItems"]
    assert len(lines["nodes"]) == 1 and lines["pageInfo"]["hasNextPage"] is True


# --- cost, throttling and HTTP faults ----------------------------------------------------------


def test_cost_is_reported_and_oversized_queries_are_refused(sandbox, shop):
    body = shop.graphql(FULL_ORDERS_QUERY, {"first": 1}).json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 512 and cost["actualQueryCost"] == 2  # no orders
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    too_big = shop.graphql(FULL_ORDERS_QUERY, {"first": 2}).json()
    assert too_big["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert too_big["errors"][0]["extensions"]["cost"] == 1022


def test_throttled_when_bucket_is_drained_then_restores(receiver):
    sandbox = start_sandbox(receiver, throttle_max=1000.0, throttle_restore=400.0)
    try:
        shop = Shop(sandbox)
        item = shop.info["variants"][0]["inventory_item_gid"]
        location = shop.info["locations"][0]["admin_graphql_api_id"]
        big = {"ids": [item] * 330, "locationId": location}  # 3 points an item
        first = shop.graphql(queries.INVENTORY_AT_LOCATION, big).json()
        assert first["extensions"]["cost"]["actualQueryCost"] == 990
        throttled = shop.graphql(queries.INVENTORY_AT_LOCATION, big).json()
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        cost = throttled["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 990 and cost["actualQueryCost"] is None
        low = cost["throttleStatus"]["currentlyAvailable"]
        assert low < 990

        def available() -> float:
            return shop.graphql(queries.SHOP_INFO).json()["extensions"]["cost"][
                "throttleStatus"]["currentlyAvailable"]
        wait_until(lambda: available() >= 990, timeout=5)
        assert "data" in shop.graphql(queries.INVENTORY_AT_LOCATION, big).json()
    finally:
        sandbox.stop()


def test_http_faults(sandbox, shop):
    try:
        shop.http.post("/sandbox/faults", json={"fail_5xx": 1, "http_429": 1, "throttle": 1})
        assert shop.graphql(queries.SHOP_INFO).status_code == 503
        limited = shop.graphql(queries.SHOP_INFO)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
        throttled = shop.graphql(queries.SHOP_INFO).json()
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert shop.graphql(queries.SHOP_INFO).status_code == 200
        shop.http.post("/sandbox/faults", json={"latency_ms": 300})
        started = time.monotonic()
        shop.graphql(queries.SHOP_INFO)
        assert time.monotonic() - started >= 0.3
        assert shop.http.post("/sandbox/faults", json={"bogus": 1}).status_code == 422
    finally:
        shop.http.delete("/sandbox/faults")


def test_api_usage_counts_operations_and_throttled_answers(sandbox, shop):
    shop.data(queries.SHOP_INFO)
    shop.data(queries.SHOP_INFO)
    shop.http.post("/sandbox/faults", json={"throttle": 1})
    assert shop.graphql(queries.SHOP_INFO).json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    usage = shop.control("get", "api-usage")
    assert usage["operations"] == {"ShopInfo": 2} and usage["throttled"] == 1
    assert usage["bucket"]["maximumAvailable"] == 2000.0
