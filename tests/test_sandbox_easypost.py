"""The sandbox EasyPost, driven by the real `easypost` client over loopback HTTP."""

from __future__ import annotations

import json
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import easypost
import httpx
import pytest
from easypost.errors import (
    HttpError, InternalServerError, InvalidRequestError, NotFoundError, RateLimitError,
    TimeoutError as EasyPostTimeout, UnauthorizedError,
)
from easypost.util import validate_webhook

from orderflow.sandbox.easypost import CARRIERS, SandboxEasyPost, signature, tracker_outcome

SECRET = "sécret"  # non-ASCII on purpose: EasyPost normalises the secret to NFKD
FROM = {"name": "Shop", "street1": "1 SW Main St", "city": "Portland", "state": "OR",
        "zip": "97205"}
TO = {"name": "Elizabeth Swan", "street1": "179 N Harbor Dr", "city": "Redondo Beach",
      "state": "CA", "zip": "90277"}
EAST = {"name": "Jack Sparrow", "street1": "20 W 34th St", "city": "New York", "state": "NY",
        "zip": "10001"}
BOX = {"length": 10, "width": 8, "height": 4, "weight": 15.4}


class Receiver:
    """A tiny webhook endpoint: records every delivery, can fail the next N."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    failing = outer.fail_next > 0
                    outer.fail_next -= failing
                    if not failing:
                        outer.received.append((dict(self.headers), body))
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/easypost"

    def events(self) -> list[dict]:
        with self.lock:
            return [json.loads(body) for _, body in self.received]


@pytest.fixture(scope="module")
def receiver():
    rec = Receiver()
    yield rec
    rec.server.shutdown()


@pytest.fixture(scope="module")
def box(receiver):
    # time_scale=0: the clock only moves through advance_trackers(); retries come fast.
    sandbox = SandboxEasyPost(webhook_url=receiver.url, webhook_secret=SECRET, time_scale=0).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(autouse=True)
def clean(request, box, receiver):
    yield
    box.clear_faults()
    box.wait_webhooks_idle(5)
    with receiver.lock:
        receiver.received.clear()
        receiver.fail_next = 0


@pytest.fixture
def client(box):
    return easypost.EasyPostClient("EZTK_test_key", api_base=f"{box.url}/v2", timeout=5)


def new_shipment(client, parcel=BOX, to=TO, **extra):
    return client.shipment.create(from_address=FROM, to_address=to, parcel=parcel, **extra)


def rate_of(shipment, carrier, service):
    return next(r for r in shipment.rates if r.carrier == carrier and r.service == service)


# ---- addresses and auth --------------------------------------------------------------------
def test_address_verification_good_undeliverable_and_strict(client):
    good = client.address.create(verify=True, street2="Apt 20", **EAST)
    assert good.id.startswith("adr_") and good.mode == "test"
    assert good.street1 == "20 W 34TH ST APT 20" and good.city == "NEW YORK"
    assert good.zip.startswith("10001-") and len(good.zip) == 10
    assert good.verifications.delivery.success is True
    assert {"latitude", "longitude"} <= set(good.verifications.delivery.details.to_dict())

    bad = client.address.create(verify=["delivery"], street1="1 UNDELIVERABLE WAY", city="X",
                                state="CA", zip="94107")
    assert bad.verifications.delivery.success is False
    assert bad.verifications.delivery.errors[0].code == "E.ADDRESS.NOT_FOUND"
    assert bad.street1 == "1 UNDELIVERABLE WAY"  # no correction on failure

    with pytest.raises(InvalidRequestError) as strict:
        client.address.create(verify_strict=True, street1="1 Main St", city="Portland",
                              state="OR", zip="9720")
    assert strict.value.code == "ADDRESS.VERIFY.FAILURE" and strict.value.http_status == 422
    with pytest.raises(InvalidRequestError):
        client.address.create_and_verify(street1="", city="Portland", state="OR", zip="97205")
    verified = client.address.create_and_verify(**FROM)
    assert verified.verifications.delivery.success
    assert client.address.retrieve(verified.id).id == verified.id


def test_bad_api_key_and_unknown_ids(box):
    bad = easypost.EasyPostClient("not-a-key", api_base=f"{box.url}/v2")
    with pytest.raises(UnauthorizedError) as err:
        bad.shipment.all()
    assert err.value.code == "APIKEY.INACTIVE"
    good = easypost.EasyPostClient("EZAK_prod_key", api_base=f"{box.url}/v2")
    with pytest.raises(NotFoundError):
        good.shipment.retrieve("shp_" + "0" * 32)


# ---- rating --------------------------------------------------------------------------------
def test_rates_from_three_carriers_are_deterministic(client):
    first, second = new_shipment(client), new_shipment(client)
    assert first.id.startswith("shp_") and len(first.id) == 36
    assert {r.carrier for r in first.rates} == {"USPS", "UPS", "FedEx"}
    prices = lambda s: {(r.carrier, r.service): r.rate for r in s.rates}  # noqa: E731
    assert prices(first) == prices(second)
    for rate in first.rates:
        assert rate.id.startswith("rate_") and rate.shipment_id == first.id
        assert rate.currency == "USD" and isinstance(rate.rate, str) and "." in rate.rate
        assert isinstance(rate.delivery_days, int)
        assert rate.carrier_account_id == CARRIERS[rate.carrier].account_id
    assert float(first.lowest_rate().rate) == min(float(r.rate) for r in first.rates)
    # 1 lb, zone 1 (both ZIPs start with 9): the base prices of the table.
    assert rate_of(first, "USPS", "GroundAdvantage").rate == "4.75"


def test_heavier_farther_and_bulkier_cost_more(client):
    base = new_shipment(client)
    heavy = new_shipment(client, parcel={**BOX, "weight": 160})
    far = new_shipment(client, to=EAST)
    bulky = new_shipment(client, parcel={"length": 20, "width": 20, "height": 20, "weight": 16})
    for service in (("UPS", "Ground"), ("FedEx", "FEDEX_GROUND"), ("USPS", "Priority")):
        assert float(rate_of(heavy, *service).rate) > float(rate_of(base, *service).rate)
        assert float(rate_of(far, *service).rate) > float(rate_of(base, *service).rate)
    # 8000 in3: UPS bills ceil(8000/139) = 58 lb, USPS ceil(8000/166) = 49 lb.
    assert float(rate_of(bulky, "UPS", "Ground").rate) > float(rate_of(heavy, "UPS", "Ground").rate)
    assert (base.usps_zone, far.usps_zone) == (1, 8)  # 1 + |9 - 1| capped to 8


def test_limits_show_up_as_rate_errors(client):
    huge = new_shipment(client, parcel={**BOX, "weight": 151 * 16})
    carriers = {m.carrier for m in huge.messages if m.type == "rate_error"}
    assert carriers == {"USPS", "UPS", "FedEx"} and huge.rates == []
    mid = new_shipment(client, parcel={**BOX, "weight": 100 * 16})
    assert [m.carrier for m in mid.messages] == ["USPS"]
    only_ups = new_shipment(client, carrier_accounts=[CARRIERS["UPS"].account_id])
    assert {r.carrier for r in only_ups.rates} == {"UPS"}
    abroad = new_shipment(client, to={**TO, "country": "CA", "state": "BC", "zip": "V6B 1A1"})
    assert abroad.usps_zone is None and 0 < len(abroad.rates) < 9


def test_rerate_and_smartrate(client):
    shipment = new_shipment(client)
    old_ids = {r.id for r in shipment.rates}
    fresh = client.shipment.regenerate_rates(shipment.id)["rates"]
    assert old_ids.isdisjoint({r.id for r in fresh})
    assert sorted(r.rate for r in fresh) == sorted(r.rate for r in shipment.rates)
    with pytest.raises(InvalidRequestError) as err:
        client.shipment.buy(shipment.id, rate={"id": next(iter(old_ids))})
    assert err.value.code == "SHIPMENT.MISSING_RATE"
    smart = client.shipment.get_smart_rates(shipment.id)
    assert len(smart) == len(fresh) and isinstance(smart[0].rate, float)
    tit = smart[0].time_in_transit
    assert tit.percentile_50 <= tit.percentile_90 <= tit.percentile_99
    best = client.shipment.lowest_smart_rate(shipment.id, delivery_days=3,
                                             delivery_accuracy="percentile_90")
    assert best.id in {r.id for r in fresh}


# ---- buying --------------------------------------------------------------------------------
def test_buy_once_then_postage_exists(client, box):
    shipment = new_shipment(client, reference="order-1001")
    rate = rate_of(shipment, "UPS", "Ground")
    bought = client.shipment.buy(shipment.id, rate=rate, insurance="100.00")
    assert bought.tracking_code.startswith("1Z") and len(bought.tracking_code) == 18
    assert bought.selected_rate.id == rate.id and bought.status == "unknown"
    assert bought.postage_label.id.startswith("pl_") and bought.postage_label.label_size == "4x6"
    assert bought.tracker.status == "pre_transit"
    assert bought.tracker.tracking_code == bought.tracking_code
    assert bought.insurance == "100.00"
    assert {f.type for f in bought.fees} == {"LabelFee", "PostageFee", "InsuranceFee"}
    with pytest.raises(InvalidRequestError) as err:
        client.shipment.buy(shipment.id, rate=rate)
    assert err.value.code == "SHIPMENT.POSTAGE.EXISTS"
    other = new_shipment(client)
    with pytest.raises(InvalidRequestError) as err:
        client.shipment.buy(other.id, rate=rate)  # a rate of another shipment
    assert err.value.code == "SHIPMENT.MISSING_RATE"
    assert box.stats()["buys"][shipment.id] == 1
    listed = client.shipment.all(reference="order-1001")["shipments"]
    assert [s.id for s in listed] == [shipment.id]
    with pytest.raises(InvalidRequestError) as err:
        client.shipment.insure(shipment.id, amount="50")
    assert err.value.code == "SHIPMENT.INSURANCE.ALREADY_PURCHASED"


@pytest.mark.parametrize("mode", ["500", "drop"])
def test_lost_buy_answer_still_buys_once(client, box, mode):
    shipment = new_shipment(client)
    box.set_faults(lose_buy_answer=1, lose_buy_mode=mode)
    with pytest.raises((InternalServerError, HttpError)):
        client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    after = client.shipment.retrieve(shipment.id)
    assert after.postage_label is not None and after.tracking_code
    with pytest.raises(InvalidRequestError):
        client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    stats = httpx.get(f"{box.url}/sandbox/stats").json()
    assert stats["buys"][shipment.id] == 1 and stats["buy_attempts"][shipment.id] == 2


def test_labels_in_every_format_carry_the_tracking_code(client):
    shipment = new_shipment(client, options={"label_format": "PNG",
                                             "print_custom_1": "ORDER #1001"})
    bought = client.shipment.buy(shipment.id, rate=rate_of(shipment, "USPS", "Priority"))
    code = bought.tracking_code
    assert code.startswith("9400") and len(code) == 22
    png = httpx.get(bought.postage_label.label_url).content
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and code.encode() in png
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 1800)  # 4x6 at 300 dpi
    idat = png.index(b"IDAT")
    length = struct.unpack(">I", png[idat - 4:idat])[0]
    assert len(zlib.decompress(png[idat + 4:idat + 4 + length])) == height * (1 + width // 8)
    for fmt, magic in (("PDF", b"%PDF-1.4"), ("ZPL", b"^XA"), ("EPL2", b"N")):
        converted = client.shipment.label(shipment.id, file_format=fmt)
        url = getattr(converted.postage_label, f"label_{fmt.lower()}_url")
        data = httpx.get(url).content
        assert data.startswith(magic) and code.encode() in data
        assert b"179 N Harbor Dr" in data and b"ORDER #1001" in data
    assert httpx.get(url.replace(".epl2", ".pdf")).content.rstrip().endswith(b"%%EOF")


def test_refund_flow(client, box):
    unbought = new_shipment(client)
    with pytest.raises(InvalidRequestError) as err:
        client.shipment.refund(unbought.id)
    assert err.value.code == "SHIPMENT.POSTAGE.REQUIRED"
    shipment = new_shipment(client)
    client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    refunded = client.shipment.refund(shipment.id)
    assert refunded.refund_status == "submitted"
    with pytest.raises(InvalidRequestError) as err:
        client.shipment.refund(shipment.id)
    assert err.value.code == "SHIPMENT.REFUND.UNAVAILABLE"
    # time_scale=0: the refund settles at the next read
    after = client.shipment.retrieve(shipment.id)
    assert after.refund_status == "refunded"
    assert all(f.refunded for f in after.fees if f.type == "PostageFee")
    assert box.stats()["refunds"][shipment.id] == 1


# ---- trackers and webhooks -----------------------------------------------------------------
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


def test_concurrent_buys_one_wins(client, box):
    shipment = new_shipment(client)
    box.set_faults(buy_latency_ms=300)
    outcomes = []

    def buy():
        try:
            bought = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
            outcomes.append(bought.tracking_code)
        except InvalidRequestError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=buy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "SHIPMENT.PURCHASE.IN_PROGRESS" in outcomes and len(outcomes) == 2
    assert box.stats()["buys"][shipment.id] == 1


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


# ---- faults --------------------------------------------------------------------------------
def test_http_faults_map_to_client_errors(client, box):
    box.set_faults(http_429=1)
    with pytest.raises(RateLimitError):
        client.shipment.all()
    box.set_faults(fail_5xx=1)
    with pytest.raises(InternalServerError):
        client.shipment.all()
    client.shipment.all()  # counters are used up
    httpx.post(f"{box.url}/sandbox/faults", json={"http_429": 1, "path_contains": "/buy"})
    client.shipment.all()  # not a buy: untouched
    assert httpx.get(f"{box.url}/sandbox/faults").json()["http_429"] == 1
    httpx.delete(f"{box.url}/sandbox/faults")


def test_latency_and_timeout_faults(box):
    client = easypost.EasyPostClient("EZTKslow", api_base=f"{box.url}/v2", timeout=0.5)
    start = time.monotonic()
    client.shipment.all()
    quick = time.monotonic() - start
    box.set_faults(latency_ms=300)
    start = time.monotonic()
    client.shipment.all()
    assert time.monotonic() - start >= 0.3 > quick
    box.set_faults(latency_ms=0, timeout=1, timeout_s=2)
    client.shipment.all()  # the client's HTTPAdapter(max_retries=3) re-sends a timed-out GET
    box.set_faults(timeout=1)
    with pytest.raises(EasyPostTimeout):  # ... but never a POST
        new_shipment(client)
    assert box.stats()["faults"]["timeout"] == 0


def test_signature_matches_official_vector():
    from pathlib import Path
    fixtures = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "easypost" / "official"
    vector_file = "webhook_signature_vector__easypost-examples_client-library-fixtures.json"
    vector = json.loads((fixtures / vector_file).read_text())
    body = (fixtures / "tracker.updated__easypost-examples_event-body.json").read_bytes()
    assert signature(body.rstrip(b"\n"), vector["secret"]) == vector["hmac_signature"]
