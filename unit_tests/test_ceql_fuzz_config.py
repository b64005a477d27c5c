"""The CONFIG path of CEQL filters, fuzzed: any `where` string in `stream_filters` is either a
filter (whose pushed-down text parses back to the same tree) or a config error, never any
other exception. In-process and fast; the parser's own fuzz tests are in unit_tests/ceql.
"""

from __future__ import annotations

from typing import Any, Dict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso import ceql
from source_sendoso.filters import PushDownFilters, ValidStreamFilters, parse_stream_filter, stream_filter

# Text close to CEQL, so that the fuzzer reaches deep into the parser, and any text at all.
_PIECES = st.sampled_from(
    [
        "status",
        "current_total_cost",
        "recipient.name",
        "`status`",
        "'x'",
        "''",
        "'",
        "`",
        '"',
        "(",
        ")",
        ",",
        "=",
        "!=",
        ">=",
        "<",
        "==",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "IS",
        "NULL",
        "1",
        "-",
        "1.5",
        "1.2.3",
        " ",
        "\t",
        "\n",
        "%",
        "$",
        "\\",
        "\u00e9",
        "\x00",
        "'2025-01-01T00:00:00Z'",
        "created_at",
        "status_updates.status",
    ]
)
CEQLISH = st.lists(_PIECES, max_size=25).map("".join)
ANY_TEXT = st.text(max_size=200)
STREAMS = st.sampled_from(["sends", "users", "groups", "touches", "return_addresses", "nope"])


def _config(stream: str, where: str, backend: str = "cloud_elements") -> Dict[str, Any]:
    return {"backend": {"backend_type": backend}, "stream_filters": [{"stream": stream, "where": where}]}


def _validate_through_the_config_path(stream: str, where: str) -> None:
    config = _config(stream, where)
    try:
        ValidStreamFilters().validate(config["stream_filters"])
    except AirbyteTracedException as error:
        assert error.failure_type == FailureType.config_error
        assert error.message and f"'{stream}'" in error.message
        # The push-down skips a filter that validation refuses (validation reports it).
        PushDownFilters().transform(config)
        assert stream not in config["ceql_where"]
        return
    expression = stream_filter(config, stream)
    assert isinstance(expression, ceql.Expr)
    PushDownFilters().transform(config)
    pushed = config["ceql_where"][stream]
    # What the hub is sent means exactly what the user wrote: no value left its quotes.
    assert ceql.parse(pushed) == expression


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=STREAMS, where=CEQLISH)
def test_any_ceql_like_where_is_a_filter_or_a_config_error(stream: str, where: str) -> None:
    _validate_through_the_config_path(stream, where)


@settings(max_examples=300, deadline=None)
@given(stream=STREAMS, where=ANY_TEXT)
def test_any_text_where_is_a_filter_or_a_config_error(stream: str, where: str) -> None:
    _validate_through_the_config_path(stream, where)


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=60))
def test_any_text_value_stays_inside_its_quotes_when_pushed_down(value: str) -> None:
    where = "status = " + ceql.quote(value)
    config = _config("sends", where)
    PushDownFilters().transform(config)
    assert ceql.parse(config["ceql_where"]["sends"]) == ceql.Comparison(ceql.Field(("status",)), "=", ceql.Text(value))


# Every kind of syntax error the lexer and parser report (end to end, a kind of each family
# runs in integration_tests/test_bad_inputs.py).
SYNTAX_ERRORS = [
    ("", "empty expression"),
    ("status = 'Delivered", "unterminated string"),
    ("`status = 'x'", "unterminated name"),
    ("`` = 'x'", "empty name in backticks"),
    ("'' = 'x'", "empty field name"),
    ("status == 'x'", "unknown operator '=='"),
    ("cost > 1.2.3", "malformed number"),
    ("cost > -", "expected digits after '-'"),
    ('status = "x"', "double quotes are not CEQL"),
    ("status = 'x' $", "unexpected character '$'"),
    ("(status = 'x'", "expected ')'"),
    ("status = 'x')", "unmatched ')'"),
    ("()", "empty parentheses"),
    ("(" * 101 + "status = 'x'" + ")" * 101, "nested more than"),
    ("status LIKE 5", "LIKE needs a quoted pattern"),
    ("status IS 'x'", "expected NULL after IS"),
    ("NOT status = 'x'", "found the keyword NOT"),
    ("status = 'x' AND", "expected a condition after AND"),
    ("status = 'x' OR OR status = 'y'", "after OR, found the keyword OR"),
    ("status IN ()", "IN needs at least one value"),
    ("status IN ('a',", "expected a value after ','"),
    ("status = NULL", "IS NULL"),
    ("status = `x`", "backticks are for field names"),
    ("status =", "expected a value after '='"),
    ("= 'x'", "expected a field name"),
]


@pytest.mark.parametrize("where, says", SYNTAX_ERRORS, ids=[says for _, says in SYNTAX_ERRORS])
def test_every_kind_of_syntax_error_is_a_config_error_that_points_at_it(where: str, says: str) -> None:
    with pytest.raises(AirbyteTracedException) as caught:
        ValidStreamFilters().validate([{"stream": "sends", "where": where}])
    error = caught.value
    assert error.failure_type == FailureType.config_error
    assert error.message.startswith("The filter for stream 'sends' is not valid CEQL: ")
    assert says in error.message
    assert " at column " in error.message and "^" in error.message


def test_a_valid_filter_parses_to_its_tree() -> None:
    assert parse_stream_filter("sends", "status = 'Delivered' AND current_total_cost >= 10") == ceql.parse(
        "status = 'Delivered' AND current_total_cost >= 10"
    )
