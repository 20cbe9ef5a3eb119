"""The shared JSON readers on edge values, and each adapter's reading where the two differ."""

import math
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderflow.integrations import json_readers as read
from orderflow.integrations.json_readers import INT32_MAX, INT64_MAX, Expected, Fault, Unreadable


def refused(reader, value, **options) -> Unreadable:
    with pytest.raises(Unreadable) as caught:
        reader(value, "where", **options)
    assert caught.value.value is value and caught.value.what == "where"
    return caught.value


# --- structure -----------------------------------------------------------------------------------


def test_an_object_is_a_dict_unless_any_mapping_is_asked():
    proxy = MappingProxyType({"a": 1})
    assert read.json_object(OrderedDict(a=1)) == {"a": 1}
    assert refused(read.json_object, proxy).expected is Expected.OBJECT
    assert read.json_object(proxy, any_mapping=True) is proxy


@pytest.mark.parametrize("junk", [None, [], "{}", 0, True, ({"a": 1},)])
def test_what_is_not_an_object_is_refused_as_the_wrong_type(junk):
    assert refused(read.json_object, junk, any_mapping=True).fault is Fault.TYPE


@pytest.mark.parametrize("junk", [None, (), {"0": 1}, "[]", range(2)])
def test_a_list_is_a_json_array_only(junk):
    assert read.json_list([None, [{}]]) == [None, [{}]]
    assert refused(read.json_list, junk).expected is Expected.LIST


def test_optional_leaves_a_null_to_the_caller_and_reads_anything_else():
    assert read.optional(None, read.flag) is None
    assert read.optional(False, read.flag) is False
    with pytest.raises(Unreadable):
        read.optional(0, read.flag)


# --- text and flags ------------------------------------------------------------------------------


def test_text_is_kept_as_sent_or_trimmed_with_blank_as_nothing():
    assert read.text("  Zoë \n") == "  Zoë \n"
    assert read.text("") == ""
    assert read.trimmed_text("  Zoë \n") == "Zoë"
    assert read.trimmed_text(" \t ") is None


@pytest.mark.parametrize("junk", [None, 7, 7.0, True, ["a"], {"a": "b"}, b"bytes"])
def test_text_of_another_type_is_refused(junk):
    assert refused(read.text, junk).expected is Expected.TEXT
    assert refused(read.trimmed_text, junk).fault is Fault.TYPE


@pytest.mark.parametrize("junk", [0, 1, "true", "false", None, 1.0, []])
def test_a_flag_is_a_json_boolean_only(junk):
    assert read.flag(True) is True and read.flag(False) is False
    assert refused(read.flag, junk).expected is Expected.FLAG


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", [read.integer, read.count, read.numeric_id])
@pytest.mark.parametrize("boolean", [True, False])
def test_a_bool_never_poses_as_a_number(reader, boolean):
    assert refused(reader, boolean).fault is Fault.TYPE


def test_integers_are_bounded_to_32_bits_unless_told():
    assert read.integer(-INT32_MAX) == -INT32_MAX
    assert refused(read.integer, INT32_MAX + 1).fault is Fault.RANGE
    assert read.integer(10**30, bound=None) == 10**30


@pytest.mark.parametrize("junk", [3.0, 3.5, "3", math.nan, math.inf, None, [3]])
def test_a_strict_integer_refuses_floats_even_whole_ones(junk):
    assert refused(read.integer, junk).fault is Fault.TYPE


def test_integral_floats_read_whole_floats_of_any_size_and_nothing_else():
    assert read.integer(2.0, integral_floats=True, bound=None) == 2
    assert read.integer(-0.0, integral_floats=True) == 0
    assert read.integer(1e300, integral_floats=True, bound=None) == int(1e300)
    for junk in (2.5, math.nan, math.inf, -math.inf, "2"):
        assert refused(read.integer, junk, integral_floats=True, bound=None).fault is Fault.TYPE


def test_a_count_is_not_negative_and_range_is_checked_first():
    assert read.count(0) == 0 and read.count(INT32_MAX) == INT32_MAX
    assert refused(read.count, -1).fault is Fault.NEGATIVE
    assert refused(read.count, -(2**40)).fault is Fault.RANGE


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), (INT64_MAX, INT64_MAX), ("820982911946154508", 820982911946154508),
     ("0009", 9), (str(INT64_MAX), INT64_MAX)],
)
def test_an_id_is_a_positive_64_bit_integer_or_digit_string(value, expected):
    assert read.numeric_id(value) == expected


@pytest.mark.parametrize(
    ("junk", "fault"),
    [
        (0, Fault.RANGE),
        (-5, Fault.RANGE),
        (2**63, Fault.RANGE),
        (str(2**63), Fault.RANGE),  # 19 digits, read, then out of range
        ("99999999999999999999", Fault.TYPE),  # 20 digits: never read as a number
        (8.20982911946154508e17, Fault.TYPE),  # a float has already lost digits of an id
        (450789469.0, Fault.TYPE),
        ("12a", Fault.TYPE),
        ("-5", Fault.TYPE),
        (" 5", Fault.TYPE),
        ("٣", Fault.TYPE),  # a digit, but not ASCII
        ("", Fault.TYPE),
        (None, Fault.TYPE),
    ],
)
def test_what_is_not_an_id_is_refused(junk, fault):
    assert refused(read.numeric_id, junk).fault is fault


