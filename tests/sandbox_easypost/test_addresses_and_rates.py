"""The sandbox EasyPost's addresses, API keys and rates, through the real `easypost` client."""

from __future__ import annotations

import easypost
import pytest
from easypost.errors import InvalidRequestError, NotFoundError, UnauthorizedError

from orderflow.sandbox.easypost import CARRIERS

from .helpers import BOX, EAST, FROM, TO, new_shipment, rate_of

# ---- addresses and auth ------------------------------------------------------------------


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


# ---- rating ------------------------------------------------------------------------------


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
