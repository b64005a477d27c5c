"""Evaluating on records: the Meaning section of docs/ceql.md, one behaviour per test."""

from source_sendoso.ceql import compile_predicate, evaluate, parse


def matches(clause: str, record: dict) -> bool:
    return compile_predicate(parse(clause))(record)


# -- fields and NULL ------------------------------------------------------------------------


def test_dotted_path_reaches_into_nested_objects():
    assert matches("sender.email = 'a@x.com'", {"sender": {"email": "a@x.com"}})


def test_backticked_name_looks_up_a_key_with_dots():
    record = {"sender.email": "flat@x.com", "sender": {"email": "nested@x.com"}}
    assert matches("`sender.email` = 'flat@x.com'", record)
    assert matches("sender.email = 'nested@x.com'", record)


def test_missing_field_is_null():
    assert not matches("status = 'x'", {})
    assert matches("status IS NULL", {})


def test_missing_intermediate_object_is_null():
    assert matches("sender.email IS NULL", {"recipient": {}})
    assert matches("sender.email IS NULL", {"sender": None})


def test_path_through_a_non_object_is_null():
    assert matches("sender.email IS NULL", {"sender": "not an object"})


def test_path_does_not_reach_into_lists():
    assert matches("items.name IS NULL", {"items": [{"name": "mug"}]})


def test_null_value_fails_every_comparison_like_and_in():
    record = {"x": None}
    for clause in ("x = 'a'", "x != 'a'", "x < 5", "x >= 5", "x LIKE '%'", "x IN ('a', 1)"):
        assert not matches(clause, record), clause


def test_is_null_is_true_for_null_and_missing():
    assert matches("x IS NULL", {"x": None})
    assert matches("x IS NULL", {})


def test_is_not_null_is_true_for_empty_text_zero_false_and_empty_list():
    for value in ("", 0, False, [], {}):
        assert matches("x IS NOT NULL", {"x": value}), value


# -- lists and objects ------------------------------------------------------------------------


def test_comparison_on_a_list_matches_any_element():
    assert matches("n > 5", {"n": [1, 7]})
    assert not matches("n > 5", {"n": [1, 2]})


def test_in_matches_any_element_of_a_list_field():
    record = {"ship_to_countries": ["MX", "CA"]}
    assert matches("ship_to_countries IN ('US', 'CA')", record)
    assert not matches("ship_to_countries IN ('US', 'FR')", record)


def test_like_on_a_list_matches_any_element():
    assert matches("tags LIKE 'vip%'", {"tags": ["new", "vip-2024"]})


def test_not_equal_on_a_list_means_no_element_equals():
    assert matches("c != 'US'", {"c": ["MX", "CA"]})
    assert not matches("c != 'US'", {"c": ["MX", "US"]})


def test_not_equal_on_an_empty_list_is_true():
    assert matches("c != 'US'", {"c": []})


def test_equal_on_an_empty_list_is_false():
    assert not matches("c = 'US'", {"c": []})


def test_null_and_object_elements_of_a_list_satisfy_nothing():
    assert not matches("c LIKE '%'", {"c": [None, {"a": 1}, [1]]})
    assert matches("c != 'x'", {"c": [None, {"a": 1}]})


def test_object_value_satisfies_only_is_not_null():
    record = {"o": {"a": 1}}
    for clause in ("o = 'x'", "o != 'x'", "o > 1", "o LIKE '%'", "o IN ('x')", "o IS NULL"):
        assert not matches(clause, record), clause
    assert matches("o IS NOT NULL", record)


# -- booleans -------------------------------------------------------------------------------


def test_booleans_compare_as_the_text_true_and_false():
    assert matches("flag = 'true'", {"flag": True})
    assert matches("flag = 'false'", {"flag": False})
    assert matches("flag IN ('true')", {"flag": True})
    assert not matches("flag = 'True'", {"flag": True})


def test_boolean_does_not_equal_the_number_one():
    assert not matches("flag = 1", {"flag": True})


# -- instants ---------------------------------------------------------------------------------


def test_offset_timestamps_compare_as_instants():
    assert matches("t = '2020-05-01T20:53:05Z'", {"t": "2020-05-01T13:53:05-07:00"})
    assert matches("t = '2012-05-25T16:13:29Z'", {"t": "2012-05-25T11:13:29-0500"})


def test_naive_timestamp_is_utc():
    assert matches("t = '2013-04-24T11:19:25Z'", {"t": "2013-04-24 11:19:25"})


def test_date_alone_is_midnight_utc():
    assert matches("t = '2017-01-01T00:00:00.000Z'", {"t": "2017-01-01"})
    assert matches("t < '2017-01-01'", {"t": "2016-12-31T23:59:59.999Z"})


def test_instants_compare_to_the_millisecond_truncating_finer_fractions():
    assert matches("t = '2020-01-01T00:00:00.123Z'", {"t": "2020-01-01T00:00:00.123999Z"})
    assert matches("t > '2020-01-01T00:00:00.122Z'", {"t": "2020-01-01T00:00:00.1229Z"}) is False


def test_instant_order_is_not_text_order():
    # As text "2020-05-01T23..." > "2020-05-02T01..."; as instants it is earlier.
    assert matches("t < '2020-05-02T01:00:00+00:00'", {"t": "2020-05-01T23:00:00+05:00"})


def test_number_literal_against_date_text_is_epoch_milliseconds():
    assert matches("t = 1588366385000", {"t": "2020-05-01T13:53:05-07:00"})
    assert matches("t >= 1588366385000", {"t": "2020-05-01T20:53:05.001Z"})


def test_date_text_against_non_date_text_compares_as_text():
    assert matches("t > '2020'", {"t": "2020-05-01"})


