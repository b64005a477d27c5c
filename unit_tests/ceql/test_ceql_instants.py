"""The connector's clock: the date forms of docs/ceql.md read as epoch milliseconds, and
every instant written in the one form `YYYY-MM-DDTHH:MM:SS.mmmZ`."""

import sys
from datetime import datetime, timedelta, timezone

import ceql_strategies
import pytest
from hypothesis import HealthCheck, given, settings

from source_sendoso.ceql.instants import (
    instant,
    instant_ms,
    is_utc_text,
    parse_by_arithmetic,
    parse_with_datetime,
    utc_text,
    utc_text_of,
)

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


# -- the one form ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, in_the_one_form",
    [
        ("2017-01-01", "2017-01-01T00:00:00.000Z"),
        ("2013-04-24 11:19:25", "2013-04-24T11:19:25.000Z"),
        ("2016-08-05T09:35:38Z", "2016-08-05T09:35:38.000Z"),
        ("2018-01-15T00:00:00.000Z", "2018-01-15T00:00:00.000Z"),
        ("2012-05-25T11:13:29-0500", "2012-05-25T16:13:29.000Z"),
        ("2020-05-01T13:53:05.000-07:00", "2020-05-01T20:53:05.000Z"),
        ("2020-05-01T23:30:00.1239+05:30", "2020-05-01T18:00:00.123Z"),
        ("2024-12-31T23:30:00-07:00", "2025-01-01T06:30:00.000Z"),
        ("0999-01-01T00:00:00Z", "0999-01-01T00:00:00.000Z"),
    ],
)
def test_every_date_form_is_written_as_its_instant_in_utc_with_milliseconds(text, in_the_one_form):
    assert utc_text_of(text) == in_the_one_form
    assert is_utc_text(in_the_one_form)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2023-02-30T00:00:00.000Z",
        "2017-01-01T10:00:00+05",
        "0001-01-01T00:30:00+01:00",  # the year before year 1 in UTC: no day to write it on
        "9999-12-31T23:30:00-01:00",  # the year after 9999 in UTC
    ],
)
def test_text_with_no_instant_to_write_has_no_one_form(text):
    assert utc_text_of(text) is None


@pytest.mark.parametrize("value", [None, 1714564800, 1714564800.0, b"2024-01-01", ["2024-01-01"]])
def test_a_value_that_is_not_text_is_no_instant(value):
    assert instant(value) is None
    assert utc_text_of(value) is None
    assert not is_utc_text(value)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-02T03:04:05.000000Z",  # microseconds
        "2024-01-02T03:04:05Z",
        "2024-01-02T03:04:05.000+00:00",
        "2024-01-02 03:04:05.000Z",
        "2024-02-30T03:04:05.000Z",  # no such day
        "٢٠٢٤-01-02T03:04:05.000Z",  # other scripts' digits
    ],
)
def test_only_the_one_form_is_the_one_form(text):
    assert not is_utc_text(text)


def test_utc_text_converts_an_aware_datetime_and_truncates_to_milliseconds():
    moment = datetime(2024, 1, 2, 5, 4, 5, 678999, tzinfo=timezone(timedelta(hours=2)))
    assert utc_text(moment) == "2024-01-02T03:04:05.678Z"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ceql_strategies.date_like_texts)
def test_the_one_form_names_the_same_instant_and_is_written_back_unchanged(text):
    in_utc = utc_text_of(text)
    if in_utc is None:
        return  # not a date form, or no UTC day: nothing to write (the cases above)
    assert is_utc_text(in_utc)
    assert instant_ms(in_utc) == instant_ms(text)
    assert utc_text_of(in_utc) == in_utc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ceql_strategies.date_like_texts)
def test_the_instant_read_as_a_datetime_is_the_millisecond_reading(text):
    moment, epoch_ms = instant(text), instant_ms(text)
    if moment is None:
        # Python 3.10 reads through milliseconds, and has no datetime for one beyond year 1 or 9999 in UTC.
        assert epoch_ms is None or utc_text_of(text) is None
    else:
        assert moment.tzinfo is not None
        assert (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1) == epoch_ms
