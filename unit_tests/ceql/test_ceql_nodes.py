"""The tree's own rules: flattening, validation, conjoin and field_paths."""

import pytest

from source_sendoso.ceql import (
    And,
    Comparison,
    Field,
    In,
    IsNull,
    Number,
    Or,
    Text,
    conjoin,
    field_paths,
    parse,
)

A, B, C = (IsNull(Field((name,))) for name in "abc")


def test_and_flattens_nested_and():
    assert And((A, And((B, C)))) == And((A, B, C))
    assert And((A, And((B, C)))).items == (A, B, C)


def test_and_keeps_a_nested_or_whole():
    assert And((A, Or((B, C)))).items == (A, Or((B, C)))


def test_and_and_or_need_two_items():
    with pytest.raises(ValueError):
        And((A,))
    with pytest.raises(ValueError):
        Or(())


def test_nodes_are_hashable_and_equal_by_structure():
    assert hash(parse("a = 1 AND b IN ('x')")) == hash(parse("a=1 and b in ('x')"))


def test_field_from_a_bare_string_is_one_name():
    assert Field("sender.email").path == ("sender.email",)


def test_dotted_path_parts_must_be_plain_names():
    with pytest.raises(ValueError):
        Field(("sender", "e mail"))


def test_field_names_cannot_be_empty():
    with pytest.raises(ValueError):
        Field(("",))
    with pytest.raises(ValueError):
        Field(())


def test_number_must_be_written_as_a_ceql_number():
    for bad in ("1e5", "+1", "1.", ".5", " 1", "NaN", "١"):
        with pytest.raises(ValueError):
            Number(bad)


def test_number_value_is_int_without_a_fraction_and_float_with_one():
    assert Number("-12").value == -12 and isinstance(Number("-12").value, int)
    assert Number("2.50").value == 2.5


def test_comparison_rejects_unknown_operators_and_non_literals():
    with pytest.raises(ValueError):
        Comparison(Field(("a",)), "<>", Number("1"))
    with pytest.raises(ValueError):
        Comparison(Field(("a",)), "=", 1)  # type: ignore[arg-type]


def test_in_needs_a_value():
    with pytest.raises(ValueError):
        In(Field(("a",)), ())


def test_conjoin_of_nothing_is_none():
    assert conjoin() is None
    assert conjoin(None, None) is None


def test_conjoin_of_one_is_that_expression():
    assert conjoin(None, A) is A


def test_conjoin_ands_and_flattens():
    assert conjoin(A, None, And((B, C))) == And((A, B, C))


def test_conjoin_keeps_a_users_or_grouped():
    cursor = Comparison(Field(("updated_at",)), ">=", Text("2025-01-01"))
    user = parse("status = 'a' OR status = 'b'")
    assert conjoin(cursor, user) == And((cursor, user))


def test_field_paths_in_order_of_first_appearance_without_repeats():
    expr = parse("b.c = 1 AND (`x.y` IS NULL OR b.c > 2) AND a LIKE 'q'")
    assert field_paths(expr) == (("b", "c"), ("x.y",), ("a",))
