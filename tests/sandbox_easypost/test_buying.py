"""Buying from the sandbox EasyPost: once, even when the answer is lost or two buy at once;
labels in every format; refunds."""

from __future__ import annotations

import struct
import threading
import zlib

import httpx
import pytest
from easypost.errors import HttpError, InternalServerError, InvalidRequestError

from .helpers import new_shipment, rate_of


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
