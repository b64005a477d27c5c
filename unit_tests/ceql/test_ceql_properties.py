"""Properties over generated trees, texts and records (hypothesis)."""

import operator
import re
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import ceql_strategies
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from source_sendoso.ceql import (
    And,
    CeqlSyntaxError,
    Comparison,
    Field,
    In,
    IsNull,
    Number,
    Or,
    Text,
    compile_predicate,
    field_paths,
    parse,
    render,
)
from source_sendoso.ceql.instants import parse_by_arithmetic, parse_with_datetime
from source_sendoso.ceql.values import like_matcher

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- building blocks ------------------------------------------------------------------------

KEYWORD_NAMES = ["and", "OR", "In", "is", "not", "NULL", "like"]
plain_names = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True),
    st.sampled_from(["status", "sender", "email", "a", "b", "tags", "n", "t"] + KEYWORD_NAMES),
)
awkward_names = st.one_of(
    st.text(min_size=1, max_size=10),
    st.sampled_from(["sender.email", "a b", "`", "it's", "''", "café", "1st", "%", "a`b'c", "\n"]),
)
fields = st.one_of(
    st.lists(plain_names, min_size=1, max_size=3).map(lambda parts: Field(tuple(parts))),
    awkward_names.map(lambda name: Field((name,))),
)

DATE_TEXTS = [
    "2017-01-01",
    "2013-04-24 11:19:25",
    "2016-08-05T09:35:38Z",
    "2018-01-15T00:00:00.000Z",
    "2012-05-25T11:13:29-0500",
    "2020-05-01T13:53:05.000-07:00",
]
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["'", "''", "%", "a%b", "O'Brien", "x' OR '1'='1", "a_b", "12.5", "-3", "true", "é", ""] + DATE_TEXTS),
)
numbers = st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,4})?", fullmatch=True).map(Number)
values = st.one_of(texts.map(Text), numbers)

predicates = ceql_strategies.predicates(fields, values, texts)
expressions = ceql_strategies.expressions(predicates)

# Pieces of the grammar, right and wrong, to build token soups from.
GRAMMAR_PIECES = [
    "(",
    ")",
    ",",
    "=",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "==",
    "<>",
    "!",
    "AND",
    "or",
    "LIKE",
    "in",
    "IS",
    "not",
    "NULL",
    "a",
    "b.c",
    "`x.y`",
    "``",
    "`",
    "'v'",
    "'it''s'",
    "''",
    "'",
    "'open",
    "5",
    "-3.25",
    "-",
    "1.",
    ".",
    "..",
    "a.",
    '"q"',
    "%",
    "\n",
    " ",
    "é",
    "1e5",
    "12abc",
]
token_soups = st.lists(st.sampled_from(GRAMMAR_PIECES), max_size=14)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(DATE_TEXTS + ["578.0", "10", "-3.5", "1e3", "2023-02-30", "true"]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(plain_names, children, max_size=3),
    ),
    max_leaves=10,
)
records = st.dictionaries(st.one_of(plain_names, awkward_names), json_values, max_size=6)


def evaluates_cleanly(expr, record: dict[str, Any]) -> bool:
    result = compile_predicate(expr)(record)
    assert isinstance(result, bool)
    return result


# -- parse / render ---------------------------------------------------------------------------


@SETTINGS
@given(expressions)
def test_render_then_parse_gives_back_the_same_tree(expr):
    assert parse(render(expr)) == expr


@SETTINGS
@given(expressions)
def test_rendering_is_stable(expr):
    assert render(parse(render(expr))) == render(expr)


@SETTINGS
@given(st.text(), fields)
def test_a_text_value_never_breaks_out_of_its_quotes(value, field):
    expr = And((Comparison(field, "=", Text(value)), IsNull(Field(("guard",)))))
    assert parse(render(expr)) == expr


@SETTINGS
@given(expressions)
def test_field_paths_lists_each_fields_path(expr):
    paths = field_paths(expr)
    assert len(paths) == len(set(paths))
    assert all(isinstance(path, tuple) and path for path in paths)


# -- malformed input ------------------------------------------------------------------------------


def parses_or_raises_syntax_error(text: str) -> None:
    try:
        parse(text)
    except CeqlSyntaxError as error:
        assert 0 <= error.position <= len(text)
        assert "^" in str(error)


@SETTINGS
@given(st.text())
def test_arbitrary_text_raises_nothing_but_syntax_errors(text):
    parses_or_raises_syntax_error(text)


@SETTINGS
@given(token_soups, st.sampled_from([" ", ""]))
def test_token_soups_raise_nothing_but_syntax_errors(pieces, separator):
    parses_or_raises_syntax_error(separator.join(pieces))


