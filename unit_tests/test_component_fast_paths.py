"""The per-record fast paths of components.py give the answers of the slow ways they replace.

- `SendosoPageExtractor` looks plain keys up instead of letting `dpath.get` walk the page, in
  the body the response guard parsed instead of parsing it again;
- `SendUpdatedAt` compares instants as datetimes instead of epoch milliseconds, and timestamps
  written alike as text;
- `CanonicalTypes` writes Sendoso's own timestamp forms in UTC by arithmetic on the text.
(benchmarks/ measures what they are worth; here only that they change nothing.)
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest.mock import MagicMock

import dpath
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st

from airbyte_cdk.sources.declarative.decoders.json_decoder import JsonDecoder

from source_sendoso import components
from source_sendoso.ceql.instants import instant_ms
from source_sendoso.components import CanonicalTypes, SendosoPageExtractor, SendUpdatedAt
from source_sendoso.error_handlers import ResponseGuard
from source_sendoso.filters import stream_schemas

# -- the extractor ------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["sends", "users", "x", "total_count"]), inner, max_size=3),
    max_leaves=12,
)


def _response(body: Any, url: str = "https://app.sendoso.com/api/v3/send?page=2&per_page=100") -> requests.Response:
    response = requests.Response()
    response._content = json.dumps(body).encode()
    response.status_code = 200
    response.request = MagicMock(url=url)
    return response


def _dpath_answer(body: Any, path: list[str]) -> list[Any]:
    """DpathExtractor.extract_records for one decoded body, as the CDK writes it."""
    extracted = body if not path else dpath.get(body, path, default=[])
    if isinstance(extracted, list):
        return list(extracted)
    return [extracted] if extracted else []


@settings(max_examples=300, deadline=None)
@given(body=_json, path=st.lists(st.sampled_from(["sends", "users", "x"]), max_size=2), checked=st.booleans())
def test_extractor_fast_path_answers_what_dpath_answers(body: Any, path: list[str], checked: bool) -> None:
    extractor = SendosoPageExtractor(field_path=path, config={}, parameters={"name": "sends"}, decoder=JsonDecoder(parameters={}))
    decoded = list(JsonDecoder(parameters={}).decode(_response(body)))
    expected = [record for part in decoded for record in _dpath_answer(part, path)]
    response = _response(body)
    if checked:
        # As in a read: the guard has let the page through, and its parse is read.
        assert ResponseGuard(config={}, parameters={}).interpret_response(response) is None
    assert list(extractor.extract_records(response)) == expected


def test_records_changed_after_they_were_read_do_not_change_a_second_reading_of_the_page() -> None:
    body = {"sends": [{"id": 1, "created_at": "2024-01-01T00:00:00-07:00"}]}
    response = _response(body)
    assert ResponseGuard(config={}, parameters={}).interpret_response(response) is None
    extractor = SendosoPageExtractor(field_path=["sends"], config={}, parameters={"name": "sends"}, decoder=JsonDecoder(parameters={}))

    for record in extractor.extract_records(response):
        record["created_at"] = "2024-01-01T07:00:00.000Z"

    assert list(extractor.extract_records(response)) == body["sends"]


def test_extractor_with_a_glob_in_its_path_still_goes_through_dpath() -> None:
    body = {"sends": [{"id": 1}], "users": [{"id": 2}]}
    extractor = SendosoPageExtractor(field_path=["se?ds"], config={}, parameters={"name": "sends"}, decoder=JsonDecoder(parameters={}))
    assert [r["id"] for r in extractor.extract_records(_response(body))] == [1]


# -- the derived cursor -------------------------------------------------------------------------

_digits = lambda n: st.integers(0, 10**n - 1).map(lambda v: str(v).zfill(n))  # noqa: E731
_timestamps = st.one_of(
    # Real instants in Sendoso's own form, in a few offsets and both separators.
    st.builds(
        lambda moment, sep, off: moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S.%f")[:-3] + off,
        st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
        st.sampled_from(["T", " "]),
        st.sampled_from(["Z", "-07:00", "+05:30", ""]),
    ),
    # The other forms CEQL reads, with impossible values too.
    st.builds(
        lambda y, mo, d, sep, h, mi, s, frac, off: f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}{frac}{off}",
        st.integers(1000, 9999).map(str),
        _digits(2),
        _digits(2),
        st.sampled_from(["T", " "]),
        _digits(2),
        _digits(2),
        _digits(2),
        st.sampled_from(["", ".0", ".123", ".999999", ".1234567"]),
        st.sampled_from(["", "Z", "+00:00", "-07:00", "+05:30", "-0500", "+2359", "+24:00", "+05:60"]),
    ),
    st.builds(lambda y, mo, d: f"{y}-{mo}-{d}", st.integers(1000, 9999).map(str), _digits(2), _digits(2)),
    st.text(max_size=12),
    st.none(),
    st.integers(),
)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _instant_ms(value: Any) -> Any:
    return instant_ms(value) if isinstance(value, str) else None


def _reference_updated_at(record: dict[str, Any]) -> Any:
    """The reading SendUpdatedAt had before its fast path: epoch milliseconds, then strftime."""
    latest = _instant_ms(record.get("created_at"))
    for update in record.get("status_updates") or ():
        occurred = _instant_ms(update.get("occurred_at"))
        if occurred is not None and (latest is None or occurred > latest):
            latest = occurred
    if latest is None:
        return None
    utc = _EPOCH + timedelta(milliseconds=latest)
    # `%Y` drops the zeros of years before 1000 on some C libraries: the year is padded here.
    return f"{utc.year:04d}" + utc.strftime("-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@settings(max_examples=500, deadline=None)
@given(created=_timestamps, occurred=st.lists(_timestamps, max_size=4))
# Same length and offset, other separator: the text order (" " < "T") is not the time order.
@example(created="2024-05-01 23:00:00.000Z", occurred=["2024-05-01T01:00:00.000Z"])
def test_derived_updated_at_is_the_millisecond_reading(created: Any, occurred: list[Any]) -> None:
    record = {"created_at": created, "status_updates": [{"status": "x", "occurred_at": o} for o in occurred]}
    expected = _reference_updated_at(record)
    SendUpdatedAt().transform(record)
    assert record["updated_at"] == expected


@st.composite
def _timestamps_written_alike(draw: st.DrawFn) -> list[str]:
    """A send's timestamps as Sendoso writes them: one form, one offset; real instants, with
    now and then a text that only looks like one."""
    sep, frac = draw(st.sampled_from(["T", " "])), draw(st.sampled_from(["", ".123", ".999999"]))
    off = draw(st.sampled_from(["Z", "-07:00", "+05:30"]))
    moments = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31))
    stamp = moments.map(lambda m: m.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (m.strftime(".%f")[: len(frac)] if frac else "") + off)
    impossible = st.sampled_from([f"2024-13-01{sep}00:00:00{frac}{off}", f"2024-02-30{sep}25:00:00{frac}{off}"])
    return draw(st.lists(stamp | impossible, min_size=1, max_size=5))


@settings(max_examples=500, deadline=None)
@given(stamps=_timestamps_written_alike())
def test_derived_updated_at_of_timestamps_written_alike_is_the_millisecond_reading(stamps: list[str]) -> None:
    record = {"created_at": stamps[0], "status_updates": [{"status": "x", "occurred_at": o} for o in stamps[1:]]}
    expected = _reference_updated_at(record)
    SendUpdatedAt().transform(record)
    assert record["updated_at"] == expected


# -- timestamps in UTC ----------------------------------------------------------------------------

_sendoso_forms = st.builds(
    # Sendoso's own forms, at any offset, and the same texts with one character off.
    lambda moment, whole, off, typo: _with_typo(
        moment.strftime("%Y-%m-%dT%H:%M:%S") + ("" if whole else moment.strftime(".%f")[:4]) + off, typo
    ),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.booleans(),
    st.builds(lambda sign, h, m: f"{sign}{h}:{m}", st.sampled_from("+-"), _digits(2), _digits(2)),
    st.none() | st.tuples(st.integers(0, 28), st.sampled_from(["x", "9", " ", ":", "٣"])),
)


def _with_typo(text: str, typo: Any) -> str:
    if typo is None:
        return text
    at, character = typo
    return text[:at] + character + text[at + 1 :]


def _reference_in_utc(text: str) -> str:
    """The millisecond reading of `_reference_updated_at`, or the text as it came."""
    epoch_ms = _instant_ms(text)
    if epoch_ms is None:
        return text
    try:
        utc = _EPOCH + timedelta(milliseconds=epoch_ms)
    except OverflowError:
        return text
    return f"{utc.year:04d}" + utc.strftime("-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@settings(max_examples=1000, deadline=None)
@given(text=_sendoso_forms | _timestamps.filter(lambda value: isinstance(value, str)))
@example(text="2024-12-31T23:30:00-07:00")  # the next day in UTC
@example(text="2024-03-01T01:00:00.000+05:30")  # the day before, half an hour off
@example(text="2024-02-30T10:00:00-07:00")  # no such day
def test_a_timestamp_in_utc_is_the_millisecond_reading(text: str) -> None:
    assert components._instant_in_utc(text) == _reference_in_utc(text)


@settings(max_examples=300, deadline=None)
@given(created=_sendoso_forms, occurred=st.lists(_sendoso_forms, max_size=3))
def test_a_sends_timestamps_in_utc_are_the_same_after_its_updated_at_was_derived(created: str, occurred: list[str]) -> None:
    # CanonicalTypes reuses the conversion SendUpdatedAt made of the latest timestamp.
    record = {"created_at": created, "status_updates": [{"status": "x", "occurred_at": o} for o in occurred]}
    SendUpdatedAt().transform(record)
    CanonicalTypes().transform(record, stream_schemas()["sends"])

    assert record["created_at"] == _reference_in_utc(created)
    assert [update["occurred_at"] for update in record["status_updates"]] == [_reference_in_utc(o) for o in occurred]
