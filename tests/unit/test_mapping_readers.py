"""Shopify reads its JSON through the shared readers, with their strict defaults, and names what
it cannot use in its own words."""

from types import MappingProxyType

import pytest

from orderflow.integrations import json_readers as read
from orderflow.integrations.json_readers import Fault, Unreadable
from orderflow.integrations.shopify.ids import canonical_gid, gid_id
from orderflow.integrations.shopify.readers import (
    SHOPIFY_GID,
    Fields,
    PayloadError,
    clamped_count,
    lower_text,
    text_list,
    upper_text,
)


def refusal(value, parse):
    with pytest.raises(PayloadError) as refused:
        Fields.of({"key": value}, "order 5").get("key", parse)
    return str(refused.value)


@pytest.mark.parametrize(
    ("value", "parse", "problem"),
    [
        ([], read.json_object, "a non-object"),
        ({}, read.json_list, "a non-list"),
        (5, read.trimmed_text, "a non-text"),
        ("true", read.flag, "a non-boolean"),
        (3.0, read.integer, "a non-integer"),
        (2**31, read.integer, "an out-of-range"),
        (-1, read.count, "a negative"),
        (1.0, read.numeric_id, "a non-integer"),
        (0, read.numeric_id, "an out-of-range"),
        (2.5, read.amount, "an unreadable"),
        ("1e3", read.amount, "an unreadable"),
        ("US", read.currency, "an unknown"),
        (5, read.currency, "an unknown"),
        (5, read.timestamp, "an unreadable"),
        ("yesterday", read.timestamp, "an unreadable"),
        ("gid://shopify/Order/5", gid_id("LineItem"), "a malformed"),
        ("gid://shopify/Order/5", canonical_gid("LineItem"), "a malformed"),
        (True, clamped_count, "a non-integer"),
        (5, lower_text, "a non-text"),
        ([5], text_list, "a non-text"),
    ],
)
def test_a_value_a_reader_refuses_is_named_with_its_key(value, parse, problem):
    assert refusal(value, parse) == f"order 5 has {problem} key"


@pytest.mark.parametrize(
    ("value", "parse"),
    [
        (MappingProxyType({}), read.json_object),  # EasyPost reads any mapping; Shopify only a dict
        (3.0, read.integer),  # EasyPost reads integral floats
        (2**40, read.integer),  # EasyPost reads any size
        ("uſd", read.currency),  # EasyPost upper-cases first
        (" 2024-05-01T10:00:00Z", read.timestamp),  # EasyPost allows padding
        ("+1.5", read.amount),  # EasyPost reads any Decimal literal
    ],
)
def test_shopify_keeps_the_stricter_readings(value, parse):
    with pytest.raises(PayloadError):
        Fields.of({"key": value}, "order 5").get("key", parse)


def test_shopify_readers_keep_shopify_null_conventions():
    fields = Fields.of({"blank": "  ", "null": None, "edited": -2, "status": " paid "}, "order 5")

    assert fields.get("blank", read.trimmed_text) is None
    assert fields.get("null", read.integer) is None
    assert fields.get("missing", read.flag) is None
    assert fields.get("edited", clamped_count) == 0
    assert fields.get("status", upper_text) == "PAID"
    assert read.timestamp("2024-05-01T10:00:00-05:00").utcoffset().total_seconds() == 0


def test_a_gid_reader_raises_the_shared_unreadable():
    with pytest.raises(Unreadable) as refused:
        gid_id("Order")("gid://shopify/Order/x", "id")

    assert (refused.value.expected, refused.value.fault, refused.value.what) == (
        SHOPIFY_GID,
        Fault.FORM,
        "id",
    )
    assert canonical_gid("Order")("gid://shopify/Order/0005") == "gid://shopify/Order/5"
