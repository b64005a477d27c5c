"""Malformed clauses: always a CeqlSyntaxError that says what and where."""

import pickle

import pytest

from source_sendoso.ceql import CeqlSyntaxError, parse


def syntax_error(text: str) -> CeqlSyntaxError:
    with pytest.raises(CeqlSyntaxError) as caught:
        parse(text)
    return caught.value


def test_syntax_error_points_at_column():
    error = syntax_error("created_at >= AND status = 'x'")
    assert error.column == 15
    assert error.position == 14
    assert str(error) == (
        "expected a value after '>=', found the keyword AND at column 15:\n  created_at >= AND status = 'x'\n                ^"
    )


def test_error_at_end_of_input_points_past_the_last_character():
    error = syntax_error("a = 1 AND")
    assert error.column == len("a = 1 AND") + 1
    assert "after AND" in error.message
    assert str(error).endswith("  a = 1 AND\n" + " " * 11 + "^")


def test_syntax_error_is_a_value_error():
    assert isinstance(syntax_error("a ="), ValueError)


def test_syntax_error_survives_pickling():
    error = pickle.loads(pickle.dumps(syntax_error("a =")))
    assert (error.message, error.text, error.column) == ("expected a value after '=', found the end of the expression", "a =", 4)


def test_caret_stays_aligned_when_the_clause_has_tabs_and_newlines():
    error = syntax_error("a = 1\n\tAND 5 = b")
    lines = str(error).splitlines()
    assert lines[1] == "  a = 1  AND 5 = b"
    assert lines[2].index("^") == lines[1].index("5")


def test_long_clause_is_shown_as_a_window_around_the_error():
    text = "a = 1 AND " * 50 + "b >= "
    lines = str(syntax_error(text)).splitlines()
    assert lines[1].startswith("  ...")
    assert len(lines[1]) < 120
    assert lines[2].index("^") == len(lines[1])


def test_empty_input():
    assert "empty expression" in syntax_error("").message
    assert "empty expression" in syntax_error("  \n ").message


def test_unterminated_string_points_at_its_opening_quote():
    error = syntax_error("a = 'abc AND b = 1")
    assert "unterminated string" in error.message
    assert error.column == 5


def test_unterminated_backtick_name():
    assert "unterminated name" in syntax_error("`abc = 1").message


def test_empty_backticks():
    assert "empty name" in syntax_error("`` = 1").message


def test_empty_quoted_field_name():
    assert "empty field name" in syntax_error("'' = 1").message


@pytest.mark.parametrize("operator, hint", [("==", "use ="), ("<>", "!="), ("=>", ">="), ("=<", "<="), ("!", "!=")])
def test_unknown_operator_suggests_the_right_one(operator, hint):
    error = syntax_error(f"a {operator} 1")
    assert f"unknown operator {operator!r}" in error.message
    assert hint in error.message
    assert error.column == 3


def test_missing_closing_parenthesis_names_the_opening_one():
    error = syntax_error("x = 1 AND (a = 1 OR b = 2")
    assert "expected ')' to close the '(' at column 11" in error.message


def test_unmatched_closing_parenthesis():
    assert "unmatched ')'" in syntax_error("a = 1)").message


def test_empty_parentheses():
    assert "empty parentheses" in syntax_error("()").message


def test_trailing_garbage_after_a_complete_expression():
    error = syntax_error("a = 1 b = 2")
    assert "expected AND, OR or the end" in error.message
    assert error.column == 7


def test_in_with_no_values():
    assert "IN needs at least one value" in syntax_error("a IN ()").message


def test_in_without_parentheses():
    assert "expected '(' after IN" in syntax_error("a IN 1, 2").message


def test_in_list_missing_its_closing_parenthesis():
    assert "expected ',' or ')'" in syntax_error("a IN (1, 2").message


def test_in_list_with_a_trailing_comma():
    assert "expected a value after ','" in syntax_error("a IN (1, )").message


def test_like_with_a_number():
    assert "LIKE needs a quoted pattern" in syntax_error("a LIKE 5").message


def test_unquoted_text_value_suggests_quotes():
    assert "put text in single quotes" in syntax_error("status = Delivered").message


def test_backticked_value_is_not_text():
    assert "text goes in single quotes" in syntax_error("status = `Delivered`").message


def test_equals_null_suggests_is_null():
    assert "IS NULL" in syntax_error("a = NULL").message


def test_not_is_only_part_of_is_not_null():
    assert "IS NOT NULL" in syntax_error("a NOT LIKE 'x'").message


def test_is_must_be_followed_by_null():
    assert "expected NULL after IS NOT" in syntax_error("a IS NOT 'x'").message


def test_keyword_where_a_field_belongs():
    assert "found the keyword OR" in syntax_error("a = 1 AND OR b = 2").message


def test_number_where_a_field_belongs():
    assert "expected a field name, found the number 5" in syntax_error("5 = a").message


def test_field_without_an_operator():
    assert "expected an operator" in syntax_error("a").message


def test_dot_without_a_name_after_it():
    assert "expected a name after '.'" in syntax_error("sender. = 1").message


def test_double_quotes_are_rejected_with_a_hint():
    assert "single quotes" in syntax_error('a = "x"').message


@pytest.mark.parametrize("text", ["a = 1.", "a = 1.2.3", "a = 5e3", "a = 12abc", "a = -", "a = - 1", "a = .5"])
def test_malformed_numbers(text):
    syntax_error(text)


def test_non_ascii_letters_need_backticks():
    assert "backticks" in syntax_error("naïve = 1").message


def test_no_break_space_is_not_whitespace():
    assert "U+00A0" in syntax_error("a\u00a0= 1").message


def test_too_deep_nesting_is_a_syntax_error():
    assert "nested" in syntax_error("(" * 5000 + "a = 1" + ")" * 5000).message


def test_parse_rejects_non_text_input():
    with pytest.raises(TypeError):
        parse(b"a = 1")  # type: ignore[arg-type]