def test_impossible_date_compares_as_text():
    assert not matches("t = '2023-03-02'", {"t": "2023-02-30"})
    assert matches("t > '2023-02-28Z'", {"t": "2023-02-30"})


def test_number_value_against_a_date_literal_compares_as_text():
    # Rule 1 only reads *text* values as instants; a numeric epoch is text "1700000000000".
    assert matches("t < '2023-01-01'", {"t": 1700000000000})


# -- numbers ----------------------------------------------------------------------------------


def test_numbers_compare_as_numbers():
    assert matches("amount > 9", {"amount": 10})
    assert matches("amount = 12", {"amount": 12.0})
    assert matches("amount >= -3.5", {"amount": -3.5})


def test_decimal_text_compares_as_a_number():
    assert matches("price = 578", {"price": "578.0"})
    assert matches("count > '9'", {"count": "10"})
    assert matches("price < 1000", {"price": "999.99"})


def test_number_literal_against_plain_text_compares_as_written_text():
    assert matches("code < 7", {"code": "10x"})  # text order: "10x" < "7"
    assert not matches("code = 7", {"code": "7x"})
    # The literal as written, not normalised: "1.5 " < "1.50" (space sorts before "0").
    assert matches("code < 1.50", {"code": "1.5 "})


def test_text_with_plus_sign_or_exponent_is_not_decimal_text():
    assert not matches("n = 5", {"n": "+5"})
    assert not matches("n = 1000", {"n": "1e3"})


def test_number_value_against_plain_text_compares_as_its_json_text():
    assert matches("n = '5.0'", {"n": 5.0}) is True  # both numeric: 5.0 = 5.0
    assert matches("n < 'a'", {"n": 5})


# -- text -----------------------------------------------------------------------------------


def test_text_compares_case_sensitively_by_code_point():
    assert not matches("status = 'delivered'", {"status": "Delivered"})
    assert matches("status < 'a'", {"status": "Z"})
    assert matches("name > 'z'", {"name": "é"})


def test_not_equal_on_a_scalar():
    assert matches("status != 'Delivered'", {"status": "Pending"})
    assert not matches("status != 'Delivered'", {"status": "Delivered"})


def test_in_with_mixed_literals_uses_each_literals_rule():
    clause = "x IN ('a', 5, '2020-01-01')"
    assert matches(clause, {"x": "a"})
    assert matches(clause, {"x": "5.0"})
    assert matches(clause, {"x": "2020-01-01T00:00:00Z"})
    assert not matches(clause, {"x": "b"})


# -- LIKE -------------------------------------------------------------------------------------


def test_like_matches_the_whole_text():
    assert matches("e LIKE 'abc'", {"e": "abc"})
    assert not matches("e LIKE 'abc'", {"e": "xabcx"})


def test_like_percent_matches_any_run_including_none():
    for text in ("a@x.com", "@x.com", "long.name@x.com"):
        assert matches("e LIKE '%@x.com'", {"e": text})
    assert matches("e LIKE 'a%b%c'", {"e": "abc"})
    assert matches("e LIKE 'a%b%c'", {"e": "a-b-b-c"})
    assert not matches("e LIKE 'a%b%c'", {"e": "acb"})


def test_like_prefix_and_suffix_do_not_overlap():
    assert not matches("e LIKE 'ab%ba'", {"e": "aba"})


def test_like_percent_spans_newlines():
    assert matches("e LIKE 'a%b'", {"e": "a\nb"})


def test_like_underscore_and_regex_characters_are_literal():
    assert matches("e LIKE 'a_b.c%'", {"e": "a_b.c!"})
    assert not matches("e LIKE 'a_b%'", {"e": "axb"})
    assert not matches("e LIKE 'a.c'", {"e": "abc"})


def test_like_is_case_sensitive():
    assert not matches("e LIKE 'ABC%'", {"e": "abcdef"})


def test_like_on_a_number_or_boolean_matches_its_text():
    assert matches("n LIKE '57%'", {"n": 578})
    assert matches("b LIKE 't%'", {"b": True})


# -- AND / OR -----------------------------------------------------------------------------------


def test_and_or_evaluate_with_and_binding_tighter():
    clause = "a = 1 OR b = 1 AND c = 1"
    assert matches(clause, {"a": 1})
    assert not matches(clause, {"b": 1})
    assert matches(clause, {"b": 1, "c": 1})


def test_and_of_three_and_or_of_three():
    assert matches("a = 1 AND b = 1 AND c = 1", {"a": 1, "b": 1, "c": 1})
    assert not matches("a = 1 AND b = 1 AND c = 1", {"a": 1, "b": 1})
    assert matches("a = 1 OR b = 1 OR c = 1", {"c": 1})
    assert not matches("a = 1 OR b = 1 OR c = 1", {})


def test_typical_cursor_and_status_filter():
    predicate = compile_predicate(parse("updated_at >= '2025-01-01T00:00:00Z' AND status = 'Delivered'"))
    assert predicate({"updated_at": "2025-01-01T00:00:00.000Z", "status": "Delivered"})
    assert not predicate({"updated_at": "2024-12-31T23:59:59Z", "status": "Delivered"})
    assert not predicate({"updated_at": "2025-06-01T00:00:00Z", "status": "Pending"})


def test_evaluate_is_a_one_call_shortcut():
    assert evaluate(parse("a = 1"), {"a": 1})
    assert not evaluate(parse("a = 1"), {"a": 2})


def test_predicate_works_on_any_mapping():
    from types import MappingProxyType

    record = MappingProxyType({"sender": MappingProxyType({"email": "a@x.com"})})
    assert matches("sender.email = 'a@x.com'", record)  # type: ignore[arg-type]
