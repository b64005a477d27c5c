"""The date forms of docs/ceql.md read as epoch milliseconds."""

import sys

import pytest

from source_sendoso.ceql.instants import instant_ms, parse_by_arithmetic, parse_with_datetime

# The datetime reader relies on Python 3.11's fromisoformat (3.10 falls back to arithmetic).
READERS = [instant_ms, parse_by_arithmetic] + ([parse_with_datetime] if sys.version_info >= (3, 11) else [])


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2017-01-01", 1483228800000),
        ("2013-04-24 11:19:25", 1366802365000),
        ("2016-08-05T09:35:38Z", 1470389738000),
        ("2018-01-15T00:00:00.000Z", 1515974400000),
        ("2012-05-25T11:13:29-0500", 1337962409000),
        ("2020-05-01T13:53:05.000-07:00", 1588366385000),
    ],
)
def test_every_documented_date_form_reads_as_utc_milliseconds(read, text, expected):
    assert read(text) == expected


@pytest.mark.parametrize("read", READERS)
def test_positive_offset_is_subtracted(read):
    assert read("2020-05-01T05:30:00+05:30") == read("2020-05-01T00:00:00Z")


@pytest.mark.parametrize("read", READERS)
def test_fraction_beyond_milliseconds_is_truncated(read):
    assert read("2020-01-01T00:00:00.9999999Z") == read("2020-01-01T00:00:00.999Z")
    assert read("2020-01-01T00:00:00.5Z") == read("2020-01-01T00:00:00.500Z")


@pytest.mark.parametrize("read", READERS)
def test_instants_before_1970_are_negative_and_truncate_the_same_way(read):
    assert read("1969-12-31T23:59:59.9999Z") == -1


@pytest.mark.parametrize("read", READERS)
def test_leap_day_only_in_leap_years(read):
    assert read("2024-02-29") is not None
    assert read("2000-02-29") is not None
    assert read("1900-02-29") is None
    assert read("2023-02-29") is None


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize(
    "text",
    [
        "2017-1-01",  # two-digit month
        "2017-13-01",
        "2017-01-32",
        "0000-01-01",  # no year zero
        "2017-01-01T",
        "2017-01-01T10:00",  # seconds are required
        "2017-01-01T24:00:00Z",
        "2017-01-01T10:60:00Z",
        "2017-01-01T10:00:60Z",
        "2017-01-01t10:00:00z",  # T and Z are upper case
        "2017-01-01T10:00:00.Z",
        "2017-01-01T10:00:00+05",
        "2017-01-01T10:00:00+24:00",
        "2017-01-01T10:00:00+05:60",
        "2017-01-01Z",
        "2017-01-01 ",
        "2017-W01-1",
        "20170101",
        "٢٠١٧-٠١-٠١",  # other scripts' digits
        "2017-01-01T10:00:00Z trailing",
    ],
)
def test_text_outside_the_date_forms_is_not_an_instant(read, text):
    assert read(text) is None
