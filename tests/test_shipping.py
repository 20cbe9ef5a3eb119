"""Ready orders become parcels, a chosen rate, exactly one label per parcel and one fulfilment."""

from __future__ import annotations

import threading
from datetime import UTC

import httpx

from orderflow.jobs.labels import buy_label

from .helpers import (
    TWO_KINDS,
    buys,
    drain,
    events,
    fulfilments,
    get,
    orders_by_shopify_id,
    parcels,
    place,
    session_token,
)


def test_a_ready_order_ships_with_one_label_per_parcel_and_one_fulfilment(
        app, svc, sandbox, carrier, make_shop, control, base_url):
    shop = make_shop(automation="buy")
    order = place(control, shop, line_items=TWO_KINDS)
    drain(app, sandbox)
    assert orders_by_shopify_id(svc)[order["id"]].state == "fulfilled"
    rows = parcels(svc, order["id"])
    assert rows and buys(carrier, rows) == [1] * len(rows)
    [fulfilment] = fulfilments(control, shop, order)
    assert sorted(fulfilment["tracking_numbers"]) == sorted(r.tracking_code for r in rows)
    order_id = orders_by_shopify_id(svc)[order["id"]].id
    detail = get(base_url, f"/api/orders/{order_id}", session_token(shop)).json()
    [shipment] = detail["order"]["shipments"]
    assert shipment["selection"]["reason"].startswith("Cheapest")
    assert len(shipment["selection"]["alternatives"]) >= 3
    kinds = [e["kind"] for e in detail["order"]["timeline"]]
    assert (kinds.index("ready") < kinds.index("rated") < kinds.index("label_bought")
            < kinds.index("fulfilled"))
    label = httpx.get(f"{base_url}/api/parcels/{rows[0].id}/label",
                      headers={"Authorization": f"Bearer {session_token(shop)}"})
    assert label.status_code == 200 and rows[0].tracking_code.encode() in label.content


def test_a_buy_whose_answer_is_lost_is_adopted_not_bought_again(
        app, svc, sandbox, carrier, make_shop, control):
    shop = make_shop(automation="buy")
    carrier.set_faults(lose_buy_answer=1)
    order = place(control, shop)
    drain(app, sandbox)
    carrier.clear_faults()
    rows = parcels(svc, order["id"])
    assert buys(carrier, rows) == [1] * len(rows)
    assert carrier.stats()["buy_attempts"][rows[0].carrier_shipment_id] == 1
    assert orders_by_shopify_id(svc)[order["id"]].state == "fulfilled"
    assert len(fulfilments(control, shop, order)) == 1


def operations(control, shop) -> dict:
    return control.get(f"/sandbox/shops/{shop}/api-usage").json()["operations"]


def test_a_lost_fulfilment_answer_does_not_create_a_second_fulfilment(
        app, svc, sandbox, make_shop, control):
    shop = make_shop(automation="buy")
    control.post("/sandbox/faults", json={"lose_fulfillment_answer": 1})
    order = place(control, shop)
    drain(app, sandbox)
    assert len(fulfilments(control, shop, order)) == 1
    assert orders_by_shopify_id(svc)[order["id"]].state == "fulfilled"
    assert operations(control, shop).get("OrderFulfillments") == 1, "the retry looked it up"


def test_the_first_push_creates_the_fulfilment_without_looking_for_one(
        app, svc, sandbox, make_shop, control):
    shop = make_shop(automation="buy")
    order = place(control, shop)
    drain(app, sandbox)
    assert len(fulfilments(control, shop, order)) == 1
    used = operations(control, shop)
    assert used["FulfillmentCreate"] == 1 and "OrderFulfillments" not in used


