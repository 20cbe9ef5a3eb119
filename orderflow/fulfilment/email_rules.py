"""What a shop's tracking emails may say and look like: the kinds of customer email, the merchant's
own wording (its limits and placeholders), and the checks on the shop's colour, addresses and links.

Pure rules shared by the settings document (`shop_settings`) and the renderer (`emails.render`),
so a setting that reads well here is one the email can use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from urllib.parse import urlsplit

DEFAULT_COLOUR = "#2c6ecb"
KINDS = ("shipped", "out_for_delivery", "delivered", "problem")

# What a merchant's own subject line and opening paragraph may name; filled in by replacement,
# never str.format, so their text cannot reach anything else.
PLACEHOLDERS = ("order", "shop")
SUBJECT_MAX = 150
INTRO_MAX = 1000
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


@dataclass(frozen=True)
class Wording:
    """The merchant's own subject line and opening paragraph for one kind of email."""

    subject: str | None = None
    intro: str | None = None


def is_hex_colour(value) -> bool:
    return isinstance(value, str) and _HEX_COLOUR.fullmatch(value) is not None


def is_web_url(value, schemes: tuple[str, ...] = ("http", "https")) -> bool:
    """An absolute http(s) address without whitespace: nothing `javascript:` or relative."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return False
    if any(c.isspace() or ord(c) < 32 for c in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme.lower() in schemes and bool(parts.hostname)
    except ValueError:  # an unclosed [IPv6] host
        return False


def is_https_url(value) -> bool:
    return is_web_url(value, ("https",))


def is_email_address(value) -> bool:
    """A plain address (`name@example.com`), as a merchant would type it; no display name."""
    if not isinstance(value, str) or len(value) > 320 or any(c.isspace() for c in value):
        return False
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError):
        return False
    labels = address.domain.split(".")
    return bool(address.username) and len(labels) > 1 and all(labels) and address.addr_spec == value


def wording_problem(text: str, max_length: int) -> str | None:
    """Why a merchant's subject or intro cannot be used, or None."""
    if len(text) > max_length:
        return f"keep it to {max_length} characters (this has {len(text)})"
    unknown = [name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    if unknown:
        return (f"{{{unknown[0]}}} is not something we can fill in: use "
                + " or ".join(f"{{{name}}}" for name in PLACEHOLDERS))
    return None


def fill_placeholders(text: str, **values: str) -> str:
    """The merchant's text with each known {placeholder} replaced; anything else left as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
