"""Pure functions between EasyPost's JSON (plain dicts) and our types.

Whatever value arrives, a `*_from_easypost` function returns our types or raises
`CarrierResponseError` naming the part it cannot use. Nulls and missing optional keys are normal
in EasyPost's answers; a value of the wrong type is an error, never a guess.

Money comes as strings ("6.07") on Shipment rates and as numbers (51.2) on SmartRate answers;
both become exact `Decimal`s (a number goes through `str`, never through binary arithmetic).
Datetimes are UTC with "Z" or "+00:00"; a naive one is taken as UTC, which is what EasyPost uses.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from orderflow.fulfilment.types import (
    Address,
    Label,
    Money,
    Rate,
    TrackerUpdate,
    TrackingEvent,
    VerifiedAddress,
)
from orderflow.integrations.easypost.errors import (
    AddressUndeliverable,
    CarrierAuthError,
    CarrierError,
    CarrierOutcomeUnknown,
    CarrierRejected,
    CarrierResponseError,
    CarrierUnavailable,
    PostageExists,
    RateUnavailable,
    RefundRefused,
)
from orderflow.integrations.easypost.statuses import status_from_easypost

_CURRENCY = re.compile(r"[A-Z]{3}")
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


# Addresses


def address_to_easypost(a: Address, email: str | None = None) -> dict[str, str]:
    """Our address as EasyPost's address params; empty fields are left out."""
    fields = {
        "name": a.name,
        "company": a.company,
        "street1": a.address1,
        "street2": a.address2,
        "city": a.city,
        "state": a.province_code or a.province,
        "zip": a.zip,
        "country": a.country_code or a.country,
        "phone": a.phone,
        "email": email,
    }
    return {key: value.strip() for key, value in fields.items() if value and value.strip()}


def address_from_easypost(d: Any, sent: Address | None = None) -> VerifiedAddress:
    """An Address answer of create (verify=true); `sent` tells whether EasyPost corrected it."""
    d = _object(d, "address")
    address = _address(d)
    verifications = _optional_object(d.get("verifications"), "verifications")
    check = _optional_object(verifications.get("delivery"), "verifications.delivery")
    deliverable = check.get("success") is True
    messages = _field_messages(check.get("errors"), "verifications.delivery.errors")
    if not check:
        messages = ("EasyPost did not verify this address.",)
    corrected = sent is not None and _differs(sent, address)
    return VerifiedAddress(address, deliverable, corrected, messages if not deliverable else ())


def _address(d: Mapping[str, Any]) -> Address:
    return Address(
        name=_text(d, "name"),
        company=_text(d, "company"),
        address1=_text(d, "street1"),
        address2=_text(d, "street2") or None,
        city=_text(d, "city"),
        province_code=_text(d, "state"),
        zip=_text(d, "zip"),
        country_code=_text(d, "country"),
        phone=_text(d, "phone"),
    )


def _differs(sent: Address, got: Address) -> bool:
    """Whether street, city or ZIP changed beyond case, spacing and an added ZIP+4."""

    def street(a: Address) -> str:
        return _squash(f"{a.address1 or ''} {a.address2 or ''}")

    def zip5(a: Address) -> str:
        return _squash(a.zip or "").split("-")[0]

    return (
        street(sent) != street(got)
        or _squash(sent.city or "") != _squash(got.city or "")
        or zip5(sent) != zip5(got)
    )


def _squash(text: str) -> str:
    return " ".join(re.sub(r"[.,#]", " ", text).upper().split())


# Rates and shipments


def rate_from_easypost(d: Any) -> Rate:
    d = _object(d, "rate")
    days = _optional_int(d, "delivery_days")
    if days is None:
        days = _optional_int(d, "est_delivery_days")
    return Rate(
        id=_required_text(d, "id"),
        carrier=_required_text(d, "carrier"),
        service=_required_text(d, "service"),
        amount=Money(_decimal(d.get("rate"), "rate.rate"), _currency(d.get("currency"))),
        delivery_days=days,
        delivery_date=_date(d.get("delivery_date"), "rate.delivery_date"),
        carrier_account_id=_text(d, "carrier_account_id"),
    )


def shipment_from_easypost(d: Any) -> CarrierShipment:
    d = _object(d, "shipment")
    tracker = _optional_object(d.get("tracker"), "shipment.tracker")
    selected = d.get("selected_rate")
    insurance = d.get("insurance")
    return CarrierShipment(
        id=_required_text(d, "id"),
        rates=tuple(rate_from_easypost(r) for r in _list(d.get("rates"), "shipment.rates")),
        rate_errors=rate_errors_from_easypost(d.get("messages")),
        selected_rate=rate_from_easypost(selected) if selected is not None else None,
        label=label_from_easypost(d.get("postage_label")),
        tracking_code=_text(d, "tracking_code"),
        tracker_id=_text(tracker, "id"),
        public_tracking_url=_text(tracker, "public_url"),
        refund_status=_text(d, "refund_status"),
        status=_text(d, "status"),
        reference=_text(d, "reference"),
        insurance=None if insurance is None else _decimal(insurance, "shipment.insurance"),
    )


