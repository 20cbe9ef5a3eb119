"""Readers of the JSON that outside APIs send, shared by the Shopify and EasyPost mappings.

A reader takes one decoded JSON value, and `what` naming where it was found, and returns it as
the type we work with, or raises `Unreadable`: the value, what was expected, what is wrong with
it. A reader never guesses: a value of the wrong JSON type is refused, not coerced. `None` is
refused like any other wrong value; whether a null or a missing key means "absent" is the
caller's decision (`optional`). Each mapping turns `Unreadable` into its own error once, at its
boundary and in its own words: Shopify's `PayloadError`, EasyPost's `CarrierResponseError`.

Shopify and EasyPost do not write every value alike, and each adapter keeps what it has always
accepted. Where they differ, the difference is a keyword of the reader, or a second reader, named
for what it lets through; the defaults are the stricter reading.

This module imports nothing of ours: any adapter may use it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any, TypeVar

_T = TypeVar("_T")

INT32_MAX = 2**31 - 1  # counts and quantities are stored in signed 32-bit columns
INT64_MAX = 2**63 - 1  # ids are stored in signed 64-bit columns
_MAX_ID_DIGITS = len(str(INT64_MAX))
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


class Expected(StrEnum):
    """What a reader wanted, as the noun a message names it by."""

    OBJECT = "an object"
    LIST = "a list"
    TEXT = "a string"
    FLAG = "a boolean"
    INTEGER = "a whole number"
    ID = "an id"
    AMOUNT = "an amount"
    CURRENCY = "a currency code"
    TIMESTAMP = "a datetime"
    DATE = "a date"


class Fault(Enum):
    """What is wrong with a value."""

    TYPE = "of the wrong type"  # not the JSON type read; NaN and Infinity count (JSON has neither)
    FORM = "unreadable"  # the right type, but no valid value of it
    RANGE = "out of range"
    NEGATIVE = "negative"
    MISSING = "missing"  # null, absent or empty where a value is required


class Unreadable(ValueError):
    """A JSON value a reader cannot use.

    `expected` is one of `Expected`, or an adapter's own noun for a reader of its own.
    """

    def __init__(self, value: Any, expected: str, fault: Fault = Fault.TYPE, what: str = ""):
        super().__init__(value, expected, fault, what)
        self.value = value
        self.expected = expected
        self.fault = fault
        self.what = what

    def __str__(self) -> str:
        where = self.what or "value"
        if self.fault is Fault.MISSING:
            return f"{where} is missing"
        shown = _shorten(self.value)
        if self.fault is Fault.TYPE:
            return f"{where}: expected {self.expected}, got {shown}"
        if self.fault is Fault.FORM:
            return f"{where}: {shown} is not {self.expected}"
        return f"{where}: {shown} is {self.fault.value}"


def optional(value: Any, read: Callable[[Any, str], _T], what: str = "") -> _T | None:
    """None for a null (or missing) value, else what `read` makes of it."""
    return None if value is None else read(value, what)


# Structure


def json_object(value: Any, what: str = "", *, any_mapping: bool = False) -> Mapping[str, Any]:
    """A JSON object (a dict); with `any_mapping`, any Mapping (EasyPost's reading)."""
    if not isinstance(value, Mapping if any_mapping else dict):
        raise Unreadable(value, Expected.OBJECT, what=what)
    return value


def json_list(value: Any, what: str = "") -> list[Any]:
    if not isinstance(value, list):
        raise Unreadable(value, Expected.LIST, what=what)
    return value


# Text and flags


def text(value: Any, what: str = "") -> str:
    """A JSON string, exactly as sent (EasyPost's reading)."""
    if not isinstance(value, str):
        raise Unreadable(value, Expected.TEXT, what=what)
    return value


def trimmed_text(value: Any, what: str = "") -> str | None:
    """A JSON string without surrounding whitespace; a blank one says nothing, so it is None
    (Shopify's reading: its stores send "" and " " for fields left empty)."""
    return text(value, what).strip() or None


def flag(value: Any, what: str = "") -> bool:
    if not isinstance(value, bool):
        raise Unreadable(value, Expected.FLAG, what=what)
    return value


# Numbers


def integer(
    value: Any, what: str = "", *, bound: int | None = INT32_MAX, integral_floats: bool = False
) -> int:
    """A JSON integer (a bool is not one) of at most `bound` either side of zero.

    `bound=None` reads any size; `integral_floats` reads 3.0 as 3 (EasyPost's reading, which has
    both). Otherwise a float is refused, even 3.0: it may have lost digits already.
    """
    number = value
    if integral_floats and isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int):
        raise Unreadable(value, Expected.INTEGER, what=what)
    if bound is not None and abs(number) > bound:
        raise Unreadable(value, Expected.INTEGER, Fault.RANGE, what)
    return number


