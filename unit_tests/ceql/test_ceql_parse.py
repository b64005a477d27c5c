"""Parsing: what each piece of the grammar in docs/ceql.md becomes in the tree."""

from source_sendoso.ceql import And, Comparison, Field, In, IsNull, Like, Number, Or, Text, parse


def eq(name: str, value) -> Comparison:
    literal = Number(str(value)) if isinstance(value, (int, float)) else Text(value)
    return Comparison(Field(tuple(name.split("."))), "=", literal)


def test_single_comparison():
    assert parse("status = 'Delivered'") == eq("status", "Delivered")


def test_and_binds_tighter_than_or():
    assert parse("a = 1 OR b = 2 AND c = 3") == Or((eq("a", 1), And((eq("b", 2), eq("c", 3)))))


def test_parentheses_override_precedence():
    assert parse("(a = 1 OR b = 2) AND c = 3") == And((Or((eq("a", 1), eq("b", 2))), eq("c", 3)))


def test_nested_and_of_and_flattens_to_one_and():
    flat = And((eq("a", 1), eq("b", 2), eq("c", 3)))
    assert parse("a = 1 AND (b = 2 AND c = 3)") == flat
    assert parse("(a = 1 AND b = 2) AND c = 3") == flat


def test_nested_or_of_or_flattens_to_one_or():
    assert parse("(a = 1 OR b = 2) OR c = 3") == Or((eq("a", 1), eq("b", 2), eq("c", 3)))


def test_redundant_parentheses_disappear():
    assert parse("((a = 1))") == eq("a", 1)


def test_keywords_are_case_insensitive():
    assert parse("a = 1 and b is not null Or c like 'x%' AND d In (1)") == parse("a = 1 AND b IS NOT NULL OR c LIKE 'x%' AND d IN (1)")


def test_every_comparison_operator():
    for op in ("=", "!=", ">", ">=", "<", "<="):
        assert parse(f"amount {op} 5") == Comparison(Field(("amount",)), op, Number("5"))


def test_operators_need_no_surrounding_spaces():
    assert parse("a>=1 AND b!='x'") == And((Comparison(Field(("a",)), ">=", Number("1")), Comparison(Field(("b",)), "!=", Text("x"))))


def test_doubled_quote_in_string_is_one_quote():
    assert parse("name = 'O''Brien'") == eq("name", "O'Brien")


def test_empty_string_is_a_value():
    assert parse("note = ''") == eq("note", "")


def test_string_may_hold_keywords_operators_and_parentheses():
    assert parse("note = 'a AND b OR (c >= 1)'") == eq("note", "a AND b OR (c >= 1)")


def test_negative_and_decimal_numbers_keep_their_text():
    assert parse("x = -3.50").value == Number("-3.50")
    assert parse("x = -3.50").value.value == -3.5
    assert parse("x = 0012").value.text == "0012"


def test_dotted_name_is_a_path():
    assert parse("sender.email = 'a@b.c'").field == Field(("sender", "email"))


def test_backticked_name_is_one_part_even_with_dots():
    assert parse("`sender.email` = 'a@b.c'").field == Field(("sender.email",))


def test_backticked_name_may_hold_spaces_quotes_and_unicode():
    assert parse("`ship to 'café'` = 'x'").field == Field(("ship to 'café'",))


def test_single_quoted_name_on_the_left_is_a_field():
    assert parse("'sender.email' = 'a@b.c'").field == Field(("sender.email",))


def test_single_quoted_name_reads_doubled_quotes():
    assert parse("'it''s' IS NULL") == IsNull(Field(("it's",)))


def test_plain_and_backticked_simple_names_are_the_same_field():
    assert parse("`status` = 'x'") == parse("status = 'x'")


def test_keyword_after_a_dot_is_a_name():
    assert parse("meta.in = 1").field == Field(("meta", "in"))
    assert parse("in.x = 1").field == Field(("in", "x"))


def test_backticked_keyword_is_a_field():
    assert parse("`and` = 1").field == Field(("and",))


def test_like_takes_a_string_pattern():
    assert parse("email LIKE '%@sendoso.com'") == Like(Field(("email",)), Text("%@sendoso.com"))


def test_in_list_keeps_values_in_order_with_mixed_kinds():
    assert parse("x IN ('b', 2, 'a', -1.5)") == In(Field(("x",)), (Text("b"), Number("2"), Text("a"), Number("-1.5")))


def test_is_null_and_is_not_null():
    assert parse("x IS NULL") == IsNull(Field(("x",)), negated=False)
    assert parse("x IS NOT NULL") == IsNull(Field(("x",)), negated=True)


def test_tabs_and_newlines_are_whitespace():
    assert parse("a = 1\n\tAND\r\nb = 2") == And((eq("a", 1), eq("b", 2)))


def test_newline_inside_a_string_is_kept():
    assert parse("note = 'line 1\nline 2'") == eq("note", "line 1\nline 2")


def test_nesting_up_to_the_limit_parses():
    depth = 100
    assert parse("(" * depth + "a = 1" + ")" * depth) == eq("a", 1)
