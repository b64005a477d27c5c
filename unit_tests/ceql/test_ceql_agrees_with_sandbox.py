"""The connector's CEQL and the sandbox's CEQL-in-SQLite give the same answer.

Two independent implementations of docs/ceql.md: the connector compiles a clause into
Python closures; the sandbox (which shares no code with it) translates the clause into
SQL over stored JSON. Where a hub honours a pushed-down `where`, the records it returns
must be exactly those the connector's own check keeps, or rows would be lost.
"""

import ceql_strategies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendoso_sandbox.ceql_sql import select_ids
from source_sendoso.ceql import Field, Number, Text, compile_predicate, render

DATE_TEXTS = [
    "2017-01-01",
    "2013-04-24 11:19:25",
    "2016-08-05T09:35:38Z",
    "2018-01-15T00:00:00.000Z",
    "2012-05-25T11:13:29-0500",
    "2020-05-01T13:53:05.000-07:00",
    "2020-05-01T20:53:05Z",
]
TEXTS = DATE_TEXTS + ["Delivered", "Opened", "O'Brien", "a%b", "a_b", "578.0", "-3.5", "10", "true", "false", "", "é", "US", "CA"]

names = st.sampled_from(["status", "cost", "created_at", "flag", "countries"])
fields = st.one_of(
    names.map(lambda name: Field((name,))),
    st.sampled_from([Field(("sender", "email")), Field(("sender", "team_id")), Field(("sender.email",))]),
)
literal_texts = st.one_of(st.sampled_from(TEXTS), st.text(alphabet="ab%_'O", max_size=4))
literal_numbers = st.one_of(
    st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
    st.sampled_from(["1588366385000", "0", "578", "578.0"]),
).map(Number)
values = st.one_of(literal_texts.map(Text), literal_numbers)
like_patterns = st.one_of(st.sampled_from(["%", "D%", "%@acme.com", "a_b", "%'%", "2020-%"]), literal_texts)
expressions = ceql_strategies.expressions(ceql_strategies.predicates(fields, values, like_patterns, max_in=3))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-1000, max_value=10**13),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 2)),
    st.sampled_from(TEXTS),
)
sender = st.one_of(st.none(), st.fixed_dictionaries({}, optional={"email": scalars, "team_id": scalars}))
records = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "status": scalars,
            "cost": scalars,
            "created_at": scalars,
            "flag": scalars,
            "countries": st.lists(st.one_of(st.sampled_from(["US", "CA", "GB"]), scalars), max_size=3),
            "sender": sender,
            "sender.email": scalars,
        },
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, records)
def test_connector_evaluation_agrees_with_the_sandbox_sql_on_the_same_rows(expr, rows):
    rows = [{"id": index, **row} for index, row in enumerate(rows)]
    keeps = compile_predicate(expr)

    by_connector = [row["id"] for row in rows if keeps(row)]
    by_sandbox = sorted(select_ids(render(expr), rows))

    assert by_connector == by_sandbox, render(expr)
