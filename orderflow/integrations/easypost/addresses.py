"""Addresses: ours as EasyPost's params, and EasyPost's verified answer as ours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...fulfilment.types import Address, VerifiedAddress
from .fields import obj, optional_obj, reading, text
from .messages import field_messages


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


@reading
def address_from_easypost(d: Any, sent: Address | None = None) -> VerifiedAddress:
    """An Address answer of create (verify=true); `sent` tells whether EasyPost corrected it."""
    d = obj(d, "address")
    address = _address(d)
    verifications = optional_obj(d.get("verifications"), "verifications")
    check = optional_obj(verifications.get("delivery"), "verifications.delivery")
    deliverable = check.get("success") is True
    messages = field_messages(check.get("errors"), "verifications.delivery.errors")
    if not check:
        messages = ("EasyPost did not verify this address.",)
    corrected = sent is not None and _differs(sent, address)
    return VerifiedAddress(address, deliverable, corrected, messages if not deliverable else ())


def _address(d: Mapping[str, Any]) -> Address:
    return Address(
        name=text(d, "name"),
        company=text(d, "company"),
        address1=text(d, "street1"),
        address2=text(d, "street2") or None,
        city=text(d, "city"),
        province_code=text(d, "state"),
        zip=text(d, "zip"),
        country_code=text(d, "country"),
        phone=text(d, "phone"),
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


def _squash(words: str) -> str:
    return " ".join(re.sub(r"[.,#]", " ", words).upper().split())
