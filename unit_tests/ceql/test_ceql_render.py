"""Rendering a tree back to a where= clause: exact, and safe to push down."""

from source_sendoso.ceql import And, Comparison, Field, In, IsNull, Like, Number, Or, Text, parse, render


def test_render_simple_comparison():
    assert render(Comparison(Field(("status",)), "=", Text("Delivered"))) == "status = 'Delivered'"


def test_render_doubles_quotes_in_text():
    assert render(Comparison(Field(("name",)), "=", Text("O'Brien"))) == "name = 'O''Brien'"


def test_injection_attempt_stays_inside_its_quotes():
    hostile = "x' OR '1' = '1"
    expr = Comparison(Field(("name",)), "=", Text(hostile))
    assert parse(render(expr)) == expr


def test_render_keeps_number_text_as_written():
    assert render(Comparison(Field(("x",)), ">", Number("-0.50"))) == "x > -0.50"


def test_render_dotted_path_bare():
    assert render(IsNull(Field(("sender", "email")))) == "sender.email IS NULL"


def test_render_backticks_a_name_holding_dots():
    assert render(IsNull(Field(("sender.email",)))) == "`sender.email` IS NULL"


def test_render_backticks_names_that_are_not_plain():
    assert render(IsNull(Field(("ship to",)))) == "`ship to` IS NULL"
    assert render(IsNull(Field(("café",)))) == "`café` IS NULL"
    assert render(IsNull(Field(("1st",)))) == "`1st` IS NULL"


def test_render_backticks_a_name_that_is_a_keyword():
    assert render(IsNull(Field(("Null",)))) == "`Null` IS NULL"


def test_render_quotes_a_name_holding_a_backtick():
    expr = IsNull(Field(("a`b'c",)))
    assert render(expr) == "'a`b''c' IS NULL"
    assert parse(render(expr)) == expr


def test_render_parenthesises_or_inside_and():
    a, b, c = (IsNull(Field((name,))) for name in "abc")
    assert render(And((Or((a, b)), c))) == "(a IS NULL OR b IS NULL) AND c IS NULL"


def test_render_leaves_and_inside_or_bare():
    a, b, c = (IsNull(Field((name,))) for name in "abc")
    assert render(Or((a, And((b, c))))) == "a IS NULL OR b IS NULL AND c IS NULL"


def test_render_like_in_and_is_not_null():
    assert render(Like(Field(("e",)), Text("%@x.com"))) == "e LIKE '%@x.com'"
    assert render(In(Field(("c",)), (Text("US"), Number("7")))) == "c IN ('US', 7)"
    assert render(IsNull(Field(("c",)), negated=True)) == "c IS NOT NULL"


def test_render_of_a_parsed_clause_normalises_spacing_and_keyword_case():
    assert render(parse("a>=1  and(b='x'or c is not null)")) == "a >= 1 AND (b = 'x' OR c IS NOT NULL)"
