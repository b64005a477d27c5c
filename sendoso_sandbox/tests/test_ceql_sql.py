"""CEQL -> SQL: parsing, the meaning in docs/ceql.md, and bound parameters."""

from __future__ import annotations

import datetime as dt
import random
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendoso_sandbox import ceql_parse, ceql_sql
from sendoso_sandbox.ceql_parse import CeqlError
from sendoso_sandbox.ceql_sql import is_decimal_text, literal_instant_ms, select_ids, translate

RECORDS = [
    {
        "id": 1,
        "name": "O'Brien",
        "email": "a@x.io",
        "n": 12,
        "cost": "578.0",
        "flag": True,
        "created_at": "2020-05-01T13:53:05.000-07:00",
        "tags": ["US", "CA"],
        "sender": {"email": "s1@x.io", "id": 4},
    },
    {
        "id": 2,
        "name": "a_c",
        "email": "B@x.io",
        "n": 5,
        "cost": "99.5",
        "flag": False,
        "created_at": "2020-05-01T20:53:05Z",
        "tags": [],
        "sender": {"email": "s2@x.io", "id": 5},
    },
    {
        "id": 3,
        "name": "abc",
        "email": None,
        "n": None,
        "cost": "abc",
        "created_at": "2020-05-01",
        "tags": [["DE"]],
        "sender.email": "dotted-key",
    },
    {
        "id": 4,
        "name": "ABC",
        "n": 7.5,
        "cost": "-3.5",
        "flag": None,
        "created_at": "2012-05-25T11:13:29-0500",
        "tags": [{"c": "US"}, "GB", None],
        "sender": "not an object",
    },
    {"id": 5, "name": "x' OR 1=1 --", "n": 0, "cost": "1e3", "created_at": "2013-04-24 11:19:25", "tags": "US"},
]


def ids(where: str) -> list[int]:
    return select_ids(where, RECORDS)


@pytest.mark.parametrize(
    "where, expected",
    [
        # quoting: a doubled quote is one quote
        ("name = 'O''Brien'", [1]),
        # injection attempt stays a literal
        ("name = 'x'' OR 1=1 --'", [5]),
        ("name = 'nobody'' OR ''1''=''1'", []),
        # AND binds tighter than OR; parentheses override
        ("n = 12 OR n = 5 AND name = 'zzz'", [1]),
        ("(n = 12 OR n = 5) AND name = 'zzz'", []),
        ("name = 'abc' OR n > 10 AND flag = 'true'", [1, 3]),
        # keywords in any case
        ("n = 12 or N = 5", [1]),
        ("name in ('abc', 'ABC') and n is null", [3]),
        # IN, LIKE with _ literal, % wildcard, case-sensitive, whole text
        ("name IN ('abc', 'a_c', 'zzz')", [2, 3]),
        ("name LIKE 'a_c'", [2]),
        ("name LIKE 'a%'", [2, 3]),
        ("name LIKE 'A%'", [4]),
        ("name LIKE 'b%'", []),
        ("name LIKE '%c'", [2, 3]),
        ("email LIKE '%@x.io'", [1, 2]),
        # NULL: missing or null
        ("email IS NULL", [3, 4, 5]),
        ("email IS NOT NULL", [1, 2]),
        ("email != 'a@x.io'", [2]),  # comparisons with NULL are false, != too
        ("flag IS NULL", [3, 4, 5]),
        # instants: offsets are compared as instants
        ("created_at = '2020-05-01T20:53:05.000Z'", [1, 2]),
        ("created_at = '2020-05-01T16:53:05-0400'", [1, 2]),
        ("created_at > '2020-05-01T20:53:04.999Z'", [1, 2]),
        ("created_at < '2020-05-01T00:00:01Z'", [3, 4, 5]),
        ("created_at = '2020-05-01 00:00:00'", [3]),
        ("created_at = '2012-05-25T16:13:29Z'", [4]),
        ("created_at = 1588366385000", [1, 2]),  # epoch milliseconds
        ("created_at <= 1367000000000", [4, 5]),
        # numbers vs decimal text
        ("cost > 100", [1, 3, 5]),  # 'abc' and '1e3' are not decimal: text order
        ("cost = '578'", [1]),
        ("cost < 0", [4]),
        ("n >= 7.5", [1, 4]),
        ("n = '12'", [1]),
        ("cost = '1e3'", [5]),  # not decimal text: text comparison
        # lists: any element; != means no element equals; elements that are lists or objects never match
        ("tags = 'US'", [1, 5]),
        ("tags != 'US'", [2, 3, 4]),
        ("tags IN ('DE')", []),
        ("tags != 'DE'", [1, 2, 3, 4, 5]),
        ("tags LIKE 'G%'", [4]),
        ("tags > 'D'", [1, 4, 5]),
        ("tags IS NULL", []),
        # booleans compare as text
        ("flag = 'true'", [1]),
        ("flag != 'true'", [2]),
        # dotted names reach into objects; backticks and quotes keep a dotted key whole
        ("sender.email = 's2@x.io'", [2]),
        ("sender.id > 4", [2]),
        ("`sender.email` = 'dotted-key'", [3]),
        ("'sender.email' = 'dotted-key'", [3]),
        ("sender IS NOT NULL", [1, 2, 4]),
        ("sender = 'not an object'", [4]),
        ("sender.email IS NULL", [3, 4, 5]),
        # text order is by code point and case-sensitive
        ("name > 'Z'", [2, 3, 5]),
        ("name = 'abc'", [3]),
    ],
)
def test_meaning(where, expected):
    assert ids(where) == expected


