"""Ship-from addresses in a shop's settings: the default `origin` and the `origins` per Shopify
location, and every problem of an address by field, for a form to show at once."""

from __future__ import annotations

import re

from ..types import Address
from .values import SettingsError, read_text

# What carriers need to print a ship-from address on a label, and what to say when it is missing.
REQUIRED_ADDRESS = {
    "address1": "give the street address",
    "city": "give the city or town",
    "zip": "give the postal or ZIP code",
    "country_code": "give the two-letter country code, such as US or GB",
}
ADDRESS_FIELDS = tuple(Address.__dataclass_fields__)
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
_NEEDS_PROVINCE = ("US", "CA", "AU")


def address_problems(data: dict) -> dict[str, str]:
    """Every problem of a ship-from address, by field: a form shows them all at once."""
    problems = {key: "unknown address field" for key in data if key not in ADDRESS_FIELDS}
    problems |= {key: "give text" for key in ADDRESS_FIELDS
                 if data.get(key) is not None and not isinstance(data[key], str)}
    text = {key: read_text(data.get(key)) for key in ADDRESS_FIELDS}
    problems |= {key: advice for key, advice in REQUIRED_ADDRESS.items() if not text[key]}
    if not (text["name"] or text["company"]):
        problems["name"] = "give a name or a company: carriers print it on the label"
    country = text["country_code"]
    if country and not _COUNTRY_CODE.fullmatch(country):
        problems["country_code"] = REQUIRED_ADDRESS["country_code"]
    if country in _NEEDS_PROVINCE and not text["province_code"]:
        problems["province_code"] = "give the state or province code, such as NY or ON"
    return {key: problems[key] for key in (*ADDRESS_FIELDS, *data) if key in problems}


def read_address(data, path: str = "origin") -> Address | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SettingsError(path, "give an address object")
    problems = address_problems(data)
    if problems:
        key, problem = next(iter(problems.items()))
        raise SettingsError(f"{path}.{key}", problem)
    return Address(**{key: read_text(data.get(key)) for key in ADDRESS_FIELDS})


def read_origins(data) -> dict[str, Address]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError("origins", "give an object keyed by the Shopify location's name")
    for name in data:
        if not name.strip():
            raise SettingsError("origins", "name the Shopify location each address ships for")
    return {name: read_address(address, f"origins.{name}") for name, address in data.items()}


def address_problems_by_path(data: dict) -> dict[str, str]:
    """Every problem of every ship-from address in a settings document, by document path."""
    addresses = {"origin": data.get("origin")}
    if isinstance(data.get("origins"), dict):
        addresses |= {f"origins.{name}": a for name, a in data["origins"].items()}
    return {f"{path}.{key}": problem for path, address in addresses.items()
            if isinstance(address, dict) for key, problem in address_problems(address).items()}
