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

Shape of the SQL.  It must stay shallow: SQLite's parser has a fixed stack of
about 100 entries (every parenthesis opened after an operator costs about
three), and an expression tree may be at most 1000 high.

* The per-value work is done by SQL functions of the sandbox's own, registered
  on every connection that runs a translation (``register_functions``: the
  stores' connections and ``connect_memory()``): ``ceql_ms(text)`` is the epoch
  ms of a text in a date form, else NULL (``literal_instant_ms``), and
  ``ceql_num(text)`` the number of a decimal text, else NULL (a GLOB on the
  first/last characters spares Python the texts that cannot be either).  The
  rest of a predicate is a flat CASE over the value's json_type, so a predicate
  needs a small, fixed parser depth.
* The first ``_INLINE_LEVELS`` levels of AND/OR are plain nested SQL (lazy, and
  the hub's indexed columns still drive the plan).  A deeper AND/OR subtree is
  one call ``ceql_tree(:program, bits)``: ``bits`` is the text of the subtree's
  predicates' truths ('1'/'0', joined with ``||``) and the bound program is the
  tree in postfix.  The SQL nests no deeper however deep the clause is.
* A chain of more than ``_CHAIN`` terms is grouped in parenthesised runs, to
  keep the expression tree low.

``select_ids(where, records)`` runs the same translation over arbitrary records in
a fresh in-memory database, for property tests against the connector.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Callable, Iterable

from .ceql_parse import And, CeqlError, Compare, In, IsNull, Like, Literal, Node, Or, parse

__all__ = [
    "CeqlError",
    "Translation",
    "translate",
    "select_ids",
    "literal_instant_ms",
    "is_decimal_text",
    "register_functions",
    "connect_memory",
]

_DATE_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_DECIMAL_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# AND/OR levels written as nested SQL; a deeper subtree is one flat ceql_tree call.
_INLINE_LEVELS = 3
# Most terms joined by one flat AND/OR chain (SQLite's expression height limit is 1000).
_CHAIN = 64


def literal_instant_ms(text: str) -> int | None:
    """Epoch ms of a text in a date form, else None (also the SQL function ``ceql_ms``)."""
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


# ---- SQL functions -----------------------------------------------------------------
# The heavy per-value readings, in the sandbox's own Python (never the connector's).


def _ms_function(value: object) -> int | None:
    """``ceql_ms(v)``: epoch ms of a TEXT in a date form, else NULL."""
    return literal_instant_ms(value) if isinstance(value, str) else None


def _num_function(value: object) -> float | None:
    """``ceql_num(v)``: the number of a decimal TEXT, else NULL."""
    if isinstance(value, str) and _DECIMAL_RE.fullmatch(value):
        return float(value)
    return None


@functools.lru_cache(maxsize=64)
def _program(text: str) -> tuple:
    return tuple((step[0], int(step[1:] or 0)) for step in text.split())


def _tree_function(program: str, bits: str) -> int:
    """``ceql_tree(program, bits)``: the value of an AND/OR tree (see
    ``_Translator._flat``) given its predicates' truths."""
    values: list[bool] = []
    leaf = 0
    for kind, count in _program(program):
        if kind == "L":
            values.append(bits[leaf] == "1")
            leaf += 1
        else:
            items = values[-count:]
            del values[-count:]
            values.append(all(items) if kind == "A" else any(items))
    if leaf != len(bits) or len(values) != 1:
        raise ValueError("ceql_tree: program and bits do not match")
    return int(values[0])


def register_functions(conn: sqlite3.Connection) -> None:
    """Register the SQL functions a translation uses on ``conn`` (every connection
    that runs translated SQL needs them)."""
    conn.create_function("ceql_ms", 1, _ms_function, deterministic=True)
    conn.create_function("ceql_num", 1, _num_function, deterministic=True)
    conn.create_function("ceql_tree", 2, _tree_function, deterministic=True)


# ---- SQL building blocks ------------------------------------------------------------
# Each takes SQL expressions as strings.


def _join(op: str, terms: list[str]) -> str:
    """``(a op b op ...)``; a long chain in parenthesised runs of at most _CHAIN
    terms (runs of runs...), so the expression stays low."""
    while len(terms) > _CHAIN:
        runs = [terms[i : i + _CHAIN] for i in range(0, len(terms), _CHAIN)]
        terms = [run[0] if len(run) == 1 else "(" + f" {op} ".join(run) + ")" for run in runs]
    return "(" + f" {op} ".join(terms) + ")"


# Necessary conditions checked in SQL first, so most texts never reach Python.
_DATE_START_GLOB = "-".join(("[0-9]" * 4, "[0-9]" * 2, "[0-9]" * 2)) + "*"


def _ms_of(x: str) -> str:
    """Epoch ms of the TEXT x in a date form, else NULL."""
    return f"CASE WHEN {x} GLOB '{_DATE_START_GLOB}' THEN ceql_ms({x}) END"


def _num_of(x: str) -> str:
    """The number of the TEXT x when it is decimal text, else NULL."""
    return f"CASE WHEN {x} GLOB '*[0-9]' THEN ceql_num({x}) END"


def _token_text(json_text: str, path: str) -> str:
    """The JSON token text of the number at ``path``: json_extract with two paths
    answers the JSON array ``[tok,tok]`` (2n + 3 characters), which keeps a number
    as written."""
    pair = f"json_extract({json_text}, {path}, {path})"
    return f"substr({pair}, 2, length({pair}) / 2 - 1)"


def _by_type(t: str, text: str, true: str, false: str, number: str) -> str:
    """One flat CASE over the json_type of a non-null scalar (the only types a
    scalar test sees: text, true, false, integer, real)."""
    return f"CASE {t} WHEN 'text' THEN {text} WHEN 'true' THEN {true} WHEN 'false' THEN {false} ELSE {number} END"


@dataclass(frozen=True)
class FieldRef:
    """How to read one field in SQL.

    value/type: SQL for the value (JSON text for arrays/objects) and its json_type
    (NULL when missing).  real_text: SQL for the JSON token text of a number
    (integer or real).
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
    """Collects named parameters; a name may be used many times in the SQL, and an
    equal value (of the same type) bound again reuses its name."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}
        self._names: dict[tuple, str] = {}

    def __call__(self, value: object) -> str:
        key = (type(value), repr(value) if isinstance(value, float) else value)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"p{len(self.params)}"
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
            real_text=_token_text(doc, p),
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


def _scalar_cmp(x: str, t: str, number_text: str, op: str, lit: _Lit) -> str:
    """SQL truth of ``v op L`` for a non-null scalar v (t is its json_type).

    Booleans compare as the text true/false and numbers, unless rule 2 applies,
    as their token text.  ``coalesce`` takes the first rule that applies to a
    text: ``_ms_of`` / ``_num_of`` are NULL for a text that is not a date form /
    decimal text, and a comparison with NULL is NULL."""
    sop = _SQL_OPS[op]
    text = f"{x} {sop} {lit.text}"
    true, false, number = f"'true' {sop} {lit.text}", f"'false' {sop} {lit.text}", f"{number_text} {sop} {lit.text}"
    if lit.kind == "date":
        text = f"coalesce({_ms_of(x)} {sop} {lit.ms}, {text})"
    elif lit.kind == "number":
        text = f"coalesce({_ms_of(x)} {sop} {lit.ms}, {_num_of(x)} {sop} {lit.num}, {text})"
        number = f"CAST({x} AS REAL) {sop} {lit.num}"
    elif lit.kind == "decimal":
        text = f"coalesce({_num_of(x)} {sop} {lit.num}, {text})"
        number = f"CAST({x} AS REAL) {sop} {lit.num}"
    return _by_type(t, text, true, false, number)


def _scalar_like(x: str, t: str, number_text: str, pattern: str) -> str:
    like = f"LIKE {pattern} ESCAPE '\\'"
    return _by_type(t, f"{x} {like}", f"'true' {like}", f"'false' {like}", f"{number_text} {like}")


def _like_pattern(pattern: str) -> str:
    # Only % is a wildcard in CEQL: escape SQL LIKE's _ and the escape char itself.
    return pattern.replace("\\", "\\\\").replace("_", "\\_")


def _field_predicate(ref: FieldRef, scalar: Callable[[str, str, str], str], negate_any: bool = False) -> str:
    """Apply a scalar test to a field value with the NULL / object / list rules.

    ``scalar(x, t, number_text)`` gives SQL for one scalar.  For a list, true when
    some scalar element passes (elements that are lists or objects never do);
    with ``negate_any`` (for !=) true when NO element passes the given (equality) test.
    """
    element = "e.type NOT IN ('array', 'object', 'null')"
    elem_test = scalar("e.atom", "e.type", _token_text("x", "e.fullkey"))
    exists = f"EXISTS (SELECT 1 FROM json_each(x) AS e WHERE {element} AND {elem_test})"
    array_sql = f"NOT {exists}" if negate_any else exists
    scalar_sql = scalar("x", "t", ref.real_text)  # the token text is read only when needed (CASE is lazy)
    if negate_any:
        scalar_sql = f"NOT {scalar_sql}"
    return (
        f"(SELECT CASE WHEN t IS NULL OR t IN ('null', 'object') THEN 0"
        f" WHEN t = 'array' THEN {array_sql} ELSE {scalar_sql} END"
        f" FROM (SELECT {ref.value} AS x, {ref.type} AS t))"
    )


_BOOL_OP = {And: "AND", Or: "OR"}


class _Translator:
    def __init__(self, resolve: Callable[[tuple, Binder], FieldRef], bind: Binder):
        self.resolve = resolve
        self.bind = bind

    def node(self, node: Node, level: int = 0) -> str:
        """SQL for a clause; the first _INLINE_LEVELS levels of AND/OR nest as
        plain SQL, a deeper AND/OR subtree is one flat ``ceql_tree`` call."""
        if isinstance(node, (And, Or)):
            if level >= _INLINE_LEVELS:
                return self._flat(node)
            return _join(_BOOL_OP[type(node)], [self.node(n, level + 1) for n in node.items])
        return self.leaf(node)

    def _flat(self, root: Node) -> str:
        """An AND/OR subtree as ``ceql_tree(:program, bits)``.  Every predicate of
        the subtree gives one character '1'/'0' of ``bits``, a text built with
        ``||`` (a predicate's SQL is 1 when true, 0 or NULL when false).  The bound
        program is the tree in postfix: ``L`` reads the next bit, ``A<k>`` / ``O<k>``
        replace the last k values by their AND / OR.  The SQL does not nest any
        deeper for a deeper clause; all the subtree's predicates are evaluated for
        every row (no short-circuit below the inline levels)."""
        program: list[str] = []
        bits: list[str] = []
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:  # postfix walk, without recursion
            node, done = stack.pop()
            if not isinstance(node, (And, Or)):
                bits.append(f"({self.leaf(node)} IS 1)")  # 1 or 0, never NULL
                program.append("L")
            elif done:
                program.append(f"{'A' if isinstance(node, And) else 'O'}{len(node.items)}")
            else:
                stack.append((node, True))
                stack.extend((item, False) for item in reversed(node.items))
        return f"(ceql_tree({self.bind(' '.join(program))}, {_join('||', bits)}) = 1)"

    def leaf(self, node: Node) -> str:
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
            return _field_predicate(ref, lambda x, t, rt: _join("OR", [_scalar_cmp(x, t, rt, "=", lit) for lit in lits]))
        if isinstance(node, Like):
            pattern = self.bind(_like_pattern(node.pattern))
            return _field_predicate(ref, lambda x, t, rt: _scalar_like(x, t, rt, pattern))
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
    """An in-memory connection ready for translated SQL (functions registered,
    case-sensitive LIKE)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA case_sensitive_like = ON")
    register_functions(conn)
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