@pytest.mark.parametrize(
    "where",
    [
        "",
        "name =",
        "name = 'x",
        "= 'x'",
        "name == 'x'",
        "name <> 'x'",
        "name = x",
        "(name = 'x'",
        "name = 'x')",
        "name LIKE 5",
        "name IN ()",
        "name IN 'x'",
        "name IS 'x'",
        "name IS NOT 'x'",
        "name = 'a' AND",
        "name = 'a' OR OR name = 'b'",
        "name = NULL",
        "and = 'x'",
        "a..b = 1",
        "a. = 1",
        "`` = 1",
        "n = 12abc",
        "n = 1.",
        "n = --1",
        "name = 'a'; DROP TABLE r",
        "n = 1 2",
    ],
)
def test_malformed_clauses_are_rejected(where):
    with pytest.raises(CeqlError):
        ids(where)


def test_values_are_bound_never_pasted():
    translation = translate("name = 'x'' OR 1=1 --' AND `we\"ird` LIKE '%_%'")
    assert "1=1" not in translation.sql and "we" not in translation.sql
    assert "x' OR 1=1 --" in translation.params.values()
    assert "%\\_%" in translation.params.values()  # _ escaped for LIKE


def test_key_with_a_double_quote_is_reachable():
    records = [{"id": 1, 'we"ird': "yes"}, {"id": 2, 'we"ird': "no"}, {"id": 3}]
    assert select_ids("`we\"ird` = 'yes'", records) == [1]
    assert select_ids('`we"ird` IS NULL', records) == [3]


def test_like_escape_character_is_literal():
    records = [{"id": 1, "p": "a\\b"}, {"id": 2, "p": "a\\\\b"}, {"id": 3, "p": "a%b"}]
    assert select_ids("p LIKE 'a\\b'", records) == [1]
    assert select_ids("p LIKE 'a%b'", records) == [1, 2, 3]