# --- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("89.99", Decimal("89.99")), (" -12.30 ", Decimal("-12.30")), (0, Decimal(0)),
     (10**40, Decimal(10**40)), ("007", Decimal(7))],
)
def test_an_amount_is_a_json_integer_or_a_plain_decimal_string(value, expected):
    got = read.amount(value)
    assert got == expected and str(got) == str(expected)


@pytest.mark.parametrize(
    ("junk", "fault"),
    [
        (89.99, Fault.TYPE),
        (math.nan, Fault.TYPE),
        (math.inf, Fault.TYPE),
        (True, Fault.TYPE),
        (None, Fault.TYPE),
        ({"amount": "1"}, Fault.TYPE),
        ("NaN", Fault.FORM),
        ("Infinity", Fault.FORM),
        ("-inf", Fault.FORM),
        ("sNaN", Fault.FORM),
        ("1e3", Fault.FORM),
        ("1E+3", Fault.FORM),
        ("1_000", Fault.FORM),
        ("+1", Fault.FORM),
        (".5", Fault.FORM),
        ("1.", Fault.FORM),
        ("٣", Fault.FORM),
        ("", Fault.FORM),
        ("1,00", Fault.FORM),
    ],
)
def test_a_strict_amount_refuses_floats_and_every_other_notation(junk, fault):
    error = refused(read.amount, junk)
    assert (error.expected, error.fault) == (Expected.AMOUNT, fault)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (51.2, "51.2"),  # the digits written, not 51.2000000000000028...
        (0.1, "0.1"),
        (1e300, "1E+300"),
        (7, "7"),
        (" 6.07 ", "6.07"),
        ("1e3", "1E+3"),
        ("1_000", "1000"),
        ("+1", "1"),
        (".5", "0.5"),
        ("٣", "3"),
        ("-0", "-0"),
    ],
)
def test_a_lenient_amount_reads_numbers_and_any_finite_decimal_literal(value, expected):
    got = read.lenient_amount(value)
    assert got == Decimal(expected) and got.is_finite()


def test_amounts_read_an_int_too_long_for_str():
    huge = 10**5000  # JSON cannot send it (Python's decoder refuses it); Decimal holds it
    assert read.amount(huge) == read.lenient_amount(huge) == Decimal(huge)


@pytest.mark.parametrize(
    ("junk", "fault"),
    [
        (math.nan, Fault.TYPE),  # NaN and Infinity are not JSON numbers
        (math.inf, Fault.TYPE),
        (-math.inf, Fault.TYPE),
        (True, Fault.TYPE),
        (None, Fault.TYPE),
        ([1], Fault.TYPE),
        ("NaN", Fault.FORM),
        ("-Infinity", Fault.FORM),
        ("sNaN", Fault.FORM),
        ("six", Fault.FORM),
        ("", Fault.FORM),
    ],
)
def test_a_lenient_amount_still_refuses_what_is_not_finite(junk, fault):
    assert refused(read.lenient_amount, junk).fault is fault


@pytest.mark.parametrize("value", ["USD", "usd", " eUr\n"])
def test_a_currency_is_three_ascii_letters_in_capitals(value):
    assert read.currency(value) == value.strip().upper()
    assert read.currency(value, upper_first=True) == value.strip().upper()


@pytest.mark.parametrize("junk", [None, 840, 840.0, True, ["USD"], {"code": "USD"}])
def test_a_currency_of_another_type_is_refused(junk):
    error = refused(read.currency, junk)
    assert (error.expected, error.fault) == (Expected.CURRENCY, Fault.TYPE)


@pytest.mark.parametrize("junk", ["US", "USDT", "U5D", "", "ÜSD", "us d"])
def test_what_is_not_a_currency_code_is_refused(junk):
    assert refused(read.currency, junk).fault is Fault.FORM
    assert refused(read.currency, junk, upper_first=True).fault is Fault.FORM


def test_upper_first_lets_non_ascii_letters_whose_capital_is_ascii_pass():
    assert refused(read.currency, "uſd").fault is Fault.FORM  # ſ, the long s
    assert read.currency("uſd", upper_first=True) == "USD"
    assert read.currency("ıqd", upper_first=True) == "IQD"  # ı, the dotless i
    assert refused(read.currency, "ußd", upper_first=True).fault is Fault.FORM  # ß → SS: 4 letters


# --- time ----------------------------------------------------------------------------------------

EST = timezone(timedelta(hours=-5))


def test_a_naive_timestamp_is_taken_as_utc():
    for options in ({}, {"in_utc": False}):
        assert read.timestamp("2024-05-01T10:00:00", **options) == datetime(
            2024, 5, 1, 10, tzinfo=UTC
        )
        assert read.timestamp("2024-05-01T10:00:00", **options).tzinfo is UTC