def count(value: Any, what: str = "") -> int:
    """A 32-bit JSON integer that is not negative."""
    number = integer(value, what)
    if number < 0:
        raise Unreadable(value, Expected.INTEGER, Fault.NEGATIVE, what)
    return number


def numeric_id(value: Any, what: str = "") -> int:
    """A positive 64-bit id, from a JSON integer or a string of ASCII digits; never a float,
    which cannot hold every 64-bit id."""
    number = value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value) <= _MAX_ID_DIGITS:
            number = int(value)
    if isinstance(number, bool) or not isinstance(number, int):
        raise Unreadable(value, Expected.ID, what=what)
    if not 0 < number <= INT64_MAX:
        raise Unreadable(value, Expected.ID, Fault.RANGE, what)
    return number


# Money


def amount(value: Any, what: str = "") -> Decimal:
    """Money as a JSON integer or a plain decimal string ("-12.30", padding allowed).

    Floats are refused (they have already lost cents), and so is every other notation: exponents,
    underscores, a "+" sign, non-ASCII digits, NaN and Infinity (Shopify's reading).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, str):
        raise Unreadable(value, Expected.AMOUNT, what=what)
    if not _PLAIN_DECIMAL.fullmatch(value.strip()):
        raise Unreadable(value, Expected.AMOUNT, Fault.FORM, what)
    return Decimal(value.strip())


def lenient_amount(value: Any, what: str = "") -> Decimal:
    """Money as any finite JSON number or decimal string Python's Decimal reads (EasyPost's
    reading: strings on Shipment rates, numbers on SmartRate answers).

    A float becomes the decimal it was written as (51.2 → "51.2"), never its binary value.
    Exponents, underscores, signs and padding pass; NaN and Infinity do not.
    """
    if isinstance(value, float) and math.isfinite(value):
        return _decimal(str(value), value, what)
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, str):
        raise Unreadable(value, Expected.AMOUNT, what=what)
    return _decimal(value.strip(), value, what)


def _decimal(literal: str, value: Any, what: str) -> Decimal:
    try:
        number = Decimal(literal)
    except InvalidOperation:
        raise Unreadable(value, Expected.AMOUNT, Fault.FORM, what) from None
    if not number.is_finite():
        raise Unreadable(value, Expected.AMOUNT, Fault.FORM, what)
    return number


def currency(value: Any, what: str = "", *, upper_first: bool = False) -> str:
    """Three ASCII letters, padding allowed, as an upper-case code.

    `upper_first` upper-cases before checking (EasyPost's reading), so the few non-ASCII letters
    whose capital is ASCII pass as it: "uſd" (long s) is "USD".
    """
    if not isinstance(value, str):
        raise Unreadable(value, Expected.CURRENCY, what=what)
    code = value.strip().upper() if upper_first else value.strip()
    if not _CURRENCY.fullmatch(code):
        raise Unreadable(value, Expected.CURRENCY, Fault.FORM, what)
    return code.upper()


# Time


def timestamp(
    value: Any, what: str = "", *, in_utc: bool = True, padded: bool = False
) -> datetime:
    """An ISO 8601 string as an aware datetime; one without an offset is taken as UTC.

    By default the moment is returned in UTC. `in_utc=False` keeps the offset it was written
    with (EasyPost's reading: the calendar day of "…T23:00:00-05:00" stays that day);
    `padded` allows whitespace around it (EasyPost's reading too).
    """
    if not isinstance(value, str):
        raise Unreadable(value, Expected.TIMESTAMP, what=what)
    try:
        moment = datetime.fromisoformat(value.strip() if padded else value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC) if in_utc else moment
    except (ValueError, OverflowError):  # OverflowError: the year-1 or year-9999 edge in UTC
        raise Unreadable(value, Expected.TIMESTAMP, Fault.FORM, what) from None


def iso_date(value: Any, what: str = "", *, padded: bool = False) -> date:
    """An ISO 8601 calendar date ("2025-03-10"); `padded` allows whitespace around it."""
    if not isinstance(value, str):
        raise Unreadable(value, Expected.DATE, what=what)
    try:
        return date.fromisoformat(value.strip() if padded else value)
    except ValueError:
        raise Unreadable(value, Expected.DATE, Fault.FORM, what) from None


def _shorten(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits has no repr
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."
