"""The readers every section of a shop's settings document shares, and the error they raise.

A `SettingsError` names the field by its path in the document ("boxes.0.inner",
"origins.Brooklyn.zip"), so the admin's forms can show it next to the field.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..types import Dimensions


class SettingsError(ValueError):
    def __init__(self, field_name: str, problem: str):
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem


def read_decimal(data: dict, key: str, path: str | None = None) -> Decimal | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SettingsError(path or key, f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise SettingsError(path or key, "must be a positive number")
    return number


def read_dimensions(data, key: str) -> Dimensions:
    try:
        length, width, height = (Decimal(str(v)) for v in data[:3])
        unit = data[3] if len(data) > 3 else "in"
    except (TypeError, ValueError, InvalidOperation, IndexError):
        raise SettingsError(key, "give [length, width, height, unit]") from None
    if min(length, width, height) <= 0 or unit not in ("in", "cm"):
        raise SettingsError(key, "dimensions must be positive, in 'in' or 'cm'")
    return Dimensions(length, width, height, unit)


def read_text(value) -> str | None:
    """Stripped text, or None for anything blank or not text."""
    return value.strip() or None if isinstance(value, str) else None
