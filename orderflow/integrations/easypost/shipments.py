"""Shipments and their rates: EasyPost's answers as ours, and our parcel as EasyPost's params."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from ...fulfilment.types import Label, Money, Rate
from .fields import (
    currency,
    day,
    decimal,
    items,
    obj,
    optional_int,
    optional_obj,
    reading,
    required_text,
    text,
)
from .labels import label_from_easypost
from .messages import words

_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class CarrierShipment:
    """An EasyPost shipment: its rates before buying, its label and tracking after."""

    id: str
    rates: tuple[Rate, ...] = ()
    rate_errors: tuple[str, ...] = ()  # "FedEx: <why this carrier gave no rate>"
    selected_rate: Rate | None = None  # set once bought
    label: Label | None = None
    tracking_code: str | None = None
    tracker_id: str | None = None
    public_tracking_url: str | None = None
    refund_status: str | None = None  # submitted, refunded, rejected, not_applicable
    status: str | None = None
    reference: str | None = None
    insurance: Decimal | None = None

    @property
    def bought(self) -> bool:
        return self.label is not None or self.tracking_code is not None

    def rate(self, rate_id: str) -> Rate | None:
        return next((r for r in self.rates if r.id == rate_id), None)


@reading
def rate_from_easypost(d: Any) -> Rate:
    d = obj(d, "rate")
    days = optional_int(d, "delivery_days")
    if days is None:
        days = optional_int(d, "est_delivery_days")
    return Rate(
        id=required_text(d, "id"),
        carrier=required_text(d, "carrier"),
        service=required_text(d, "service"),
        amount=Money(decimal(d.get("rate"), "rate.rate"), currency(d.get("currency"))),
        delivery_days=days,
        delivery_date=day(d.get("delivery_date"), "rate.delivery_date"),
        carrier_account_id=text(d, "carrier_account_id"),
    )


@reading
def shipment_from_easypost(d: Any) -> CarrierShipment:
    d = obj(d, "shipment")
    tracker = optional_obj(d.get("tracker"), "shipment.tracker")
    selected = d.get("selected_rate")
    insurance = d.get("insurance")
    return CarrierShipment(
        id=required_text(d, "id"),
        rates=tuple(rate_from_easypost(r) for r in items(d.get("rates"), "shipment.rates")),
        rate_errors=rate_errors_from_easypost(d.get("messages")),
        selected_rate=rate_from_easypost(selected) if selected is not None else None,
        label=label_from_easypost(d.get("postage_label")),
        tracking_code=text(d, "tracking_code"),
        tracker_id=text(tracker, "id"),
        public_tracking_url=text(tracker, "public_url"),
        refund_status=text(d, "refund_status"),
        status=text(d, "status"),
        reference=text(d, "reference"),
        insurance=None if insurance is None else decimal(insurance, "shipment.insurance"),
    )


@reading
def rates_from_easypost(d: Any) -> tuple[Rate, ...]:
    """The answer of POST /shipments/:id/rerate: {"rates": [...]}."""
    d = obj(d, "rerate answer")
    return tuple(rate_from_easypost(r) for r in items(d.get("rates"), "rates"))


@reading
def rate_errors_from_easypost(messages: Any) -> tuple[str, ...]:
    """Per-carrier rating failures; EasyPost reports them here, not as HTTP errors."""
    found = []
    for m in items(messages, "shipment.messages"):
        m = obj(m, "shipment.messages[]")
        if m.get("type") == "rate_error":
            carrier = text(m, "carrier") or "Carrier"
            found.append(f"{carrier}: {words(m.get('message'))}")
    return tuple(found)


def parcel_to_easypost(
    length_in: Decimal, width_in: Decimal, height_in: Decimal, weight_oz: Decimal
) -> dict[str, float]:
    """Parcel params. Each value is rounded *up* to 0.1 (never quote less than the real size)
    and becomes a float only here, because EasyPost's JSON wants numbers."""
    values = {"length": length_in, "width": width_in, "height": height_in, "weight": weight_oz}
    for name, value in values.items():
        if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
            raise ValueError(f"parcel {name} must be a positive Decimal, not {value!r}")
    return {name: float(v.quantize(_TENTH, rounding=ROUND_CEILING)) for name, v in values.items()}