def test_two_workers_racing_on_one_parcel_buy_one_label(
        app, svc, sandbox, carrier, make_shop, control):
    shop = make_shop(automation="plan")
    order = place(control, shop)
    drain(app, sandbox)
    [row] = parcels(svc, order["id"])
    assert row.state == "rated" and row.bought_at is None
    carrier.set_faults(buy_latency_ms=500)

    def worker():
        with app.app_context():
            buy_label(row.id)
    racers = [threading.Thread(target=worker) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    carrier.clear_faults()
    assert buys(carrier, parcels(svc, order["id"])) == [1]
    assert parcels(svc, order["id"])[0].bought_at is not None


def test_carrier_down_for_good_leaves_a_visible_exception(
        app, svc, sandbox, carrier, make_shop, control):
    shop = make_shop(automation="buy")
    carrier.set_faults(fail_5xx=1000)
    order = place(control, shop)
    drain(app, sandbox)
    carrier.clear_faults()
    row = orders_by_shopify_id(svc)[order["id"]]
    assert row.state == "exception"
    assert "Could not plan the shipment" in row.hold_reason


def test_carrier_5xx_and_429_are_retried_to_a_label(app, svc, sandbox, carrier, make_shop, control):
    shop = make_shop(automation="buy")
    carrier.set_faults(fail_5xx=1, http_429=1)
    order = place(control, shop)
    drain(app, sandbox)
    carrier.clear_faults()
    assert orders_by_shopify_id(svc)[order["id"]].state == "fulfilled"


def test_an_undeliverable_address_holds_the_order_with_the_carriers_words(
        app, svc, sandbox, make_shop, control):
    shop = make_shop(automation="buy")
    order = place(control, shop, shipping_address={
        "first_name": "Nobody", "last_name": "Here", "address1": "1 UNDELIVERABLE Road",
        "city": "Portland", "province_code": "OR", "zip": "97205", "country_code": "US"})
    drain(app, sandbox)
    row = orders_by_shopify_id(svc)[order["id"]]
    assert row.state == "on_hold"
    assert "cannot deliver" in row.hold_reason


def test_on_demand_buy_void_and_rebuy_through_the_api(
        app, svc, sandbox, carrier, make_shop, control, base_url):
    shop = make_shop(automation="plan")
    order = place(control, shop)
    drain(app, sandbox)
    auth = {"Authorization": f"Bearer {session_token(shop)}"}
    order_id = orders_by_shopify_id(svc)[order["id"]].id
    detail = get(base_url, f"/api/orders/{order_id}", session_token(shop)).json()
    [shipment] = detail["order"]["shipments"]
    fastest = next(a for a in shipment["selection"]["alternatives"] if a["carrier"] == "UPS")
    service = f"{fastest['carrier']}/{fastest['service']}"

    bad = httpx.post(f"{base_url}/api/shipments/{shipment['id']}/buy",
                     json={"service": "UPS/Teleport"}, headers=auth)
    assert bad.status_code == 422 and "not offered" in bad.json()["error"]
    other = httpx.post(f"{base_url}/api/shipments/{shipment['id']}/buy", json={"service": service},
                       headers={"Authorization": f"Bearer {session_token(make_shop())}"})
    assert other.status_code == 404
    assert httpx.post(f"{base_url}/api/shipments/{shipment['id']}/buy", json={"service": service},
                      headers=auth).status_code == 202
    drain(app, sandbox)
    again = httpx.post(f"{base_url}/api/shipments/{shipment['id']}/buy",
                       json={"service": service}, headers=auth)
    assert again.status_code == 409
    [row] = parcels(svc, order["id"])
    assert row.tracking_code.startswith("1Z")

    voided = httpx.post(f"{base_url}/api/shipments/{shipment['id']}/void", headers=auth)
    assert voided.status_code == 202
    drain(app, sandbox)
    assert httpx.get(f"{base_url}/api/parcels/{row.id}/label", headers=auth).status_code == 410
    assert carrier.stats()["refunds"].get(row.carrier_shipment_id) == 1
    assert orders_by_shopify_id(svc)[order["id"]].state == "ready"
    assert httpx.post(f"{base_url}/api/orders/{order_id}/rates", headers=auth).status_code == 202
    drain(app, sandbox)
    rows = parcels(svc, order["id"])
    assert rows[0].state == "voided" and [r.state for r in rows[1:]].count("rated") == 1
    assert rows[-1].state == "rated" and rows[-1].bought_at is None, "ready to be bought again"
    assert [f["status"] for f in fulfilments(control, shop, order)] == ["cancelled"]


def test_shop_rules_insure_require_signature_and_per_sku_facts_shape_the_parcels(
        app, svc, sandbox, carrier, make_shop, control):
    import easypost
    shop = make_shop(automation="buy", insure_above="10", signature_above="10",
                     products={"TEE-CLASSIC-M": {"ships_alone": True,
                                                 "dimensions": [12, 10, 2, "in"]}})
    control.post(f"/sandbox/shops/{shop}/products",
                 json={"title": "Mystery box", "sku": "NO-WEIGHT", "price": "5.00",
                       "inventory": {"Main warehouse": 10}}).raise_for_status()
    order = place(control, shop, line_items=TWO_KINDS + [{"sku": "NO-WEIGHT", "quantity": 1}])
    drain(app, sandbox)
    rows = parcels(svc, order["id"])
    assert len(rows) == 2, "the tee ships alone, the rest share a box"
    client = easypost.EasyPostClient("EZTK-test-key", api_base=svc.settings.EASYPOST_API_BASE)
    for row in rows:
        bought = client.shipment.retrieve(row.carrier_shipment_id)
        assert bought.options["delivery_confirmation"] == "SIGNATURE"
        assert float(bought.insurance) > 0
    assert "packing_warning" in events(svc, order["id"])
    assert orders_by_shopify_id(svc)[order["id"]].state == "fulfilled"


def test_a_carrier_service_often_late_for_this_shop_loses_its_place(
        app, svc, sandbox, make_shop, control):
    from datetime import date, datetime

    from orderflow.db.models import Shipment, Shop
    shop = make_shop(automation="plan", policy={"mode": "cheapest", "min_reliability": 0.8})
    first = place(control, shop)
    drain(app, sandbox)
    with svc.db.session() as s, s.begin():
        shop_id = s.query(Shop).filter_by(domain=shop).one().id
        order_id = orders_by_shopify_id(svc)[first["id"]].id
        chosen = s.query(Shipment).filter_by(order_id=order_id).one()
        late = dict(carrier=chosen.carrier, service=chosen.service)
        for day in range(1, 21):
            s.add(Shipment(shop_id=shop_id, order_id=order_id, fulfillment_order_id="gid://x",
                           lines=[], state="fulfilled", estimated_delivery=date(2026, 10, day),
                           delivered_at=datetime(2026, 10, day + 4, tzinfo=UTC), **late))
    second = place(control, shop)
    drain(app, sandbox)
    with svc.db.session() as s:
        order_id = orders_by_shopify_id(svc)[second["id"]].id
        selection = s.query(Shipment).filter_by(order_id=order_id).one().selection
    chosen_now = (selection["chosen"]["carrier"], selection["chosen"]["service"])
    assert chosen_now != (late["carrier"], late["service"])
    passed_over = next(a for a in selection["alternatives"]
                       if (a["carrier"], a["service"]) == (late["carrier"], late["service"]))
    assert "on time" in passed_over["why_not"] or "reliab" in passed_over["why_not"]


def test_lines_reopened_in_shopify_get_a_second_shipment(
        app, svc, sandbox, carrier, make_shop, control):
    from orderflow.db.models import Shop
    from orderflow.integrations.shopify import queries
    from orderflow.services import access_token
    shop = make_shop(automation="buy")
    order = place(control, shop)
    drain(app, sandbox)
    [first] = fulfilments(control, shop, order)
    with app.app_context(), svc.db.session() as s:
        domain, token = access_token(svc, s.query(Shop).filter_by(domain=shop).one().id)
    cancelled = svc.admin.graphql(domain, token, queries.FULFILLMENT_CANCEL,
                                  {"id": first["admin_graphql_api_id"]})["fulfillmentCancel"]
    assert cancelled["fulfillment"]["status"] == "CANCELLED"
    drain(app, sandbox)
    statuses = sorted(f["status"] for f in fulfilments(control, shop, order))
    assert statuses == ["cancelled", "success"]
    rows = parcels(svc, order["id"])
    assert len(rows) == 2 and buys(carrier, rows) == [1, 1]
    assert orders_by_shopify_id(svc)[order["id"]].state == "fulfilled"


def test_each_parcel_shows_its_billable_weight_under_the_shops_dim_divisors(
        app, svc, sandbox, make_shop, control, base_url):
    shop = make_shop(automation="plan", dim_divisors={"UPS": 50},
                     products={"TEE-CLASSIC-M": {"ships_alone": True,
                                                 "dimensions": [20, 16, 8, "in"]}})
    order = place(control, shop, line_items=[{"sku": "TEE-CLASSIC-M", "quantity": 1}])
    drain(app, sandbox)
    order_id = orders_by_shopify_id(svc)[order["id"]].id
    detail = get(base_url, f"/api/orders/{order_id}", session_token(shop)).json()
    [shipment] = detail["order"]["shipments"]
    billable = shipment["parcels"][0]["contents"]["billable_lb"]
    assert billable["ups"] == 52 and billable["fedex"] == 19, billable  # 2560 in³ / 50 and / 139
    assert shipment["parcels"][0]["box"] == "own packaging"


def test_parcels_of_one_shipment_bought_at_once_still_move_it_on(
        app, svc, sandbox, carrier, make_shop, control):
    shop = make_shop(automation="plan")
    order = place(control, shop, line_items=[{"sku": "MUG-CERAMIC", "quantity": 60}])
    drain(app, sandbox)
    rows = parcels(svc, order["id"])
    assert len(rows) >= 2
    carrier.set_faults(buy_latency_ms=300)

    def worker(parcel_id):
        with app.app_context():
            buy_label(parcel_id)
    racers = [threading.Thread(target=worker, args=(row.id,)) for row in rows]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    carrier.clear_faults()
    drain(app, sandbox)
    assert {row.state for row in parcels(svc, order["id"])} == {"fulfilled"}
    assert len(fulfilments(control, shop, order)) == 1
