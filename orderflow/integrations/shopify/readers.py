"""Shopify's JSON read through the shared readers (`integrations.json_readers`).

A reader takes one JSON value and returns it typed, or raises `Unreadable`; Shopify reads with
the shared readers' defaults, the stricter reading, and adds here only what is its own. `Fields`
applies readers to the keys of one JSON object and turns `Unreadable` into a `PayloadError` that
names the object and the key ("order 5 has a non-integer quantity"). Missing keys and nulls read
as None, so only what the caller `need`s is required; blank text reads as None too; a value of
the wrong type is an error, never a guess. ids.py adds Shopify's global ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .. import json_readers as read
from ..json_readers import Expected, Fault, Unreadable

_T = TypeVar("_T")

SHOPIFY_GID = "a Shopify global id"  # what ids.py's readers expect
_PROBLEMS = {  # completes "<where> has <problem> <key>"
    Expected.OBJECT: "a non-object",
    Expected.LIST: "a non-list",
    Expected.TEXT: "a non-text",
    Expected.FLAG: "a non-boolean",
    Expected.INTEGER: "a non-integer",
    Expected.ID: "a non-integer",
    Expected.AMOUNT: "an unreadable",
    Expected.CURRENCY: "an unknown",
    Expected.TIMESTAMP: "an unreadable",
    SHOPIFY_GID: "a malformed",
}


class PayloadError(ValueError):
    """A payload we cannot use; the message says which part and why."""


def _problem(unreadable: Unreadable) -> str:
    """What was wrong, in the words Shopify's messages have always used."""
    if unreadable.fault is Fault.RANGE:
        return "an out-of-range"
    if unreadable.fault is Fault.NEGATIVE:
        return "a negative"
    return _PROBLEMS[unreadable.expected]


def shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- Shopify's readers of one JSON value, on the shared ones ----------------------------------


def clamped_count(value: Any) -> int:
    """Shopify can report a negative count left to fulfil after edits; that means none left."""
    return max(read.integer(value), 0)


def lower_text(value: Any) -> str | None:
    text = read.trimmed_text(value)
    return text.lower() if text else None


def upper_text(value: Any) -> str | None:
    text = read.trimmed_text(value)
    return text.upper() if text else None


def text_list(value: Any) -> list[str | None]:
    return [read.trimmed_text(item) for item in read.json_list(value)]


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
        except Unreadable as unreadable:
            raise PayloadError(f"{self.where} has {_problem(unreadable)} {key}") from None

    def need(self, key: str, parse: Callable[[Any], _T]) -> _T:
        value = self.get(key, parse)
        if value is None:
            raise PayloadError(f"{self.where} has no {key}")
        return value

    def obj(self, key: str) -> Fields | None:
        value = self.get(key, read.json_object)
        return None if value is None else Fields(value, f"{self.where} {key}")

    def need_obj(self, key: str) -> Fields:
        return Fields(self.need(key, read.json_object), f"{self.where} {key}")

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
        for position, value in enumerate(self.need(key, read.json_list), start=1):
            yield Fields.of(value, f"{noun} #{position} of {self.where}")

    def each_if_any(self, key: str, noun: str) -> Iterable[Fields]:
        """`each`, of a list that may be missing or null."""
        return self.each(key, noun) if self.data.get(key) is not None else ()