def test_real_numbers_compare_as_their_python_text():
    records = [{"id": 1, "x": 1 / 3}, {"id": 2, "x": 1e20}, {"id": 3, "x": 5000.0}, {"id": 4, "x": 10**20}]
    assert select_ids("x = '0.3333333333333333'", records) == [1]
    assert select_ids("x LIKE '1e+%'", records) == [2]
    assert select_ids("x LIKE '%.0'", records) == [3]
    assert select_ids("x LIKE '1000%'", records) == [4]  # beyond int64, still its token text
    assert select_ids("x LIKE '1%'", [{"id": 5, "x": [1e20, 7]}, {"id": 6, "x": [7, 10**20]}]) == [5, 6]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2017-01-01", dt.datetime(2017, 1, 1, tzinfo=dt.timezone.utc)),
        ("2013-04-24 11:19:25", dt.datetime(2013, 4, 24, 11, 19, 25, tzinfo=dt.timezone.utc)),
        ("2016-08-05T09:35:38Z", dt.datetime(2016, 8, 5, 9, 35, 38, tzinfo=dt.timezone.utc)),
        ("2018-01-15T00:00:00.000Z", dt.datetime(2018, 1, 15, tzinfo=dt.timezone.utc)),
        ("2012-05-25T11:13:29-0500", dt.datetime(2012, 5, 25, 16, 13, 29, tzinfo=dt.timezone.utc)),
        ("2020-05-01T13:53:05.123456-07:00", dt.datetime(2020, 5, 1, 20, 53, 5, 123000, tzinfo=dt.timezone.utc)),
        ("2021-02-29", None),
        ("2021-13-01", None),
        ("2021-01-01T24:00:00Z", None),
        ("2021-01-01T00:00:60Z", None),
        ("2021-01-01T00:00:00+24:00", None),
        ("2021-01-01T00:00Z", None),
        ("2021-01-01T00:00:00.Z", None),
        ("0000-01-01", None),
        ("2021-01-01t00:00:00Z", None),
        ("2021-1-01", None),
    ],
)
def test_literal_instants(text, expected):
    ms = literal_instant_ms(text)
    if expected is None:
        assert ms is None
    else:
        assert ms == int(expected.timestamp() * 1000)


def test_decimal_text():
    assert all(map(is_decimal_text, ["0", "-12", "578.0", "-3.50", "007"]))
    assert not any(map(is_decimal_text, ["", "-", "1.", ".5", "1e3", "+1", " 1", "1,0", "١٢"]))


# ---- property test: SQL translation vs a direct reading of docs/ceql.md -----------------

MISSING = object()


def _lookup(record, path):
    value = record
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


def _as_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _cmp(a, op, b):
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _scalar(v, op, lit):
    """One scalar v against a literal, rules 1-3."""
    if isinstance(v, bool):
        return _cmp(_as_text(v), op, lit.text)
    v_ms = literal_instant_ms(v) if isinstance(v, str) else None
    if v_ms is not None:
        if lit.kind == "string" and literal_instant_ms(lit.text) is not None:
            return _cmp(v_ms, op, literal_instant_ms(lit.text))
        if lit.kind == "number":
            return _cmp(v_ms, op, float(lit.text))
    v_num = isinstance(v, (int, float)) or is_decimal_text(v)
    l_num = lit.kind == "number" or is_decimal_text(lit.text)
    if v_num and l_num:
        return _cmp(float(v), op, float(lit.text))
    return _cmp(_as_text(v), op, lit.text)


def _leaves(values):
    return (v for v in values if v is not None and not isinstance(v, (list, dict)))


def _like(text, pattern):
    import re

    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("%")), text, re.S) is not None


def _field(v, test, none_of=False):
    if v is MISSING or v is None or isinstance(v, dict):
        return False
    if isinstance(v, list):
        hit = any(test(e) for e in _leaves(v))
        return not hit if none_of else hit
    return not test(v) if none_of else test(v)


def oracle(node, rec) -> bool:
    if isinstance(node, ceql_parse.Or):
        return any(oracle(n, rec) for n in node.items)
    if isinstance(node, ceql_parse.And):
        return all(oracle(n, rec) for n in node.items)
    v = _lookup(rec, node.field)
    if isinstance(node, ceql_parse.IsNull):
        return (v is not MISSING and v is not None) if node.negated else (v is MISSING or v is None)
    if isinstance(node, ceql_parse.Compare):
        if node.op == "!=":
            return _field(v, lambda e: _scalar(e, "=", node.value), none_of=True)
        return _field(v, lambda e: _scalar(e, node.op, node.value))
    if isinstance(node, ceql_parse.In):
        return _field(v, lambda e: any(_scalar(e, "=", lit) for lit in node.values))
    return _field(v, lambda e: _like(_as_text(e), node.pattern))


