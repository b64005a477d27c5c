"""Compiles a syntax tree once into nested closures that test a record.

Runs on every record of a sync, so all the thinking (which comparison rule can apply,
the literal's instant and number, the LIKE matcher) happens at compile time, and the
closures do only type checks and one comparison. The meaning is docs/ceql.md:

- a dotted path reaches into nested objects; missing anywhere = NULL;
- NULL satisfies nothing but IS NULL; an object satisfies nothing but IS NOT NULL;
- a list satisfies a test when any element does (`!=`: when no element equals);
- two values compare by the first rule that applies: instants, numbers, text.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Callable, Optional

from .instants import instant_ms, is_utc_text
from .nodes import And, Comparison, Expr, In, IsNull, Like, Or, Path, Text, Value
from .values import LiteralForms, ScalarTest, decimal_of, like_matcher, literal_forms, number_of, text_of

Record = Mapping[str, Any]
RecordPredicate = Callable[[Record], bool]

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    # "!=" is compiled as the negation of "=" (it differs from "not =" only for lists).
}


def compile_predicate(expr: Expr) -> RecordPredicate:
    """A function telling whether a record (a mapping, as parsed from JSON) matches."""
    if isinstance(expr, And):
        return _all_of([compile_predicate(item) for item in expr.items])
    if isinstance(expr, Or):
        return _any_of([compile_predicate(item) for item in expr.items])
    if isinstance(expr, IsNull):
        return _is_null(expr.field.path, expr.negated)
    if isinstance(expr, Comparison):
        if expr.op == "!=":
            return _lift(expr.field.path, _comparison_test(operator.eq, expr.value), negated=True)
        return _lift(expr.field.path, _comparison_test(_OPERATORS[expr.op], expr.value))
    if isinstance(expr, Like):
        return _lift(expr.field.path, _like_test(expr.pattern))
    if isinstance(expr, In):
        return _lift(expr.field.path, _in_test(expr.values))
    raise TypeError(f"not a CEQL expression: {expr!r}")


@lru_cache(maxsize=256)
def _cached_predicate(expr: Expr) -> RecordPredicate:
    return compile_predicate(expr)


def evaluate(expr: Expr, record: Record) -> bool:
    """One-off test of a record; compiled predicates are cached per (hashable) tree."""
    return _cached_predicate(expr)(record)


# -- scalar tests: one non-null, non-list, non-object value against a literal ----------------


def _comparison_test(op: Callable[[Any, Any], bool], literal: Value) -> ScalarTest:
    forms = literal_forms(literal)
    if forms.is_plain_text:
        return _text_test(op, forms.text)
    if forms.instant is not None:
        return _instant_text_test(op, forms)
    return _number_test(op, forms)


def _text_test(op: Callable[[Any, Any], bool], literal_text: str) -> ScalarTest:
    # Rule 3 is the only one left when the literal is neither a date form nor a number.
    def test(value: Any) -> bool:
        if type(value) is str:
            return op(value, literal_text)
        return op(text_of(value), literal_text)

    return test


def _instant_text_test(op: Callable[[Any, Any], bool], forms: LiteralForms) -> ScalarTest:
    # The literal is text in a date form: rule 1 when the value is too, else text.
    literal_ms, literal_text = forms.instant, forms.text

    def test(value: Any) -> bool:
        if type(value) is str:
            value_ms = instant_ms(value)
            if value_ms is not None:
                return op(value_ms, literal_ms)
            return op(value, literal_text)
        return op(text_of(value), literal_text)

    if not is_utc_text(literal_text):
        return test

    def test_in_one_form(value: Any) -> bool:
        # A cursor's condition (`updated_at >= '2024-01-02T03:04:05.000Z'`) on a cursor written
        # in the same form, on every record. Text of this length with `T`, `.` and `Z` here is
        # either that form, whose text order is its instants' order, or no date form at all,
        # which compares as text: either way the text comparison is the answer.
        if type(value) is str and len(value) == 24 and value[23] == "Z" and value[19] == "." and value[10] == "T":
            return op(value, literal_text)
        return test(value)

    return test_in_one_form


def _number_test(op: Callable[[Any, Any], bool], forms: LiteralForms) -> ScalarTest:
    # The literal is a number, or decimal text: rule 2 when the value is numeric too. A
    # number *literal* also meets date-form text as epoch milliseconds (rule 1).
    literal_number, literal_text = forms.number, forms.text
    instants_apply = forms.is_number_literal

    def test(value: Any) -> bool:
        if type(value) is str:
            if instants_apply:
                value_ms = instant_ms(value)
                if value_ms is not None:
                    return op(value_ms, literal_number)
            value_number = decimal_of(value)
            if value_number is not None:
                return op(value_number, literal_number)
            return op(value, literal_text)
        value_number = number_of(value)
        if value_number is not None:
            return op(value_number, literal_number)
        return op(text_of(value), literal_text)

    return test


def _like_test(pattern: Text) -> ScalarTest:
    matches = like_matcher(pattern.value)

    def test(value: Any) -> bool:
        return matches(value if type(value) is str else text_of(value))

    return test


def _in_test(values: tuple[Value, ...]) -> ScalarTest:
    # `IN (a, b)` is `= a OR = b`. Plain-text literals can only equal identical text, so
    # they collapse into one set lookup; the rest keep their own equality test.
    plain = frozenset(forms.text for forms in map(literal_forms, values) if forms.is_plain_text)
    others = tuple(_comparison_test(operator.eq, value) for value in values if not literal_forms(value).is_plain_text)
    if not others:

        def in_set(value: Any) -> bool:
            return (value if type(value) is str else text_of(value)) in plain

        return in_set

    def test(value: Any) -> bool:
        if plain and (value if type(value) is str else text_of(value)) in plain:
            return True
        for equals in others:
            if equals(value):
                return True
        return False

    return test


# -- lifting a scalar test to a record: field lookup, NULL, lists, objects -------------------

_CONTAINERS = (list, tuple, Mapping)


def _lift(path: Path, test: ScalarTest, negated: bool = False) -> RecordPredicate:
    """Apply `test` to the value at `path`: False for NULL and for objects, any element
    for a list. With `negated`, the record matches when the value is not NULL and not an
    object and no element (or the value itself) passes `test` — the meaning of `!=`."""
    fetch = _fetcher(path)

    def any_element(items: Any) -> bool:
        for item in items:
            if type(item) is str:
                if test(item):
                    return True
            elif item is not None and not isinstance(item, _CONTAINERS) and test(item):
                return True
        return False

    if len(path) == 1:
        # The common case, with the lookup inlined to save a call per record.
        key = path[0]

        if negated:

            def not_equal(record: Record) -> bool:
                value = record.get(key)
                if type(value) is str:
                    return not test(value)
                return _negated_slow(value, test, any_element)

            return not_equal

        def matches(record: Record) -> bool:
            value = record.get(key)
            if type(value) is str:
                return test(value)
            return _slow(value, test, any_element)

        return matches

    if negated:
        return lambda record: _negated_slow(fetch(record), test, any_element)
    return lambda record: _slow(fetch(record), test, any_element)


def _slow(value: Any, test: ScalarTest, any_element: Callable[[Any], bool]) -> bool:
    """The non-text cases of a lifted test (text is handled inline)."""
    if value is None:
        return False
    kind = type(value)
    if kind is int or kind is float or kind is bool or kind is str:
        return test(value)
    if kind is list or kind is tuple:
        return any_element(value)
    if isinstance(value, Mapping):
        return False
    return test(value)


def _negated_slow(value: Any, test: ScalarTest, any_element: Callable[[Any], bool]) -> bool:
    if value is None:
        return False
    kind = type(value)
    if kind is int or kind is float or kind is bool or kind is str:
        return not test(value)
    if kind is list or kind is tuple:
        return not any_element(value)
    if isinstance(value, Mapping):
        return False
    return not test(value)


def _is_null(path: Path, negated: bool) -> RecordPredicate:
    fetch = _fetcher(path)
    if negated:
        return lambda record: fetch(record) is not None
    return lambda record: fetch(record) is None


def _fetcher(path: Path) -> Callable[[Record], Any]:
    """The value at `path`, or None when it is missing anywhere on the way."""
    if len(path) == 1:
        key = path[0]
        return lambda record: record.get(key)

    def fetch(record: Record) -> Optional[Any]:
        value: Any = record
        for key in path:
            if type(value) is dict or isinstance(value, Mapping):
                value = value.get(key)
            else:
                return None
        return value

    return fetch


# -- AND / OR -----------------------------------------------------------------------------


def _all_of(predicates: list[RecordPredicate]) -> RecordPredicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda record: first(record) and second(record)

    def all_of(record: Record) -> bool:
        for predicate in predicates:
            if not predicate(record):
                return False
        return True

    return all_of


def _any_of(predicates: list[RecordPredicate]) -> RecordPredicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda record: first(record) or second(record)

    def any_of(record: Record) -> bool:
        for predicate in predicates:
            if predicate(record):
                return True
        return False

    return any_of
