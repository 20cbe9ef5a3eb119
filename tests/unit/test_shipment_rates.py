from datetime import date
from decimal import Decimal

from orderflow.fulfilment.shipment_rates import combine, parcel_rate
from orderflow.fulfilment.types import Money, Rate


def rate(carrier, service, amount, days, id_="r"):
    return Rate(id=id_, carrier=carrier, service=service, amount=Money(Decimal(amount), "USD"),
                delivery_days=days, delivery_date=date(2026, 12, days))


def test_a_service_is_offered_only_when_every_parcel_has_it_summed_at_the_slowest():
    first = [rate("UPS", "Ground", "8.10", 3, "a1"), rate("USPS", "Priority", "9.00", 2, "a2")]
    second = [rate("UPS", "Ground", "11.25", 4, "b1")]
    [combined] = combine([first, second])
    assert (combined.id, combined.amount, combined.delivery_days) == (
        "UPS/Ground", Money(Decimal("19.35"), "USD"), 4)
    assert combined.delivery_date == date(2026, 12, 4)
    assert parcel_rate(second, "UPS/Ground").id == "b1"
    assert parcel_rate(second, "USPS/Priority") is None


def test_no_parcels_no_rates():
    assert combine([]) == []