def rates_from_easypost(d: Any) -> tuple[Rate, ...]:
    """The answer of POST /shipments/:id/rerate: {"rates": [...]}."""
    d = _object(d, "rerate answer")
    return tuple(rate_from_easypost(r) for r in _list(d.get("rates"), "rates"))


def rate_errors_from_easypost(messages: Any) -> tuple[str, ...]:
    """Per-carrier rating failures; EasyPost reports them here, not as HTTP errors."""
    found = []
    for m in _list(messages, "shipment.messages"):
        m = _object(m, "shipment.messages[]")
        if m.get("type") == "rate_error":
            carrier = _text(m, "carrier") or "Carrier"
            found.append(f"{carrier}: {_words(m.get('message'))}")
    return tuple(found)


_FORMAT_URL_KEYS = (("PNG", "label_url"), ("PDF", "label_pdf_url"), ("ZPL", "label_zpl_url"),
                    ("EPL2", "label_epl2_url"))
_FORMAT_BY_FILE_TYPE = {"image/png": "PNG", "application/pdf": "PDF", "application/zpl": "ZPL",
                        "application/epl2": "EPL2"}


def label_from_easypost(d: Any) -> Label | None:
    """A PostageLabel; None when there is none yet. `label_url` is the file bought."""
    if d is None:
        return None
    d = _object(d, "postage_label")
    url = _required_text(d, "label_url")
    file_type = _text(d, "label_file_type")
    fmt = _FORMAT_BY_FILE_TYPE.get((file_type or "").lower()) or _format_from_url(url)
    others = tuple(
        (f, u) for f, key in _FORMAT_URL_KEYS[1:] if (u := _text(d, key)) and f != fmt
    )
    return Label(url, fmt, file_type, _text(d, "label_size"), others)


def _format_from_url(url: str) -> str:
    ext = url.rsplit("?", 1)[0].rsplit(".", 1)[-1].upper()
    return ext if ext in {"PNG", "PDF", "ZPL", "EPL2"} else "PNG"


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


# Trackers


def tracker_from_easypost(d: Any) -> TrackerUpdate:
    """A Tracker, or an Event (webhook body) whose `result` is a Tracker."""
    d = _object(d, "tracker")
    if d.get("object") == "Event":
        d = _object(d.get("result"), "event.result")
    if d.get("object") not in (None, "Tracker"):
        raise CarrierResponseError(f"expected a Tracker, got {d.get('object')!r}")
    return TrackerUpdate(
        id=_required_text(d, "id"),
        tracking_code=_required_text(d, "tracking_code"),
        carrier=_required_text(d, "carrier"),
        status=status_from_easypost(_text(d, "status")).value,
        est_delivery_date=_datetime(d.get("est_delivery_date"), "tracker.est_delivery_date"),
        signed_by=_text(d, "signed_by"),
        events=tuple(
            _event(e) for e in _list(d.get("tracking_details"), "tracker.tracking_details")
        ),
        public_url=_text(d, "public_url"),
        updated_at=_datetime(d.get("updated_at"), "tracker.updated_at"),
    )


def _event(d: Any) -> TrackingEvent:
    d = _object(d, "tracking_details[]")
    where = _optional_object(d.get("tracking_location"), "tracking_location")
    return TrackingEvent(
        status=status_from_easypost(_text(d, "status")).value,
        message=_text(d, "message") or "",
        at=_datetime(d.get("datetime"), "tracking_details[].datetime"),
        city=_text(where, "city"),
        state=_text(where, "state"),
        country=_text(where, "country"),
        zip=_text(where, "zip"),
        detail=_text(d, "status_detail"),
    )


# Errors

# The carrier may have bought the label; only a lookup tells.
_OUTCOME_UNKNOWN_CODES = frozenset(
    {"SHIPMENT.POSTAGE.NO_RESPONSE", "SHIPMENT.POSTAGE.TIMED_OUT", "SHIPMENT.PURCHASE.IN_PROGRESS"}
)
_UNAVAILABLE_CODES = frozenset({"ADDRESS.VERIFY.UNAVAILABLE", "REFUND.NO_RESPONSE"})
_RATE_CODES = frozenset(
    {
        "SHIPMENT.MISSING_RATE",
        "SHIPMENT.RATE.NOT_FOUND",
        "SHIPMENT.RATE.EXPIRED",
        "SHIPMENT.RATE.CARRIER_ACCOUNT_INVALID",
        "SHIPMENT.POSTAGE.FAILURE",  # usually a stale rate: re-rate and buy again (notes §2)
        "RATE.NOT_FOUND",
    }
)
_REFUND_CODES = frozenset({"SHIPMENT.REFUND.UNAVAILABLE", "SHIPMENT.REFUND.FAILURE",
                           "REFUND.FAILURE"})
_BY_CODE: dict[str, type[CarrierRejected]] = {
    "ADDRESS.VERIFY.FAILURE": AddressUndeliverable,
    "SHIPMENT.POSTAGE.EXISTS": PostageExists,
    **{code: RateUnavailable for code in _RATE_CODES},
    **{code: RefundRefused for code in _REFUND_CODES},
}


