"""CanonicalTypes: every field in the one form its schema declares, one behaviour per test."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from source_sendoso import components
from source_sendoso.components import CanonicalTypes


def _schema(**properties: Any) -> Dict[str, Any]:
    return {"type": "object", "properties": properties}


TEXT = {"type": ["null", "string"]}
INSTANT = {"type": ["null", "string"], "format": "date-time"}
INTEGER = {"type": ["null", "integer"]}
NUMBER = {"type": ["null", "number"]}
BOOLEAN = {"type": ["null", "boolean"]}


def _normalized(schema: Dict[str, Any], record: Dict[str, Any]) -> Dict[str, Any]:
    CanonicalTypes().transform(record, schema)
    return record


@pytest.mark.parametrize("bare, text", [(50000, "50000"), (0, "0"), (578.0, "578.0"), (19.99, "19.99"), (-2.5, "-2.5")])
def test_a_bare_number_in_a_text_field_becomes_its_decimal_text(bare: Any, text: str) -> None:
    assert _normalized(_schema(monthly_budget=TEXT), {"monthly_budget": bare}) == {"monthly_budget": text}


@pytest.mark.parametrize("bare, text", [(1e16, "10000000000000000"), (1.5e-07, "0.00000015"), (123456789012.34, "123456789012.34")])
def test_decimal_text_of_a_number_never_has_an_exponent_and_keeps_every_digit(bare: float, text: str) -> None:
    assert _normalized(_schema(balance=TEXT), {"balance": bare}) == {"balance": text}


@pytest.mark.parametrize("text", ["578.0", "578.00", "50000", "not a number"])
def test_text_in_a_text_field_stays_exactly_as_written(text: str) -> None:
    assert _normalized(_schema(balance=TEXT), {"balance": text}) == {"balance": text}


def test_an_integral_text_or_float_in_an_integer_field_becomes_an_int() -> None:
    record = _normalized(_schema(id=INTEGER, team_id=INTEGER), {"id": "1234", "team_id": 5678.0})

    assert record == {"id": 1234, "team_id": 5678}
    assert type(record["id"]) is int and type(record["team_id"]) is int


@pytest.mark.parametrize("value", ["12.5", "12a", "", 12.5, True])
def test_a_value_that_is_no_integer_stays_as_it_came(value: Any) -> None:
    assert _normalized(_schema(id=INTEGER), {"id": value}) == {"id": value}


def test_decimal_text_in_a_number_field_becomes_a_number() -> None:
    assert _normalized(_schema(rate=NUMBER, count=NUMBER), {"rate": "0.0725", "count": "12"}) == {"rate": 0.0725, "count": 12}


@pytest.mark.parametrize("text, value", [("true", True), ("False", False)])
def test_true_or_false_text_in_a_boolean_field_becomes_a_boolean(text: str, value: bool) -> None:
    assert _normalized(_schema(rollover=BOOLEAN), {"rollover": text}) == {"rollover": value}


def test_other_text_in_a_boolean_field_stays_as_it_came() -> None:
    assert _normalized(_schema(rollover=BOOLEAN), {"rollover": "yes"}) == {"rollover": "yes"}


@pytest.mark.parametrize(
    "sent, emitted",
    [
        ("2020-05-01T13:53:05.000-07:00", "2020-05-01T20:53:05.000Z"),  # groups, touches: milliseconds
        ("2022-09-12T12:08:27-07:00", "2022-09-12T19:08:27.000Z"),  # sends: whole seconds
        ("2022-12-11T00:00:02-08:00", "2022-12-11T08:00:02.000Z"),
        ("2024-05-01T23:30:00.123456+05:30", "2024-05-01T18:00:00.123Z"),  # microseconds: truncated
        ("2024-05-01 10:00:00", "2024-05-01T10:00:00.000Z"),  # no offset: UTC
        ("2023-10-25", "2023-10-25T00:00:00.000Z"),
    ],
)
def test_a_timestamp_in_any_date_form_becomes_the_same_instant_in_utc(sent: str, emitted: str) -> None:
    assert _normalized(_schema(created_at=INSTANT), {"created_at": sent}) == {"created_at": emitted}


def test_a_timestamp_already_in_utc_is_left_as_the_same_text() -> None:
    canonical = "2024-05-01T17:00:00.000Z"
    record = _normalized(_schema(updated_at=INSTANT), {"updated_at": canonical})

    assert record["updated_at"] is canonical


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00Z", 1_700_000_000_000])
def test_a_value_that_is_no_timestamp_stays_as_it_came(value: Any) -> None:
    assert _normalized(_schema(created_at=INSTANT), {"created_at": value}) == {"created_at": value}


def test_fields_of_nested_objects_and_of_array_items_are_normalized_too() -> None:
    schema = _schema(
        sender=_schema(id=INTEGER, team_id=INTEGER, name=TEXT) | {"type": ["null", "object"]},
        status_updates={"type": ["null", "array"], "items": _schema(status=TEXT, occurred_at=INSTANT)},
        ship_to_countries={"type": ["null", "array"], "items": {"type": "string"}},
    )
    record = {
        "sender": {"id": "123", "team_id": 7, "name": "Ada"},
        "status_updates": [{"status": "Sent", "occurred_at": "2022-09-12T12:08:27-07:00"}, None],
        "ship_to_countries": ["US", 49],
    }

    assert _normalized(schema, record) == {
        "sender": {"id": 123, "team_id": 7, "name": "Ada"},
        "status_updates": [{"status": "Sent", "occurred_at": "2022-09-12T19:08:27.000Z"}, None],
        "ship_to_countries": ["US", "49"],
    }


def test_null_and_missing_fields_stay_null_and_missing() -> None:
    record = _normalized(_schema(budget=TEXT, id=INTEGER, created_at=INSTANT), {"budget": None})

    assert record == {"budget": None}


def test_fields_without_one_declared_type_stay_as_they_came() -> None:
    schema = _schema(either={"type": ["null", "string", "integer"]}, anything={}, free={"type": "object"})
    record = {"either": 5, "anything": 5, "free": {"id": "5"}, "undeclared": 5}

    assert _normalized(schema, dict(record)) == record


def test_a_schema_is_compiled_once_for_all_the_records_of_its_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = []
    plan_of = components._plan_of
    monkeypatch.setattr(components, "_plan_of", lambda properties: compiled.append(properties) or plan_of(properties))
    normalizer, schema = CanonicalTypes(), _schema(id=INTEGER)

    for number in range(3):
        normalizer.transform({"id": str(number)}, schema)

    assert len(compiled) == 1
