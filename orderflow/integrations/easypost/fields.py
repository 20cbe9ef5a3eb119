"""EasyPost's JSON read through the shared readers (`integrations.json_readers`).

Nulls and missing optional keys are normal in EasyPost's answers: a null object reads as {}, a
null list as [], a null or empty datetime as None. A value of the wrong type is an error, never a
guess. Money comes as strings ("6.07") on Shipment rates and as numbers (51.2) on SmartRate
answers; both become exact `Decimal`s. Datetimes are UTC with "Z" or "+00:00"; a naive one is
taken as UTC, which is what EasyPost uses, and an aware one keeps its offset.

`reading` is the adapter's boundary: a mapping function wrapped in it raises
`CarrierResponseError`, in the words this adapter has always used, instead of `Unreadable`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from .. import json_readers as read
from ..json_readers import Expected, Fault, Unreadable
from .errors import CarrierResponseError

_P = ParamSpec("_P")
_T = TypeVar("_T")

_NAMED_BY_TYPE = frozenset({Expected.OBJECT, Expected.LIST, Expected.TEXT})


def reading(parse: Callable[_P, _T]) -> Callable[_P, _T]:
    """`parse`, raising `CarrierResponseError` where a reader raised `Unreadable`."""

    @functools.wraps(parse)
    def parse_or_refuse(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return parse(*args, **kwargs)
        except Unreadable as unreadable:
            raise CarrierResponseError(_sentence(unreadable)) from None

    return parse_or_refuse


def _sentence(unreadable: Unreadable) -> str:
    """"rate.rate: expected an amount, got None", "'x' is not a datetime", "id is missing"."""
    what, value, expected = unreadable.what, unreadable.value, unreadable.expected
    if unreadable.fault is Fault.MISSING:
        return f"{what} is missing"
    if unreadable.fault is Fault.FORM or expected is Expected.CURRENCY:
        return f"{what}: {value!r} is not {expected}"
    got = type(value).__name__ if expected in _NAMED_BY_TYPE else repr(value)
    return f"{what}: expected {expected}, got {got}"


def obj(value: Any, what: str) -> Mapping[str, Any]:
    return read.json_object(value, what, any_mapping=True)


def optional_obj(value: Any, what: str) -> Mapping[str, Any]:
    return {} if value is None else obj(value, what)


def items(value: Any, what: str) -> list[Any]:
    return [] if value is None else read.json_list(value, what)


def text(d: Mapping[str, Any], key: str) -> str | None:
    """The string at `key` as EasyPost wrote it, or None."""
    return read.optional(d.get(key), read.text, key)


def required_text(d: Mapping[str, Any], key: str) -> str:
    value = text(d, key)
    if not value:
        raise Unreadable(d.get(key), Expected.TEXT, Fault.MISSING, key)
    return value


def optional_int(d: Mapping[str, Any], key: str) -> int | None:
    """A whole number of any size; EasyPost writes some as 2.0."""
    value = d.get(key)
    if value is None:
        return None
    return read.integer(value, key, bound=None, integral_floats=True)


def decimal(value: Any, what: str) -> Decimal:
    return read.lenient_amount(value, what)


def currency(value: Any) -> str:
    return read.currency(value, "rate.currency", upper_first=True)


def moment(value: Any, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    return read.timestamp(value, what, in_utc=False, padded=True)


def day(value: Any, what: str) -> date | None:
    """A date, or the date part of a datetime ("2025-03-10T00:00:00Z": EasyPost writes both)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        return read.iso_date(value, what, padded=True)
    parsed = moment(value, what)
    return parsed.date() if parsed else None
