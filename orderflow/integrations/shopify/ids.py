"""Shopify's global ids (`gid://shopify/<Kind>/<id>`) and our integer ids, both ways."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .. import json_readers as read
from ..json_readers import Fault, Unreadable
from .readers import SHOPIFY_GID, PayloadError, shorten

_GID = re.compile(r"gid://shopify/([A-Za-z][A-Za-z0-9]*)/([0-9]{1,19})(\?.*)?", re.DOTALL)
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def gid_to_id(gid: str, kind: str | None = None) -> int:
    """The numeric id in `gid://shopify/<Kind>/<id>`, checking the kind when one is given."""
    match = _GID.fullmatch(gid) if isinstance(gid, str) else None
    if match is None or (kind is not None and match[1] != kind):
        raise PayloadError(f"{shorten(gid)} is not a Shopify {kind or 'global'} id")
    number = int(match[2])
    if not 0 < number <= read.INT64_MAX:
        raise PayloadError(f"{shorten(gid)} has an out-of-range id")
    return number


def id_to_gid(kind: str, id: int) -> str:
    if not (isinstance(kind, str) and _KIND.fullmatch(kind)):
        raise ValueError(f"{kind!r} is not a Shopify resource kind")
    if isinstance(id, bool) or not isinstance(id, int) or not 0 < id <= read.INT64_MAX:
        raise ValueError(f"{id!r} is not a Shopify id")
    return f"gid://shopify/{kind}/{id}"


def gid_id(kind: str) -> Callable[[Any], int]:
    """A reader (readers.py) of a gid of `kind`, giving its integer id."""
    def parse(value: Any, what: str = "") -> int:
        try:
            return gid_to_id(value, kind)
        except PayloadError:
            raise Unreadable(value, SHOPIFY_GID, Fault.FORM, what) from None

    return parse


def canonical_gid(kind: str) -> Callable[[Any], str]:
    """A reader of a gid in one spelling, so gids from different responses compare equal as dict
    keys."""
    parse_id = gid_id(kind)
    return lambda value: id_to_gid(kind, parse_id(value))
