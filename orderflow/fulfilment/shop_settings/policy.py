"""How a shop chooses among rates, in its settings (`policy`), read into a `SelectionPolicy`:
the mode, excluded and preferred carriers and services, a maximum cost, a minimum reliability
and a promise in days. Shares are 0..1 (0.05 is 5%)."""

from __future__ import annotations

from decimal import Decimal

from ..carrier_selection import MODES, SelectionPolicy
from ..types import Money
from .values import SettingsError, read_decimal

POLICY_KEYS = ("mode", "excluded_carriers", "excluded_services", "max_cost", "preferred",
               "preference_margin", "min_reliability", "max_days")


def read_policy(data, currency: str) -> SelectionPolicy:
    if not isinstance(data, dict):
        raise SettingsError("policy", "give an object with " + ", ".join(POLICY_KEYS))
    for key in data:
        if key not in POLICY_KEYS:
            raise SettingsError(f"policy.{key}", f"unknown setting; use {', '.join(POLICY_KEYS)}")
    mode = data.get("mode", "cheapest")
    if mode not in MODES:
        raise SettingsError("policy.mode", f"use one of {', '.join(MODES)}")
    max_cost = read_decimal(data, "max_cost", "policy.max_cost")
    margin = _share(data, "preference_margin")
    return SelectionPolicy(
        mode=mode, excluded_carriers=frozenset(_names(data, "excluded_carriers")),
        excluded_services=frozenset(_services(data, "excluded_services", pairs_only=True)),
        max_cost=Money(max_cost, currency) if max_cost is not None else None,
        preferred=tuple(_services(data, "preferred")),
        preference_margin=margin if margin is not None else Decimal(0),
        min_reliability=_float(_share(data, "min_reliability")), max_days=_days(data),
    )


def _share(data: dict, key: str) -> Decimal | None:
    """A share from 0 to 1: 0.05 is 5%."""
    number = read_decimal(data, key, f"policy.{key}")
    if number is not None and number > 1:
        raise SettingsError(f"policy.{key}", "give a share from 0 to 1, such as 0.05 for 5%")
    return number


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _days(data: dict) -> int | None:
    value = data.get("max_days")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 60:
        raise SettingsError("policy.max_days", "give a whole number of days from 1 to 60")
    return value


def _names(data: dict, key: str) -> list[str]:
    names = data.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise SettingsError(f"policy.{key}", "give a list of carrier names, such as [\"UPS\"]")
    return [n.strip() for n in names]


def _services(data: dict, key: str, pairs_only: bool = False) -> list[str | tuple[str, str]]:
    """Carriers ("UPS") and carrier services (["UPS", "Ground"])."""
    entries, picked = data.get(key, []), []
    if not isinstance(entries, list):
        raise SettingsError(f"policy.{key}", "give a list")
    for entry in entries:
        if isinstance(entry, str) and entry.strip() and not pairs_only:
            picked.append(entry.strip())
        elif (isinstance(entry, (list, tuple)) and len(entry) == 2
              and all(isinstance(part, str) and part.strip() for part in entry)):
            picked.append((entry[0].strip(), entry[1].strip()))
        else:
            example = '["UPS", "Ground"]' if pairs_only else '"UPS" or ["UPS", "Ground"]'
            raise SettingsError(f"policy.{key}",
                                f"{entry!r} is not a carrier service; give {example}")
    return picked
