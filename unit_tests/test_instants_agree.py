"""Every place that writes an instant writes it as the clock (ceql/instants.py) does.

The CDK's cursor writes the states and the slice bounds (the cursor's CEQL literal) itself, from
the manifest's formats; these tests hold those formats to the clock's one form.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from airbyte_cdk.sources.declarative.datetime.datetime_parser import DatetimeParser
from airbyte_cdk.sources.declarative.interpolation.macros import format_datetime
from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
    CustomFormatConcurrentStreamStateConverter,
)

from source_sendoso.ceql.instants import CURSOR_DATETIME_FORMAT, utc_text, utc_text_of

PACKAGE = Path(__file__).resolve().parents[1] / "source_sendoso"
MANIFEST = yaml.safe_load((PACKAGE / "manifest.yaml").read_text(encoding="utf-8"))


def _cursors(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "DatetimeBasedCursor":
            yield node
        for value in node.values():
            yield from _cursors(value)
    elif isinstance(node, list):
        for value in node:
            yield from _cursors(value)


CURSORS = list(_cursors(MANIFEST))


def test_every_cursor_writes_and_first_reads_the_clocks_one_form() -> None:
    assert CURSORS, "the manifest declares no DatetimeBasedCursor"
    for cursor in CURSORS:
        assert cursor["datetime_format"] == CURSOR_DATETIME_FORMAT
        assert cursor["cursor_datetime_formats"][0] == CURSOR_DATETIME_FORMAT
        start = cursor["start_datetime"]
        assert start["datetime_format"] == CURSOR_DATETIME_FORMAT
        assert f"'{CURSOR_DATETIME_FORMAT}'" in start["datetime"]


# `%Y` is not zero-padded below year 1000 on every C library; Sendoso's instants are all later.
_utc_moments = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)).map(
    lambda moment: moment.replace(tzinfo=timezone.utc)
)


@settings(max_examples=300, deadline=None)
@given(_utc_moments)
def test_the_cdk_writes_an_instant_with_the_manifests_format_as_the_clock_does(moment: datetime) -> None:
    assert DatetimeParser().format(moment, CURSOR_DATETIME_FORMAT) == utc_text(moment)


@settings(max_examples=300, deadline=None)
@given(_utc_moments)
def test_a_state_in_the_one_form_is_written_back_unchanged_by_the_cdks_cursor(moment: datetime) -> None:
    state = utc_text(moment)
    for cursor in CURSORS:
        converter = CustomFormatConcurrentStreamStateConverter(
            datetime_format=cursor["datetime_format"], input_datetime_formats=list(cursor["cursor_datetime_formats"])
        )
        assert converter.output_format(converter.parse_timestamp(state)) == state


# The config's start date is the one instant the CDK reads itself (format_datetime, in the
# cursor's start_datetime): every date form the spec's pattern admits, it reads as the clock does.
_START_DATE_PATTERN = MANIFEST["spec"]["connection_specification"]["properties"]["start_date"]["pattern"]
_start_dates = st.builds(
    lambda moment, fraction, offset: moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + offset,
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,9}", fullmatch=True)),
    st.one_of(
        st.just("Z"),
        st.builds(
            lambda sign, hours, colon, minutes: f"{sign}{hours:02d}{colon}{minutes:02d}",
            st.sampled_from("+-"),
            st.integers(0, 23),
            st.sampled_from(["", ":"]),
            st.integers(0, 59),
        ),
    ),
)


@settings(max_examples=300, deadline=None)
@given(_start_dates)
def test_the_cdk_reads_a_start_date_the_spec_admits_as_the_clock_does(start_date: str) -> None:
    assert re.fullmatch(_START_DATE_PATTERN, start_date)
    assert format_datetime(start_date, CURSOR_DATETIME_FORMAT) == utc_text_of(start_date)


def test_no_module_outside_ceql_imports_a_private_name_of_ceql() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("source_sendoso.ceql"):
                private = [alias.name for alias in node.names if alias.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {node.module}"