TEXTS = [
    "",
    "a",
    "A",
    "b",
    "a_c",
    "abc",
    "a%c",
    "O'Brien",
    "é",
    "zz",
    "12",
    "-3.5",
    "578.0",
    "0",
    "1e3",
    "1.",
    "2020-05-01",
    "2020-05-01T13:53:05.000-07:00",
    "2020-05-01T20:53:05Z",
    "2020-05-01 20:53:05",
    "2020-05-01T20:53:05.0009Z",
    "2012-05-25T11:13:29-0500",
    "2021-02-29",
    "2020-05-01T25:00:00Z",
    "true",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-20, 20),
    st.sampled_from([0.5, -3.5, 578.0, 1e20, 1 / 3]),
    st.sampled_from(TEXTS),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["x", "y"]), inner, max_size=2), max_leaves=5
)
RECORD = st.dictionaries(st.sampled_from(["a", "b", "c"]), VALUES, max_size=3)
FIELDS = ["a", "b", "c", "a.x", "missing", "`b`"]


def _quote(text):
    return "'" + text.replace("'", "''") + "'"


LITERAL = st.one_of(
    st.sampled_from(TEXTS).map(_quote),
    st.sampled_from(["0", "12", "-3.5", "578", "1588362785000", "1588366385000", "-1"]),
)


@st.composite
def predicates(draw):
    field = draw(st.sampled_from(FIELDS))
    kind = draw(st.sampled_from(["cmp", "cmp", "cmp", "like", "in", "null"]))
    if kind == "cmp":
        return f"{field} {draw(st.sampled_from(['=', '!=', '<', '<=', '>', '>=']))} {draw(LITERAL)}"
    if kind == "like":
        pattern = draw(st.sampled_from(["%", "a%", "%c", "a_c", "%0%", "2020%", "", "%e%", "t%"]))
        return f"{field} LIKE {_quote(pattern)}"
    if kind == "in":
        return f"{field} IN ({', '.join(draw(st.lists(LITERAL, min_size=1, max_size=3)))})"
    return f"{field} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"


WHERE = st.recursive(
    predicates(),
    lambda inner: st.tuples(inner, st.sampled_from([" AND ", " OR "]), inner).map(lambda t: "".join(t)) | inner.map(lambda w: f"({w})"),
    max_leaves=4,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=WHERE, records=st.lists(RECORD, min_size=1, max_size=6))
def test_sql_agrees_with_the_documented_meaning(where, records):
    rows = [dict(rec, id=i) for i, rec in enumerate(records)]
    node = ceql_parse.parse(where)
    expected = [r["id"] for r in rows if oracle(node, r)]
    assert select_ids(where, rows) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
    st.sampled_from(["Z", "", "+00:00", "-07:00", "+0530", "-1159", "+23:59"]),
    st.sampled_from(["T", " "]),
    st.sampled_from([0, 1, 3, 6]),
)
def test_sql_instants_match_python(moment, zone, sep, digits):
    frac = f".{moment.microsecond:06d}"[: digits + 1] if digits else ""
    m = moment
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d}{sep}{m.hour:02d}:{m.minute:02d}:{m.second:02d}{frac}{zone}"
    expected = literal_instant_ms(text)
    assert expected is not None
    rows = [{"id": 1, "t": text}]
    assert select_ids(f"t = {expected}", rows) == [1]
    assert select_ids(f"t < {expected + 1}", rows) == [1]
    assert select_ids(f"t > {expected - 1}", rows) == [1]


# ---- deep and long clauses: the SQL stays shallow ---------------------------------------


def _paren_depth(sql: str) -> int:
    depth = deepest = 0
    for ch in sql:  # no literal is pasted into the SQL, so every parenthesis is SQL's
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


