"""The shop's own EasyPost account, in its settings (`carrier_account`): the key stays encrypted
(with svc.box) and is never stored or shown in clear; only its last 4 characters and its mode."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .values import SettingsError, read_text

# EasyPost's keys: EZAK… for production, EZTK… for test mode.
_EASYPOST_KEY = re.compile(r"EZ([AT])K[A-Za-z0-9_-]{8,200}")


@dataclass(frozen=True)
class CarrierAccount:
    """The shop's own EasyPost account; the key stays encrypted until the carrier client needs it
    (`svc.box.decrypt(account.api_key_encrypted)`)."""

    api_key_encrypted: str = field(repr=False)
    last4: str
    mode: str  # "test" or "production", from the key's prefix
    label: str | None = None


def carrier_key_problem(key: str) -> str | None:
    """Why a pasted EasyPost API key cannot be right, or None."""
    if not _EASYPOST_KEY.fullmatch(key):
        return ("an EasyPost API key starts with EZAK (production) or EZTK (test) and has no "
                "spaces: copy it from API Keys in your EasyPost dashboard")
    return None


def carrier_key_mode(key: str) -> str:
    return "test" if key.startswith("EZTK") else "production"


def read_carrier_account(data) -> CarrierAccount | None:
    if data is None:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("api_key"), str):
        raise SettingsError("carrier_account",
                            "give the encrypted key, its last 4 characters and mode")
    label = data.get("label")
    if label is not None and not isinstance(label, str):
        raise SettingsError("carrier_account.label", "give text")
    mode = data.get("mode") if data.get("mode") in ("test", "production") else "production"
    return CarrierAccount(data["api_key"], str(data.get("last4") or ""), mode, read_text(label))
