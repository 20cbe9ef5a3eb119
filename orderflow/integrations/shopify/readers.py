"""Defensive reads of JSON payloads: whatever value arrives, our type or a `PayloadError`.

A reader takes one JSON value and returns it typed, or raises `Unusable` with the problem in a
few words; `Fields` applies readers to the keys of one JSON object and turns that into a
`PayloadError` that names the object and the key ("order 5 has a non-integer quantity"). Missing
keys and nulls read as None, so only what the caller `need`s is required; a value of the wrong
type is an error, never a guess. Nothing here knows Shopify: ids.py adds its global ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

_T = TypeVar("_T")

MAX_ID = 2**63 - 1  # ids are stored in signed 64-bit columns
_MAX_COUNT = 2**31 - 1
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


class PayloadError(ValueError):
    """A payload we cannot use; the message says which part and why."""


class Unusable(Exception):
    """A JSON value of the wrong shape; `problem` completes "<where> has <problem> <key>"."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- readers of one JSON value -----------------------------------------------------------------


def positive_id(value: Any) -> int:
    """A positive 64-bit id from a JSON integer or a digit string; never through a float."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unusable("a non-integer")
    if not 0 < value <= MAX_ID:
        raise Unusable("an out-of-range")
    return value


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unusable("a non-integer")
    if abs(value) > _MAX_COUNT:
        raise Unusable("an out-of-range")
    return value


def count(value: Any) -> int:
    if integer(value) < 0:
        raise Unusable("a negative")
    return value


def clamped_count(value: Any) -> int:
    """Shopify can report a negative count left to fulfil after edits; that means none left."""
    return max(integer(value), 0)


def text(value: Any) -> str | None:
    if not isinstance(value, str):
        raise Unusable("a non-text")
    return value.strip() or None


def lower_text(value: Any) -> str | None:
    read = text(value)
    return read.lower() if read else None


def upper_text(value: Any) -> str | None:
    read = text(value)
    return read.upper() if read else None


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Unusable("a non-boolean")
    return value


def timestamp(value: Any) -> datetime:
    """An aware datetime in UTC; a timestamp without an offset is taken as UTC."""
    if not isinstance(value, str):
        raise Unusable("an unreadable")
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Unusable("an unreadable") from None


def amount(value: Any) -> Decimal:
    """Money from decimal strings; floats are refused, they have already lost cents."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _AMOUNT.fullmatch(value.strip()):
        return Decimal(value.strip())
    raise Unusable("an unreadable")


def currency_code(value: Any) -> str:
    if isinstance(value, str) and _CURRENCY.fullmatch(value.strip()):
        return value.strip().upper()
    raise Unusable("an unknown")


def json_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Unusable("a non-list")
    return value


def text_list(value: Any) -> list[str | None]:
    return [text(item) for item in json_list(value)]


def json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unusable("a non-object")
    return value


def default(value: _T | None, fallback: _T) -> _T:
    return fallback if value is None else value


# --- reading the keys of one JSON object -------------------------------------------------------


@dataclass(frozen=True)
class Fields:
    """Typed reads from one JSON object; every failure names the object (`where`) and the key."""

    data: dict[str, Any]
    where: str

    @classmethod
    def of(cls, value: Any, where: str) -> Fields:
        if not isinstance(value, dict):
            raise PayloadError(f"{where} is not a JSON object")
        return cls(value, where)

    def renamed(self, where: str) -> Fields:
        return Fields(self.data, where)

    def get(self, key: str, parse: Callable[[Any], _T]) -> _T | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return parse(value)
        except Unusable as unusable:
            raise PayloadError(f"{self.where} has {unusable.problem} {key}") from None

    def need(self, key: str, parse: Callable[[Any], _T]) -> _T:
        value = self.get(key, parse)
        if value is None:
            raise PayloadError(f"{self.where} has no {key}")
        return value

    def obj(self, key: str) -> Fields | None:
        value = self.get(key, json_object)
        return None if value is None else Fields(value, f"{self.where} {key}")

    def need_obj(self, key: str) -> Fields:
        return Fields(self.need(key, json_object), f"{self.where} {key}")

    def at(self, *keys: str) -> Fields | None:
        fields: Fields | None = self
        for key in keys:
            fields = fields.obj(key) if fields is not None else None
        return fields

    def nodes(self, key: str, noun: str) -> Iterable[Fields]:
        """The nodes of the GraphQL connection at `key`, named as parts of this object."""
        return self.need_obj(key).renamed(self.where).each("nodes", noun)

    def each(self, key: str, noun: str) -> Iterable[Fields]:
        """The objects of a required list, each named by its position until it names itself."""
        for position, value in enumerate(self.need(key, json_list), start=1):
            yield Fields.of(value, f"{noun} #{position} of {self.where}")

    def each_if_any(self, key: str, noun: str) -> Iterable[Fields]:
        """`each`, of a list that may be missing or null."""
        return self.each(key, noun) if self.data.get(key) is not None else ()