def _nested_clause(rng, levels: int, inner: str, and_items: list, or_items: list) -> str:
    """``inner`` under ``levels`` levels of alternating AND/OR (AND innermost);
    every other item is spread over the levels of its operator, some of them as a
    side group of the other operator."""
    and_items, or_items = list(and_items), list(or_items)
    clause = inner
    for level in range(levels):
        is_and = level % 2 == 0
        pool = and_items if is_and else or_items
        left = len(range(level, levels, 2))  # levels of this operator still to build
        assert len(pool) >= left
        take = len(pool)
        if left > 1:  # about a fair share, leaving at least one for each level to come
            take = min(len(pool) - left + 1, max(1, round(len(pool) / left * rng.uniform(0.5, 1.5))))
        items = [pool.pop() for _ in range(take)]
        if len(items) >= 3 and rng.random() < 0.5:
            side = [items.pop(), items.pop()]
            items.append("(" + (" OR " if is_and else " AND ").join(side) + ")")
        items.append(f"({clause})")
        rng.shuffle(items)
        clause = (" AND " if is_and else " OR ").join(items)
    assert not and_items and not or_items
    return clause


def _depth(node) -> int:
    if isinstance(node, (ceql_parse.And, ceql_parse.Or)):
        return 1 + max(_depth(n) for n in node.items)
    return 0


def test_the_reported_clause_runs():
    where = (
        "status LIKE '%' AND (status = '2017-01-01' OR status = '2017-01-01' OR (status = '2017-01-01'"
        " AND status = '2017-01-01' AND status IN ('2017-01-01', 0)))"
    )
    assert select_ids(where, [{"id": 0}]) == []
    assert select_ids(where, [{"id": 1, "status": "2017-01-01T00:00:00Z"}, {"id": 2, "status": "x"}]) == [1]


# True for every record below (for the AND levels) / false for all (for the OR levels).
NEUTRAL_TRUE = [
    "a = 1",
    "a IN ('x', 1)",
    "a IS NOT NULL",
    "tags LIKE 'U%'",
    "a >= '1'",
    "tags != 'ZZ'",
    "b < 'z'",
    "c >= 0",
    "`b` IN ('y', 'z', 'zz', 'k')",
]
NEUTRAL_FALSE = [
    "a = 2",
    "b IS NULL",
    "missing = 1",
    "tags IN ('ZZ', 3)",
    "b LIKE 'nope%'",
    "c = 'nope'",
    "a > 1.5",
    "tags > 'V'",
    "c < '1970-01-01'",
]
DEEP_RECORDS = [
    {"id": 1, "a": 1, "b": "k", "tags": ["US"], "c": "2020-05-01T00:00:00Z"},
    {"id": 2, "a": 1, "b": "k", "tags": ["US"], "c": "2019-12-31T23:59:59-01:00"},  # 2020-01-01T00:59:59Z
    {"id": 3, "a": 1, "b": "k", "tags": ["US"], "c": "2019-12-31"},
]