@SETTINGS
@given(expressions, st.data())
def test_damaged_valid_clauses_raise_nothing_but_syntax_errors(expr, data):
    text = render(expr)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 4)))
    insert = data.draw(st.sampled_from(["", "'", "(", ")", "`", " AND", "=", ",", "-", "."]))
    parses_or_raises_syntax_error(text[:start] + insert + text[end:])


# -- evaluation ---------------------------------------------------------------------------------


@SETTINGS
@given(expressions, records)
def test_evaluation_on_random_records_never_raises(expr, record):
    evaluates_cleanly(expr, record)


@SETTINGS
@given(expressions, st.data())
def test_evaluation_never_raises_on_records_holding_the_expressions_fields(expr, data):
    # Random records rarely hold the expression's fields; these always do, so every
    # comparison rule and the list/object handling really run.
    record: dict[str, Any] = {}
    for path in field_paths(expr):
        target = record
        for part in path[:-1]:
            target = target.setdefault(part, {}) if isinstance(target.get(part, {}), dict) else {}
        target[path[-1]] = data.draw(json_values)
    evaluates_cleanly(expr, record)


@SETTINGS
@given(st.lists(predicates, min_size=2, max_size=4), records)
def test_and_is_all_and_or_is_any(items, record):
    results = [evaluates_cleanly(item, record) for item in items]
    assert evaluates_cleanly(And(tuple(items)), record) == all(results)
    assert evaluates_cleanly(Or(tuple(items)), record) == any(results)


@SETTINGS
@given(fields, st.lists(values, min_size=1, max_size=4), json_values)
def test_in_is_the_or_of_equalities(field, literals, value):
    record = {field.path[0]: value} if len(field.path) == 1 else {}
    equalities = [evaluates_cleanly(Comparison(field, "=", literal), record) for literal in literals]
    assert evaluates_cleanly(In(field, tuple(literals)), record) == any(equalities)


@SETTINGS
@given(values, json_scalars)
def test_not_equal_on_a_present_scalar_is_not_equal(literal, value):
    assume(value is not None)
    field = Field(("x",))
    record = {"x": value}
    assert evaluates_cleanly(Comparison(field, "!=", literal), record) == (not evaluates_cleanly(Comparison(field, "=", literal), record))


@SETTINGS
@given(st.sampled_from(DATE_TEXTS), st.sampled_from(DATE_TEXTS), st.sampled_from(["<", "<=", ">", ">=", "="]))
def test_date_forms_compare_as_their_instants(left, right, op):
    expected = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq}[op](
        parse_by_arithmetic(left), parse_by_arithmetic(right)
    )
    assert evaluates_cleanly(Comparison(Field(("t",)), op, Text(right)), {"t": left}) == expected


# -- the fast paths agree with their plain references -----------------------------------------


one_form_texts = st.builds(
    lambda moment_ms: (_EPOCH + timedelta(milliseconds=moment_ms)).isoformat(timespec="milliseconds")[:-6] + "Z",
    st.integers(-62_135_596_800_000, 253_402_300_799_999),
)
# Text of the one form's length and separators, valid or not, and date forms of other shapes.
one_form_shaped = st.one_of(
    one_form_texts,
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", fullmatch=True),
    st.text(min_size=24, max_size=24).map(lambda text: text[:10] + "T" + text[11:19] + "." + text[20:23] + "Z"),
    ceql_strategies.date_like_texts,
)


@SETTINGS
@given(one_form_shaped, one_form_texts, st.sampled_from(["<", "<=", ">", ">=", "=", "!="]))
def test_a_literal_in_the_one_form_compares_as_the_rules_say(value, literal, op):
    # A cursor's condition takes a shortcut for values written in the literal's form.
    value_ms, literal_ms = parse_by_arithmetic(value), parse_by_arithmetic(literal)
    compare = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq, "!=": operator.ne}[op]
    expected = compare(value_ms, literal_ms) if value_ms is not None else compare(value, literal)
    assert evaluates_cleanly(Comparison(Field(("t",)), op, Text(literal)), {"t": value}) == expected


def reference_like(pattern: str, text: str) -> bool:
    regex = ".*".join(re.escape(piece) for piece in pattern.split("%"))
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


like_alphabet = st.text(alphabet="ab%_.\n", max_size=8)


@SETTINGS
@given(like_alphabet, like_alphabet)
def test_like_matcher_agrees_with_a_regex(pattern, text):
    assert like_matcher(pattern)(text) == reference_like(pattern, text)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the datetime reader needs 3.11's fromisoformat")
@SETTINGS
@given(ceql_strategies.date_like_texts)
def test_fast_date_reader_agrees_with_the_arithmetic_one(text):
    assert parse_with_datetime(text) == parse_by_arithmetic(text)
