"""Simulated carriers, their services and deterministic pricing.

Prices depend only on billable weight (max of actual and DIM weight, whole pounds) and zone, so a
test can predict them. Each service has a hidden `reliability` (share delivered on time) that the
trackers use to pick exceptions and that SmartRate's percentiles reflect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from .util import iso_z, money, new_id


@dataclass(frozen=True)
class Service:
    carrier: str
    name: str
    base: float          # price at zone 1 for 1 lb
    per_zone: float      # added per zone above 1
    per_lb: float        # added per billable pound above 1 (grows 8% per zone)
    days: tuple[int, ...]  # delivery days by zone 1..8
    reliability: float   # hidden share delivered on time
    international: bool = False
    guaranteed: bool = False


@dataclass(frozen=True)
class Carrier:
    name: str
    account_id: str
    max_oz: float                  # heavier parcels get a rate_error message
    max_length_girth: float        # inches
    dim_divisor: int
    dim_only_over_cubic_foot: bool  # USPS applies DIM weight only above 1728 in3
    packages: tuple[str, ...]      # predefined_package values this carrier rates


CARRIERS: dict[str, Carrier] = {
    "USPS": Carrier("USPS", "ca_5b1e0a7c2d4f4e3c9a8b7c6d5e4f3a21", 70 * 16, 130, 166, True,
                    ("FlatRateEnvelope", "FlatRateLegalEnvelope", "FlatRatePaddedEnvelope",
                     "SmallFlatRateBox", "MediumFlatRateBox", "LargeFlatRateBox", "SoftPack")),
    "UPS": Carrier("UPS", "ca_7c3e9f1a8b2d4c6e9f0a1b2c3d4e5f62", 150 * 16, 165, 139, False,
                   ("UPSLetter", "UPSExpressBox", "UPS10kgBox", "UPS25kgBox", "Tube", "Pak")),
    "FedEx": Carrier("FedEx", "ca_9e4a2b6c1d8f4a7b8c9d0e1f2a3b4c53", 150 * 16, 165, 139, False,
                     ("FedExEnvelope", "FedExBox", "FedExPak", "FedExTube", "FedExSmallBox",
                      "FedExMediumBox", "FedExLargeBox")),
}

SERVICES: tuple[Service, ...] = (
    Service("USPS", "GroundAdvantage", 4.75, 0.42, 0.85, (2, 2, 3, 3, 4, 4, 5, 5), 0.90),
    Service("USPS", "Priority", 6.10, 0.45, 1.55, (1, 2, 2, 2, 3, 3, 3, 3), 0.93, True),
    Service("USPS", "Express", 27.50, 1.65, 3.40, (1, 1, 1, 1, 2, 2, 2, 2), 0.97, True),
    Service("UPS", "Ground", 8.90, 0.60, 1.10, (1, 2, 2, 3, 3, 4, 4, 5), 0.95),
    Service("UPS", "2ndDayAir", 18.50, 1.80, 2.60, (2,) * 8, 0.965, False, True),
    Service("UPS", "NextDayAir", 32.00, 3.20, 4.20, (1,) * 8, 0.98, True, True),
    Service("FedEx", "FEDEX_GROUND", 8.70, 0.58, 1.05, (1, 2, 2, 3, 3, 4, 4, 5), 0.94),
    Service("FedEx", "FEDEX_2_DAY", 19.20, 1.70, 2.50, (2,) * 8, 0.96, True, True),
    Service("FedEx", "STANDARD_OVERNIGHT", 35.00, 3.00, 4.00, (1,) * 8, 0.985, False, True),
)

INTERNATIONAL_ZONE = 9
INTERNATIONAL_EXTRA_DAYS = 4
PERCENTILES = (50, 75, 85, 90, 95, 97, 99)


def find_service(carrier: str, service: str) -> Service | None:
    for svc in SERVICES:
        wanted = ((carrier or "").lower(), (service or "").lower())
        if (svc.carrier.lower(), svc.name.lower()) == wanted:
            return svc
    return None


def zone_for(from_address: dict, to_address: dict) -> int:
    """1 + |first ZIP digit difference|, capped to 8; anything leaving the US is zone 9."""
    countries = {(a.get("country") or "US").upper() for a in (from_address, to_address)}
    if countries != {"US"}:
        return INTERNATIONAL_ZONE
    digits = [next((c for c in str(a.get("zip") or "") if c.isdigit()), "0")
              for a in (from_address, to_address)]
    return min(8, 1 + abs(int(digits[0]) - int(digits[1])))


def _round_inch(value: float) -> int:
    return int(math.floor(value + 0.5))


def billable_pounds(carrier: Carrier, parcel: dict) -> int:
    """max(actual, DIM) in whole pounds; DIM weight is skipped for predefined packages."""
    actual = max(1, math.ceil(float(parcel.get("weight") or 0) / 16.0))
    dims = [parcel.get(k) for k in ("length", "width", "height")]
    if parcel.get("predefined_package") or not all(dims):
        return actual
    volume = math.prod(_round_inch(float(d)) for d in dims)
    if carrier.dim_only_over_cubic_foot and volume <= 1728:
        return actual
    return max(actual, math.ceil(volume / carrier.dim_divisor))


def rate_error(carrier: Carrier, parcel: dict, international: bool) -> str | None:
    """Why this carrier refuses the parcel, or None."""
    weight = float(parcel.get("weight") or 0)
    if weight > carrier.max_oz:
        return (f"{carrier.name}: the parcel weight ({weight / 16:.1f} lb) exceeds the maximum "
                f"of {carrier.max_oz / 16:.0f} lb.")
    dims = sorted((float(parcel.get(k) or 0) for k in ("length", "width", "height")), reverse=True)
    if dims[0] and dims[0] + 2 * (dims[1] + dims[2]) > carrier.max_length_girth:
        return f"{carrier.name}: length plus girth exceeds {carrier.max_length_girth:.0f} inches."
    package = parcel.get("predefined_package")
    if package and package != "Parcel" and package not in carrier.packages:
        return f"{carrier.name}: predefined package '{package}' is not supported."
    if international and not any(s.international for s in SERVICES if s.carrier == carrier.name):
        return f"{carrier.name}: no international service for this destination."
    return None


def price(service: Service, zone: int, pounds: int) -> float:
    z = min(zone, 8)
    per_lb = service.per_lb * (1 + 0.08 * (z - 1))
    amount = service.base + service.per_zone * (z - 1) + per_lb * (pounds - 1)
    return amount * 2.2 if zone == INTERNATIONAL_ZONE else amount


def delivery_days(service: Service, zone: int) -> int:
    if zone == INTERNATIONAL_ZONE:
        return service.days[-1] + INTERNATIONAL_EXTRA_DAYS
    return service.days[zone - 1]


def build_rate(service: Service, shipment_id: str, zone: int, pounds: int,
               now: dt.datetime) -> dict:
    amount = price(service, zone, pounds)
    days = delivery_days(service, zone)
    delivery_date = None
    if service.guaranteed:
        delivery_date = iso_z((now + dt.timedelta(days=days)).replace(hour=23, minute=59, second=0))
    stamp = iso_z(now)
    return {
        "id": new_id("rate"), "object": "Rate", "created_at": stamp, "updated_at": stamp,
        "mode": "test", "service": service.name, "carrier": service.carrier,
        "rate": money(amount), "currency": "USD",
        "retail_rate": money(amount * 1.30), "retail_currency": "USD",
        "list_rate": money(amount * 1.12), "list_currency": "USD",
        "billing_type": "easypost", "delivery_days": days, "delivery_date": delivery_date,
        "delivery_date_guaranteed": service.guaranteed, "est_delivery_days": days,
        "shipment_id": shipment_id, "carrier_account_id": CARRIERS[service.carrier].account_id,
    }


def rate_shipment(shipment_id: str, from_address: dict, to_address: dict, parcel: dict,
                  account_ids: set[str] | None, now: dt.datetime) -> tuple[list[dict], list[dict]]:
    """All rates for a shipment plus per-carrier `rate_error` messages."""
    zone = zone_for(from_address, to_address)
    international = zone == INTERNATIONAL_ZONE
    rates, messages = [], []
    for carrier in CARRIERS.values():
        if account_ids is not None and carrier.account_id not in account_ids:
            continue
        problem = rate_error(carrier, parcel, international)
        if problem:
            messages.append({"carrier": carrier.name, "carrier_account_id": carrier.account_id,
                             "type": "rate_error", "message": problem})
            continue
        pounds = billable_pounds(carrier, parcel)
        for service in SERVICES:
            if service.carrier == carrier.name and (service.international or not international):
                rates.append(build_rate(service, shipment_id, zone, pounds, now))
    return rates, messages


def time_in_transit(days: int, reliability: float) -> dict:
    """SmartRate percentiles: on time up to the reliability percentile, later beyond it."""
    result = {}
    for p in PERCENTILES:
        share = p / 100.0
        late = (share - reliability) / (1 - reliability)
        extra = 0 if share <= reliability else 1 + int(late * 3)
        result[f"percentile_{p}"] = days + extra
    return result


def smart_rate(rate: dict) -> dict:
    """A SmartRate entry: the Rate with numeric money fields and `time_in_transit`."""
    service = find_service(rate["carrier"], rate["service"])
    reliability = service.reliability if service else 0.9
    out = dict(rate)
    for key in ("rate", "retail_rate", "list_rate"):
        out[key] = float(rate[key])
    out["time_in_transit"] = time_in_transit(int(rate["delivery_days"]), reliability)
    out.pop("billing_type", None)
    return dict(sorted(out.items()))


def hash_fraction(text: str) -> float:
    """A stable number in [0, 1) from a string (tracking code), used for deterministic outcomes."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) / float(1 << 48)


def tracker_outcome(tracking_code: str, carrier: str, service: str | None = None) -> str:
    """What will happen to this parcel: on_time, delayed, return_to_sender or failure.

    Parcels whose hash falls under the service's reliability arrive on time; the rest split
    60% delayed, 20% return_to_sender, 20% failure.
    """
    svc = find_service(carrier, service or "")
    reliability = svc.reliability if svc else 0.93
    h = hash_fraction(tracking_code)
    if h < reliability:
        return "on_time"
    rest = (h - reliability) / (1 - reliability)
    return "delayed" if rest < 0.6 else "return_to_sender" if rest < 0.8 else "failure"
