"""What the shared JSON readers let through in the EasyPost adapter, and the words of a refusal,
as this adapter always had them. No network."""

from datetime import date
from decimal import Decimal

import pytest

from orderflow.integrations.easypost.errors import CarrierResponseError
from orderflow.integrations.easypost.mapping import rate_from_easypost, tracker_from_easypost

from .easypost_recordings import recorded

RATE = {"id": "rate_1", "carrier": "USPS", "service": "Priority", "rate": "6.07", "currency": "USD"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rate", None, "rate.rate: expected an amount, got None"),
        ("rate", float("inf"), "rate.rate: expected an amount, got inf"),
        ("rate", "NaN", "rate.rate: 'NaN' is not an amount"),
        ("currency", 840, "rate.currency: 840 is not a currency code"),
        ("currency", "us", "rate.currency: 'us' is not a currency code"),
        ("delivery_days", 2.5, "delivery_days: expected a whole number, got 2.5"),
        ("delivery_date", "2025-13-01", "rate.delivery_date: '2025-13-01' is not a date"),
        ("delivery_date", 5, "rate.delivery_date: expected a datetime, got 5"),
        ("id", "", "id is missing"),
        ("carrier", {"name": "USPS"}, "carrier: expected a string, got dict"),
    ],
)
def test_an_unreadable_rate_names_the_part(field, value, message):
    with pytest.raises(CarrierResponseError) as caught:
        rate_from_easypost({**RATE, field: value})
    assert str(caught.value) == message


def test_rates_read_numbers_padding_and_any_mapping():
    from types import MappingProxyType

    rate = rate_from_easypost(MappingProxyType(
        {**RATE, "rate": " 1e1 ", "currency": " usd ", "delivery_days": 2.0,
         "delivery_date": " 2025-03-10T23:00:00-05:00 "}
    ))
    assert (rate.amount.amount, rate.amount.currency) == (Decimal("1e1"), "USD")
    assert (rate.delivery_days, rate.delivery_date, rate.id) == (2, date(2025, 3, 10), "rate_1")


def test_tracker_times_keep_the_offset_they_were_written_with():
    _, body = recorded("test_tracker_retrieve.yaml", 1)
    tracker = tracker_from_easypost({**body, "updated_at": "2025-03-10T23:00:00-05:00"})
    assert tracker.updated_at.utcoffset().total_seconds() == -5 * 3600
    with pytest.raises(CarrierResponseError, match="^tracker.updated_at: 'soon' is not a datetime"):
        tracker_from_easypost({**body, "updated_at": "soon"})
