"""Rates for a shipment of several parcels: one carrier service for all of them.

A Shopify fulfilment carries one tracking company, so every parcel of a shipment travels with
the same carrier service. The shipment's rate for a service is the sum over its parcels, offered
only when every parcel has that service; it arrives when its slowest parcel does.
"""

from __future__ import annotations

from collections.abc import Sequence

from .types import Money, Rate


def service_key(rate: Rate) -> str:
    return f"{rate.carrier}/{rate.service}"


def combine(parcel_rates: Sequence[Sequence[Rate]]) -> list[Rate]:
    """One Rate per service every parcel offers, its id the service key."""
    if not parcel_rates:
        return []
    by_parcel = [{service_key(r): r for r in rates} for rates in parcel_rates]
    common = set(by_parcel[0]).intersection(*by_parcel[1:])
    combined = []
    for key in sorted(common):
        rates = [parcel[key] for parcel in by_parcel]
        currencies = {r.amount.currency for r in rates}
        if len(currencies) != 1:
            continue
        days = [r.delivery_days for r in rates]
        dates = [r.delivery_date for r in rates]
        combined.append(Rate(
            id=key, carrier=rates[0].carrier, service=rates[0].service,
            amount=Money(sum(r.amount.amount for r in rates), currencies.pop()),
            delivery_days=None if None in days else max(days),
            delivery_date=None if None in dates else max(dates),
            carrier_account_id=rates[0].carrier_account_id,
        ))
    return combined


def parcel_rate(rates: Sequence[Rate], key: str) -> Rate | None:
    """The parcel's own rate for the chosen service."""
    return next((r for r in rates if service_key(r) == key), None)
