"""The sandbox EasyPost's trackers and the signed webhooks they send: retried, dropped,
duplicated or reordered on demand, and moved by a compressed clock."""

from __future__ import annotations

import json
import time

import easypost
from easypost.util import validate_webhook

from orderflow.sandbox.easypost import SandboxEasyPost, signature, tracker_outcome

from .helpers import BOX, FROM, SECRET, TO, new_shipment, rate_of


def test_trackers_move_and_send_signed_webhooks(client, box, receiver):
    shipment = new_shipment(client)
    bought = client.shipment.buy(shipment.id, rate=rate_of(shipment, "FedEx", "FEDEX_2_DAY"))
    code = bought.tracking_code
    assert len(code) == 12 and code.isdigit()
    box.force_outcome(code, "on_time")
    assert box.advance_trackers(until="delivered") >= 1
    assert box.wait_webhooks_idle(10)
    with receiver.lock:
        mine = [(h, b) for h, b in receiver.received
                if json.loads(b)["result"]["tracking_code"] == code]
    for headers, body in mine:
        event = validate_webhook(body, headers, SECRET)  # raises when the signature is wrong
        assert event["object"] == "Event" and event["id"].startswith("evt_")
    events = [json.loads(b) for _, b in mine]
    assert [e["description"] for e in events][0] == "tracker.created"
    updates = [e for e in events if e["description"] == "tracker.updated"]
    assert [e["result"]["status"] for e in updates] == ["in_transit", "out_for_delivery",
                                                         "delivered"]
    assert [e["previous_attributes"]["status"] for e in updates] == ["pre_transit", "in_transit",
                                                                   "out_for_delivery"]
    tracker = client.tracker.retrieve(bought.tracker.id)
    assert tracker.status == "delivered" and tracker.signed_by == "ELIZABETH SWAN"
    stamps = [d.datetime for d in tracker.tracking_details]
    assert stamps == sorted(stamps)
    assert tracker.tracking_details[-1].tracking_location.city == "REDONDO BEACH"
    assert client.shipment.retrieve(shipment.id).status == "delivered"
    listed = client.tracker.all(tracking_code=code)["trackers"]
    assert [t.id for t in listed] == [tracker.id]


def test_exception_outcomes_and_test_codes(client, box):
    shipment = new_shipment(client)
    code = client.shipment.buy(shipment.id, rate=shipment.lowest_rate()).tracking_code
    assert tracker_outcome(code, "USPS", "GroundAdvantage") in ("on_time", "delayed", "failure",
                                                                 "return_to_sender")
    box.force_outcome(code, "failure")
    box.advance_trackers(until="failure")
    assert client.tracker.all(tracking_code=code)["trackers"][0].status == "failure"
    delivered = client.tracker.create(tracking_code="EZ4000000004", carrier="USPS")
    assert delivered.status == "delivered" and delivered.id.startswith("trk_")
    assert client.tracker.create(tracking_code="EZ4000000004").id == delivered.id


def test_failed_webhooks_are_retried_and_faults_drop_or_duplicate(client, box, receiver):
    shipment = new_shipment(client)
    client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert box.wait_webhooks_idle(5)
    receiver.fail_next = 2
    box.set_faults(duplicate_webhooks=True)
    box.advance_trackers()
    assert box.wait_webhooks_idle(10)
    ids = [e["id"] for e in receiver.events()
           if e["result"]["shipment_id"] == shipment.id and e["description"] == "tracker.updated"]
    assert len(ids) == 2 and len(set(ids)) == 1  # the same event twice, after two failures
    box.set_faults(duplicate_webhooks=False, drop_webhooks=1)
    before = len(receiver.events())
    box.advance_trackers()
    assert box.wait_webhooks_idle(5)
    assert len(receiver.events()) == before


def test_reordered_webhooks_arrive_swapped(receiver):
    with SandboxEasyPost(webhook_url=receiver.url, webhook_secret=SECRET, time_scale=0,
                         send_tracker_created=False) as other:
        client = easypost.EasyPostClient("EZTKother", api_base=f"{other.url}/v2")
        shipment = client.shipment.create(from_address=FROM, to_address=TO, parcel=BOX)
        code = client.shipment.buy(shipment.id, rate=shipment.lowest_rate()).tracking_code
        other.force_outcome(code, "on_time")
        other.set_faults(reorder_webhooks=True)
        other.advance_trackers()
        other.advance_trackers()
        assert other.wait_webhooks_idle(5)
        statuses = [e["result"]["status"] for e in receiver.events()
                    if e["result"]["tracking_code"] == code]
        assert statuses == ["out_for_delivery", "in_transit"]


def test_compressed_clock_moves_trackers_by_itself(receiver):
    fast = SandboxEasyPost(webhook_url=receiver.url, webhook_secret=SECRET, time_scale=2e-6).start()
    try:
        client = easypost.EasyPostClient("EZTKfast", api_base=f"{fast.url}/v2")
        shipment = client.shipment.create(from_address=FROM, to_address=TO, parcel=BOX)
        bought = client.shipment.buy(shipment.id, rate=rate_of(shipment, "UPS", "NextDayAir"))
        fast.force_outcome(bought.tracking_code, "on_time")
        deadline = time.monotonic() + 5
        while client.tracker.retrieve(bought.tracker.id).status != "delivered":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert fast.wait_webhooks_idle(5)
    finally:
        fast.stop()


def test_signature_matches_official_vector():
    from pathlib import Path
    fixtures = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "easypost" / "official"
    vector_file = "webhook_signature_vector__easypost-examples_client-library-fixtures.json"
    vector = json.loads((fixtures / vector_file).read_text())
    body = (fixtures / "tracker.updated__easypost-examples_event-body.json").read_bytes()
    assert signature(body.rstrip(b"\n"), vector["secret"]) == vector["hmac_signature"]
