"""CEQL -> SQLite, with the meaning of docs/ceql.md, evaluated on stored JSON.

The clause is parsed by ``ceql_parse`` and turned into a SQL boolean over a
table with a ``doc`` column holding each record's JSON.  Every literal and every
JSON path is a BOUND named parameter (``:p0``...); nothing from the query text is
pasted into the SQL, so ``name = 'x'' OR 1=1 --'`` stays the literal ``x' OR 1=1 --``.

How a predicate ``field op L`` is decided for one record (docs/ceql.md):

* the value ``v`` is ``json_extract(doc, '$."a"."b"')`` with its ``json_type``;
  missing or JSON null -> false for every operator (``IS NULL`` aside); an object
  -> false; a list -> any element satisfies (``!=``: no element equals).  An
  element that is itself a list or an object satisfies nothing (the connector's
  reading too; docs/ceql.md does not say);
* booleans are the text ``true``/``false``;
* comparison, first rule that applies:
  1. instants: ``v`` text in a date form and ``L`` text in a date form, or ``L``
     an (unquoted) number = epoch ms: compare epoch milliseconds;
  2. numbers: ``v`` a JSON number or decimal text, ``L`` a number or decimal text;
  3. text: code point order (SQLite BINARY on UTF-8), a number literal as written,
     a JSON number as its JSON text (which for Python-written JSON is ``str(v)``).
* LIKE: whole text, ``%`` = any run, everything else literal (``_`` and ``\\``
  escaped), case-sensitive (the connections set ``PRAGMA case_sensitive_like``).

Date forms, exactly (ASCII digits; ``T`` or a blank between date and time)::

    YYYY-MM-DD
    YYYY-MM-DD[T ]hh:mm:ss[.f+][Z|+hh:mm|-hh:mm|+hhmm|-hhmm]

with a real calendar date, year >= 0001, hh <= 23, mm <= 59, ss <= 59, and an
offset of at most 23:59.  No offset = UTC; a date alone = its midnight UTC;
fractions beyond milliseconds are truncated.

Decimal text, exactly: ``-?[0-9]+(\\.[0-9]+)?``.

``select_ids(where, records)`` runs the same translation over arbitrary records in
a fresh in-memory database, for property tests against the connector.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Callable, Iterable

from .ceql_parse import And, CeqlError, Compare, In, IsNull, Like, Literal, Node, Or, parse

__all__ = ["CeqlError", "Translation", "translate", "select_ids", "literal_instant_ms", "is_decimal_text"]

_DATE_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_DECIMAL_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def literal_instant_ms(text: str) -> int | None:
    """Epoch ms of a text in a date form, else None (the Python twin of ``_ms_sql``)."""
    m = _DATE_RE.fullmatch(text)
    if not m:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    try:
        days = _dt.date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
    if m[4] is None:
        return days * 86_400_000
    hour, minute, second = int(m[4]), int(m[5]), int(m[6])
    if hour > 23 or minute > 59 or second > 59:
        return None
    millis = int((m[7] + "000")[:3]) if m[7] else 0
    offset = 0
    zone = m[8]
    if zone and zone != "Z":
        oh, om = int(zone[1:3]), int(zone[-2:])
        if oh > 23 or om > 59:
            return None
        offset = (oh * 60 + om) * (-1 if zone[0] == "-" else 1)
    return ((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) + millis - offset * 60_000


def is_decimal_text(text: str) -> bool:
    return _DECIMAL_RE.fullmatch(text) is not None


# ---- SQL building blocks ------------------------------------------------------------
# Each takes SQL expressions as strings.  They re-evaluate their input in correlated
# FROM-subqueries so a long expression (json_extract ...) is computed once.

_DIGIT_GLOB = "[0-9]"
_DATE_GLOB = "-".join((_DIGIT_GLOB * 4, _DIGIT_GLOB * 2, _DIGIT_GLOB * 2))
_DATETIME_GLOB = _DATE_GLOB + "[T ]" + ":".join((_DIGIT_GLOB * 2,) * 3)


def _ms_sql(v: str) -> str:
    """Epoch ms of the TEXT ``v`` when it is in a date form, else NULL."""
    zone = (
        "CASE WHEN substr(v, 20, 1) = '.' THEN ltrim(substr(v, 21), '0123456789') ELSE substr(v, 20) END"
    )
    datetime_ms = f"""(SELECT CASE WHEN
            substr(v, 1, 4) <> '0000'
            AND date(julianday(substr(v, 1, 10))) = substr(v, 1, 10)
            AND substr(v, 12, 2) <= '23' AND substr(v, 15, 2) <= '59' AND substr(v, 18, 2) <= '59'
            AND nfrac <> 0
            AND (z = '' OR z = 'Z'
                 OR ((z GLOB '[+-][0-9][0-9]:[0-9][0-9]' OR z GLOB '[+-][0-9][0-9][0-9][0-9]')
                     AND substr(z, 2, 2) <= '23' AND substr(z, -2, 2) <= '59'))
          THEN CAST(strftime('%s', substr(v, 1, 10) || ' ' || substr(v, 12, 8)) AS INTEGER) * 1000
               + CASE WHEN nfrac > 0 THEN CAST(substr(substr(v, 21, nfrac) || '000', 1, 3) AS INTEGER) ELSE 0 END
               - CASE WHEN z = '' OR z = 'Z' THEN 0
                      ELSE (CASE WHEN substr(z, 1, 1) = '-' THEN -1 ELSE 1 END)
                           * (CAST(substr(z, 2, 2) AS INTEGER) * 60 + CAST(substr(z, -2, 2) AS INTEGER)) * 60000
                 END
        END
        FROM (SELECT v, z, CASE WHEN substr(v, 20, 1) = '.' THEN length(v) - 20 - length(z) ELSE -1 END AS nfrac
              FROM (SELECT v, {zone} AS z)))"""
    return f"""(SELECT CASE
        WHEN length(v) = 10 THEN
            CASE WHEN v GLOB '{_DATE_GLOB}' AND substr(v, 1, 4) <> '0000' AND date(julianday(v)) = v
                 THEN CAST(strftime('%s', v) AS INTEGER) * 1000 END
        WHEN length(v) >= 19 AND substr(v, 1, 19) GLOB '{_DATETIME_GLOB}' THEN {datetime_ms}
        END FROM (SELECT {v} AS v))"""


def _is_decimal_sql(v: str) -> str:
    """1 when the TEXT ``v`` is decimal text, else 0."""
    return f"""(SELECT length(s) > length(r)
                   AND (r = '' OR (substr(r, 1, 1) = '.' AND length(r) > 1
                                   AND ltrim(substr(r, 2), '0123456789') = ''))
        FROM (SELECT s, ltrim(s, '0123456789') AS r
              FROM (SELECT CASE WHEN substr(v, 1, 1) = '-' THEN substr(v, 2) ELSE v END AS s
                    FROM (SELECT {v} AS v))))"""


def _text_of(x: str, t: str, real_text: str) -> str:
    """The text a scalar JSON value compares as: booleans as true/false, numbers
    as their JSON token text."""
    return (
        f"(CASE {t} WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
        f" WHEN 'integer' THEN CAST({x} AS TEXT) WHEN 'real' THEN {real_text} ELSE {x} END)"
    )


@dataclass(frozen=True)
class FieldRef:
    """How to read one field in SQL.

    value/type: SQL for the value (JSON text for arrays/objects) and its json_type
    (NULL when missing).  real_text: SQL for the JSON token text of a real number.
    ms_column: an indexed epoch-ms column usable when the value is ALWAYS a date
    form (then rule 1 with a date or number literal is a plain column comparison).
    int_column: an integer column always equal to the value (``id``).
    """

    value: str
    type: str
    real_text: str
    ms_column: str | None = None
    int_column: str | None = None
    always_text: bool = False  # value is always non-null text (derived columns)


class Binder:
    """Collects named parameters; a name may be used many times in the SQL."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}

    def __call__(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return ":" + name


def _json_path(path: tuple) -> str | None:
    if any('"' in key for key in path):
        return None
    return "$" + "".join(f'."{key}"' for key in path)


def json_field(path: tuple, bind: Binder, doc: str = "doc") -> FieldRef:
    """A field read from the JSON document column."""
    json_path = _json_path(path)
    if json_path is not None:
        p = bind(json_path)
        return FieldRef(
            value=f"json_extract({doc}, {p})",
            type=f"json_type({doc}, {p})",
            real_text=f"(SELECT substr(a, 2, (length(a) - 3) / 2) FROM (SELECT json_extract({doc}, {p}, {p}) AS a))",
        )
    # A key with a double quote cannot be written in a SQLite JSON path: walk the
    # objects with json_each instead, one level at a time.
    value, typ = doc, "'object'"
    for key in path:
        k = bind(key)
        value, typ = (
            f"(CASE WHEN {typ} = 'object' THEN (SELECT value FROM json_each({value}) WHERE key = {k}) END)",
            f"(CASE WHEN {typ} = 'object' THEN (SELECT type FROM json_each({value}) WHERE key = {k}) END)",
        )
    return FieldRef(value=value, type=typ, real_text=f"CAST({value} AS TEXT)")


@dataclass(frozen=True)
class _Lit:
    kind: str  # "date" | "number" | "decimal" | "text"
    text: str  # SQL placeholder for the literal's text
    num: str | None = None  # placeholder for its numeric value (number/decimal)
    ms: str | None = None  # placeholder for its instant (date) or epoch ms (number)


def _classify(lit: Literal, bind: Binder) -> _Lit:
    text = bind(lit.text)
    if lit.kind == "number":
        p = bind(float(lit.text))
        return _Lit("number", text, num=p, ms=p)
    ms = literal_instant_ms(lit.text)
    if ms is not None:
        return _Lit("date", text, ms=bind(ms))
    if is_decimal_text(lit.text):
        return _Lit("decimal", text, num=bind(float(lit.text)))
    return _Lit("text", text)


def _scalar_cmp(x: str, t: str, real_text: str, op: str, lit: _Lit) -> str:
    """SQL truth of ``v op L`` for a non-null scalar v (t is its json_type)."""
    sop = _SQL_OPS[op]
    as_text = f"{_text_of(x, t, real_text)} {sop} {lit.text}"
    if lit.kind == "date":
        return (
            f"(CASE WHEN {t} = 'text' THEN (SELECT CASE WHEN m IS NOT NULL THEN m {sop} {lit.ms}"
            f" ELSE v {sop} {lit.text} END FROM (SELECT v, {_ms_sql('v')} AS m FROM (SELECT {x} AS v)))"
            f" ELSE {as_text} END)"
        )
    if lit.kind == "number":
        return (
            f"(CASE WHEN {t} IN ('integer', 'real') THEN CAST({x} AS REAL) {sop} {lit.num}"
            f" WHEN {t} = 'text' THEN (SELECT CASE WHEN m IS NOT NULL THEN m {sop} {lit.ms}"
            f" WHEN d THEN CAST(v AS REAL) {sop} {lit.num} ELSE v {sop} {lit.text} END"
            f" FROM (SELECT v, {_ms_sql('v')} AS m, {_is_decimal_sql('v')} AS d FROM (SELECT {x} AS v)))"
            f" ELSE {as_text} END)"
        )
    if lit.kind == "decimal":
        return (
            f"(CASE WHEN {t} IN ('integer', 'real') THEN CAST({x} AS REAL) {sop} {lit.num}"
            f" WHEN {t} = 'text' THEN (SELECT CASE WHEN {_is_decimal_sql('v')} THEN CAST(v AS REAL) {sop} {lit.num}"
            f" ELSE v {sop} {lit.text} END FROM (SELECT {x} AS v))"
            f" ELSE {as_text} END)"
        )
    return f"({as_text})"


def _like_pattern(pattern: str) -> str:
    # Only % is a wildcard in CEQL: escape SQL LIKE's _ and the escape char itself.
    return pattern.replace("\\", "\\\\").replace("_", "\\_")


def _field_predicate(ref: FieldRef, scalar: Callable[[str, str, str], str], negate_any: bool = False) -> str:
    """Apply a scalar test to a field value with the NULL / object / list rules.

    ``scalar(x, t, real_text)`` gives SQL for one scalar.  For a list, true when
    some scalar element passes (elements that are lists or objects never do);
    with ``negate_any`` (for !=) true when NO element passes the given (equality) test.
    """
    element = "e.type NOT IN ('array', 'object', 'null')"
    real_text = "(SELECT substr(a, 2, (length(a) - 3) / 2) FROM (SELECT json_extract(x, e.fullkey, e.fullkey) AS a))"
    elem_test = scalar("e.atom", "e.type", real_text)
    exists = f"EXISTS (SELECT 1 FROM json_each(x) AS e WHERE {element} AND {elem_test})"
    array_sql = f"NOT {exists}" if negate_any else exists
    scalar_sql = scalar("x", "t", ref.real_text)  # evaluated only for reals (CASE is lazy)
    if negate_any:
        scalar_sql = f"NOT {scalar_sql}"
    return (
        f"coalesce((SELECT CASE WHEN t IS NULL OR t IN ('null', 'object') THEN 0"
        f" WHEN t = 'array' THEN {array_sql} ELSE {scalar_sql} END"
        f" FROM (SELECT {ref.value} AS x, {ref.type} AS t)), 0)"
    )


class _Translator:
    def __init__(self, resolve: Callable[[tuple, Binder], FieldRef], bind: Binder):
        self.resolve = resolve
        self.bind = bind

    def node(self, node: Node) -> str:
        if isinstance(node, Or):
            return "(" + " OR ".join(self.node(n) for n in node.items) + ")"
        if isinstance(node, And):
            return "(" + " AND ".join(self.node(n) for n in node.items) + ")"
        ref = self.resolve(node.field, self.bind)
        if isinstance(node, IsNull):
            test = f"coalesce({ref.type} IN ('null'), 1)" if not ref.always_text else "0"
            return f"(NOT {test})" if node.negated else f"({test})"
        if isinstance(node, Compare):
            lit = _classify(node.value, self.bind)
            fast = self._fast(ref, node.op, lit)
            if fast:
                return fast
            if node.op == "!=":
                return _field_predicate(ref, lambda x, t, rt: _scalar_cmp(x, t, rt, "=", lit), negate_any=True)
            return _field_predicate(ref, lambda x, t, rt: _scalar_cmp(x, t, rt, node.op, lit))
        if isinstance(node, In):
            lits = [_classify(v, self.bind) for v in node.values]
            return _field_predicate(
                ref, lambda x, t, rt: "(" + " OR ".join(_scalar_cmp(x, t, rt, "=", lit) for lit in lits) + ")"
            )
        if isinstance(node, Like):
            pattern = self.bind(_like_pattern(node.pattern))
            return _field_predicate(ref, lambda x, t, rt: f"({_text_of(x, t, rt)} LIKE {pattern} ESCAPE '\\')")
        raise CeqlError(f"unsupported clause {node!r}")

    def _fast(self, ref: FieldRef, op: str, lit: _Lit) -> str | None:
        """Index-friendly forms, valid only where they mean exactly the same."""
        sop = _SQL_OPS[op]
        if ref.ms_column and lit.kind in ("date", "number"):
            return f"({ref.ms_column} {sop} {lit.ms})"  # value always a date form: rule 1
        if ref.int_column and lit.kind in ("number", "decimal"):
            return f"({ref.int_column} {sop} {lit.num})"  # value always an integer: rule 2
        return None


@dataclass(frozen=True)
class Translation:
    sql: str
    params: dict


def translate(
    where: str | Node,
    resolve: Callable[[tuple, Binder], FieldRef] | None = None,
    bind: Binder | None = None,
) -> Translation:
    """Parse (if needed) and translate a where clause.  ``resolve`` maps a field
    path to a FieldRef and raises CeqlError for unknown fields; by default every
    path is read from the ``doc`` column."""
    node = parse(where) if isinstance(where, str) else where
    bind = bind or Binder()
    resolve = resolve or (lambda path, b: json_field(path, b))
    sql = _Translator(resolve, bind).node(node)
    return Translation(sql, bind.params)


def connect_memory() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA case_sensitive_like = ON")
    return conn


def select_ids(where: str, records: Iterable[dict]) -> list:
    """The ids (in input order) of the records the clause selects, evaluated by
    SQLite on the records' JSON.  Raises CeqlError for a malformed clause."""
    records = list(records)
    translation = translate(where)
    conn = connect_memory()
    try:
        conn.execute("CREATE TABLE r (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        conn.executemany(
            "INSERT INTO r VALUES (?, ?)",
            [(i, json.dumps(rec, ensure_ascii=False, allow_nan=False)) for i, rec in enumerate(records)],
        )
        rows = conn.execute(f"SELECT seq FROM r WHERE {translation.sql} ORDER BY seq", translation.params).fetchall()
    finally:
        conn.close()
    return [records[seq]["id"] for (seq,) in rows]