def error_from_easypost(http_status: int | None, body: Any, buying: bool = False) -> CarrierError:
    """The exception for an EasyPost error answer.

    `body` is the parsed JSON, or its text/bytes, or None. `http_status` None means no HTTP
    answer at all. With `buying`, anything that does not prove the buy was refused is
    `CarrierOutcomeUnknown`: a 5xx may come from a proxy after EasyPost bought the label.
    """
    code, message, details = _error_parts(body)
    if code in _OUTCOME_UNKNOWN_CODES:
        return CarrierOutcomeUnknown(_sentence(message, code))
    if http_status in (401, 402, 403):
        return CarrierAuthError(_sentence(message, code or f"HTTP {http_status}"))
    if http_status is None and not message:
        cls = CarrierOutcomeUnknown if buying else CarrierUnavailable
        return cls("EasyPost sent no usable answer (timeout, broken connection or non-JSON body)")
    if http_status is None or http_status in (408, 429) or http_status >= 500 or http_status < 400:
        unknown = buying and http_status != 429  # 429: refused before any work was done
        cls = CarrierOutcomeUnknown if unknown else CarrierUnavailable
        return cls(_sentence(message, code or f"HTTP {http_status}"))
    if code in _UNAVAILABLE_CODES:
        return CarrierUnavailable(_sentence(message, code))
    cls = _BY_CODE.get(code or "", CarrierRejected)
    return cls(_merchant_message(message, details, cls), code, details)


def _error_parts(body: Any) -> tuple[str | None, str, tuple[str, ...]]:
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return None, "", ()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, "", ()
    code = error.get("code") if isinstance(error.get("code"), str) else None
    details = _field_messages(error.get("errors"), "error.errors", strict=False)
    return code, _words(error.get("message")), details


def _merchant_message(message: str, details: tuple[str, ...], cls: type) -> str:
    if cls is AddressUndeliverable:
        return "The carrier cannot deliver to this address: " + (
            "; ".join(details) or message or "no reason given"
        ) + "."
    text = message or "EasyPost refused the request."
    return f"{text} ({'; '.join(details)})" if details else text


def _sentence(message: str, code: str) -> str:
    return f"{message} [{code}]" if message else f"EasyPost: {code}"


def _field_messages(errors: Any, where: str, strict: bool = True) -> tuple[str, ...]:
    """FieldErrors ({field, message, ...}) or plain strings, as short unique sentences."""
    if errors is None or (not strict and not isinstance(errors, list)):
        return ()
    found: list[str] = []
    for e in _list(errors, where):
        text = _field_message(e)
        if text and text not in found:
            found.append(text)
    return tuple(found)


def _field_message(e: Any) -> str:
    if not isinstance(e, dict):
        return _words(e)
    message = _words(e.get("message"))
    field = e.get("field")
    suggestion = e.get("suggestion")
    if isinstance(field, str) and field not in ("", "address") and message:
        message = f"{field}: {message}"
    if isinstance(suggestion, str) and suggestion:
        message = f"{message} (suggestion: {suggestion})"
    return message


def _words(value: Any) -> str:
    """EasyPost messages are strings, but sometimes lists or objects of strings."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(filter(None, (_words(v) for v in value.values())))
    if isinstance(value, list):
        return "; ".join(filter(None, (_words(v) for v in value)))
    return str(value).strip()


# Field readers


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CarrierResponseError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def _optional_object(value: Any, what: str) -> Mapping[str, Any]:
    return {} if value is None else _object(value, what)


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CarrierResponseError(f"{what}: expected a list, got {type(value).__name__}")
    return value


def _text(d: Mapping[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise CarrierResponseError(f"{key}: expected a string, got {type(value).__name__}")
    return value


def _required_text(d: Mapping[str, Any], key: str) -> str:
    value = _text(d, key)
    if not value:
        raise CarrierResponseError(f"{key} is missing")
    return value


def _optional_int(d: Mapping[str, Any], key: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CarrierResponseError(f"{key}: expected a whole number, got {value!r}")
    return value


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, float) and math.isfinite(value):
        value = str(value)  # 51.2 → "51.2": the decimal EasyPost wrote, not the binary float
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise CarrierResponseError(f"{what}: expected an amount, got {value!r}")
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise CarrierResponseError(f"{what}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise CarrierResponseError(f"{what}: {value!r} is not an amount")
    return amount


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value.strip().upper()):
        raise CarrierResponseError(f"rate.currency: {value!r} is not a currency code")
    return value.strip().upper()


def _datetime(value: Any, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CarrierResponseError(f"{what}: expected a datetime, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CarrierResponseError(f"{what}: {value!r} is not a datetime") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(value: Any, what: str) -> date | None:
    """A date, or the date part of a datetime ("2025-03-10T00:00:00Z": EasyPost writes both)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise CarrierResponseError(f"{what}: {value!r} is not a date") from None
    parsed = _datetime(value, what)
    return parsed.date() if parsed else None