def test_a_timestamp_is_moved_to_utc_unless_its_offset_is_kept():
    moment = read.timestamp("2025-03-10T23:00:00-05:00")
    assert moment == datetime(2025, 3, 11, 4, tzinfo=UTC) and moment.tzinfo is UTC
    kept = read.timestamp("2025-03-10T23:00:00-05:00", in_utc=False)
    assert kept == moment and kept.utcoffset() == timedelta(hours=-5)
    assert kept.date() == date(2025, 3, 10)


def test_z_and_date_only_timestamps_are_read():
    assert read.timestamp("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert read.timestamp("2024-05-01") == datetime(2024, 5, 1, tzinfo=UTC)


def test_padding_around_a_timestamp_is_refused_unless_allowed():
    assert refused(read.timestamp, " 2024-05-01T10:00:00Z\n").fault is Fault.FORM
    assert read.timestamp(" 2024-05-01T10:00:00Z\n", padded=True) == datetime(
        2024, 5, 1, 10, tzinfo=UTC
    )


def test_a_timestamp_that_leaves_the_calendar_in_utc_is_unreadable_there_only():
    assert refused(read.timestamp, "0001-01-01T00:00:00+01:00").fault is Fault.FORM
    assert refused(read.timestamp, "9999-12-31T23:59:59-01:00").fault is Fault.FORM
    kept = read.timestamp("0001-01-01T00:00:00+01:00", in_utc=False)
    assert kept.year == 1


@pytest.mark.parametrize(
    ("junk", "fault"),
    [
        ("yesterday", Fault.FORM),
        ("", Fault.FORM),
        ("2024-13-01T00:00:00Z", Fault.FORM),
        ("2024-05-01T25:00:00Z", Fault.FORM),
        (1714557600, Fault.TYPE),  # epoch seconds are not a timestamp here
        (1714557600.0, Fault.TYPE),
        (None, Fault.TYPE),
        (True, Fault.TYPE),
        ({"date": "2024-05-01"}, Fault.TYPE),
    ],
)
def test_what_is_not_a_timestamp_is_refused(junk, fault):
    for options in ({}, {"in_utc": False, "padded": True}):
        assert refused(read.timestamp, junk, **options).fault is fault


def test_a_date_is_an_iso_calendar_date():
    assert read.iso_date("2025-03-10") == date(2025, 3, 10)
    assert read.iso_date(" 2025-03-10 ", padded=True) == date(2025, 3, 10)
    assert refused(read.iso_date, " 2025-03-10 ").fault is Fault.FORM
    assert refused(read.iso_date, "2025-02-30").fault is Fault.FORM
    assert refused(read.iso_date, 20250310).fault is Fault.TYPE


# --- the neutral exception -----------------------------------------------------------------------


def test_unreadable_says_where_what_was_expected_and_what_came():
    assert str(Unreadable(None, Expected.AMOUNT, what="rate.rate")) == (
        "rate.rate: expected an amount, got None"
    )
    assert str(Unreadable("x", Expected.TIMESTAMP, Fault.FORM, "at")) == "at: 'x' is not a datetime"
    assert str(Unreadable(2**40, Expected.INTEGER, Fault.RANGE)) == (
        "value: 1099511627776 is out of range"
    )
    assert str(Unreadable(None, Expected.TEXT, Fault.MISSING, "id")) == "id is missing"
    assert isinstance(Unreadable(1, Expected.TEXT), ValueError)


def test_unreadable_shortens_what_came_and_survives_an_int_without_repr():
    long = str(Unreadable("x" * 500, Expected.TEXT, Fault.FORM, "note"))
    assert len(long) < 100 and long.endswith("... is not a string")
    assert "<int>" in str(Unreadable(10**5000, Expected.INTEGER, Fault.RANGE))


def test_an_adapter_may_name_its_own_expectation():
    error = Unreadable("gid://x/1", "a Shopify LineItem id", Fault.FORM, "id")
    assert str(error) == "id: 'gid://x/1' is not a Shopify LineItem id"


# --- nothing but a value or Unreadable, whatever arrives ------------------------------------------

_junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**31 - 2, max_value=2**64)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["NaN", "-Infinity", "1e999999", "1e-999999", "٣٤", " 1 ", "USD", "ﬀa",
                       "2024-05-01T10:00:00", "0001-01-01T00:00:00+01:00", "2025-W10-1"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=6,
)

_READERS = [
    read.json_object,
    read.json_list,
    read.text,
    read.trimmed_text,
    read.flag,
    read.integer,
    read.count,
    read.numeric_id,
    read.amount,
    read.lenient_amount,
    read.currency,
    read.timestamp,
    read.iso_date,
    lambda v, w: read.json_object(v, w, any_mapping=True),
    lambda v, w: read.integer(v, w, bound=None, integral_floats=True),
    lambda v, w: read.currency(v, w, upper_first=True),
    lambda v, w: read.timestamp(v, w, in_utc=False, padded=True),
    lambda v, w: read.iso_date(v, w, padded=True),
]


@settings(max_examples=400, deadline=None)
@given(_junk)
def test_every_reader_returns_or_raises_unreadable_with_a_sentence(value):
    for reader in _READERS:
        try:
            reader(value, "field")
        except Unreadable as error:
            assert str(error).startswith("field")