@pytest.mark.parametrize("levels, predicates", [(30, 200), (100, 300)])
def test_deeply_nested_clause(levels, predicates):
    """30 levels and 200 predicates (and the connector's nesting limit of 100):
    the answer hangs on the innermost predicate."""
    rng = random.Random(levels)
    n = predicates - 1
    and_items = [NEUTRAL_TRUE[i % len(NEUTRAL_TRUE)] for i in range(n // 2)]
    or_items = [NEUTRAL_FALSE[i % len(NEUTRAL_FALSE)] for i in range(n - n // 2)]
    where = _nested_clause(rng, levels, "c >= '2020-01-01'", and_items, or_items)
    node = ceql_parse.parse(where)
    assert _depth(node) >= levels and len(ceql_parse.fields_of(node)) >= predicates - 2
    assert select_ids(where, DEEP_RECORDS) == [1, 2]
    assert select_ids(where.replace("c >= '2020-01-01'", "c < '2020-01-01'"), DEEP_RECORDS) == [3]


def test_sql_nesting_does_not_grow_with_the_clause():
    def clause(levels):
        rng = random.Random(1)
        inner = "tags IN ('2017-01-01', 0, '1.5')"
        return _nested_clause(rng, levels, inner, NEUTRAL_TRUE * 30, NEUTRAL_FALSE * 30)

    depths = {levels: _paren_depth(translate(clause(levels)).sql) for levels in (4, 10, 30, 150)}
    # one more level at most, for the runs of _CHAIN predicates a long clause is split into
    assert max(depths.values()) <= depths[4] + 1, depths
    # and room is left: the SQL still parses with 8 more levels of nesting around it
    translation = translate(clause(150))
    sql = translation.sql
    for _ in range(8):
        sql = f"(seq >= 0 AND {sql})"
    conn = ceql_sql.connect_memory()
    try:
        conn.execute("CREATE TABLE r (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        conn.execute(f"SELECT seq FROM r WHERE {sql}", translation.params).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("count", [63, 64, 65, 129, 1000])
def test_long_chains(count):
    records = [{"id": 1, "a": count}, {"id": 2, "a": [count - 1]}, {"id": 3, "a": "x"}]
    assert select_ids(" OR ".join(f"a = {i}" for i in range(count)), records) == [2]
    assert select_ids(" AND ".join(f"a != {i}" for i in range(count)), records) == [1, 3]
    assert select_ids(f"a IN ({', '.join(str(i) for i in range(count))})", records) == [2]
    assert select_ids(" AND ".join(["a IS NOT NULL"] * count + ["a = 'x'"]), records) == [3]


@contextmanager
def _inline_levels(levels):
    saved = ceql_sql._INLINE_LEVELS
    ceql_sql._INLINE_LEVELS = levels
    try:
        yield
    finally:
        ceql_sql._INLINE_LEVELS = saved


@pytest.mark.parametrize("levels", [0, 1])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=WHERE, records=st.lists(RECORD, min_size=1, max_size=6))
def test_flat_subtrees_mean_the_same(levels, where, records):
    """AND/OR beyond the inline levels are evaluated by ceql_tree: same answers."""
    rows = [dict(rec, id=i) for i, rec in enumerate(records)]
    node = ceql_parse.parse(where)
    expected = [r["id"] for r in rows if oracle(node, r)]
    with _inline_levels(levels):
        assert select_ids(where, rows) == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), records=st.lists(RECORD, min_size=1, max_size=6))
def test_deep_random_clauses_agree_with_the_documented_meaning(data, records):
    leaves = data.draw(st.lists(predicates(), min_size=200, max_size=200))
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    where = _nested_clause(rng, 30, leaves[0], leaves[1:100], leaves[100:])
    rows = [dict(rec, id=i) for i, rec in enumerate(records)]
    node = ceql_parse.parse(where)
    assert [r["id"] for r in rows if oracle(node, r)] == select_ids(where, rows)


def test_hub_answers_a_deeply_nested_where(client):
    """On the hub (the stores' connections, indexed created_at and id), a clause of
    30 levels and 200 predicates selects what the same clause selects on the JSON."""
    docs, _ = client.hub_all("/sent-gifts", {"pageSize": 500})
    rng = random.Random(3)
    fields = [
        "status = 'Delivered'",
        "sender.team_id > 300",
        "recipient.email LIKE '%a%'",
        "current_total_cost > 50",
        "created_at >= '2023-01-01'",
        "created_at < 1672531200000",
        "touch.name IN ('x', 'Q3 2022 Book Club')",
        "sent_via != 'link'",
        "id > 500",
        "current_total_cost <= '80.5'",
        "recipient.company_name IS NULL",
    ]
    items = [rng.choice(fields) for _ in range(199)]
    where = _nested_clause(rng, 30, "status LIKE '%e%'", items[:100], items[100:])
    assert _depth(ceql_parse.parse(where)) >= 30
    expected = select_ids(where, docs)
    records, _ = client.hub_all("/sent-gifts", {"where": where, "pageSize": 100})
    assert [r["id"] for r in records] == sorted(expected)
    assert 0 < len(expected) < len(docs)
