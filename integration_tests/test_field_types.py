"""One type per field: what the connector emits never makes a variant column in a destination.

The sandbox sends the fields Sendoso's docs show in two forms in both of them, mixed across
records (an amount as decimal text or a bare number, an id as a number or text, timestamps
with any offset, with or without milliseconds). A full read of every stream, on each backend,
must emit each field, at every depth, with one JSON type: the one its schema declares, and
every timestamp in one form.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Set

import pytest
from conftest import SCALE
from sandbox import RunningSandbox, configured_catalog, run_connector

from sendoso_sandbox.data import Generator

CANONICAL_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", dict: "object", list: "array"}[type(value)]


def _types_by_path(records: Iterable[Dict[str, Any]]) -> Dict[str, Set[str]]:
    """`sender.id`, `status_updates[].occurred_at` -> the JSON types of its non-null values."""
    found: Dict[str, Set[str]] = defaultdict(set)

    def walk(value: Any, path: str) -> None:
        if value is None:
            return
        found[path].add(_json_type(value))
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for item in value:
                walk(item, f"{path}[]")

    for record in records:
        for key, value in record.items():
            walk(value, key)
    return found


def _declared(schema: Dict[str, Any], path: str = "") -> Dict[str, Dict[str, Any]]:
    """Every declared field by the same paths as `_types_by_path`."""
    out: Dict[str, Dict[str, Any]] = {}
    for key, subschema in (schema.get("properties") or {}).items():
        here = f"{path}.{key}" if path else key
        out[here] = subschema
        out.update(_declared(subschema, here))
        if isinstance(subschema.get("items"), dict):
            out[f"{here}[]"] = subschema["items"]
            out.update(_declared(subschema["items"], f"{here}[]"))
    return out


def _declared_type(subschema: Dict[str, Any]) -> Set[str]:
    declared = subschema.get("type")
    return ({declared} if isinstance(declared, str) else set(declared or ())) - {"null"}


@pytest.fixture(scope="module")
def reads(sandbox: RunningSandbox, discovered: Dict[str, Any]) -> Dict[str, Any]:
    sandbox.control("POST", "reset")
    hub_discovery = run_connector("discover", config=sandbox.config("cloud_elements"))
    assert hub_discovery.returncode == 0, hub_discovery.errors
    catalogs = {"sendoso": discovered, "cloud_elements": hub_discovery.of_type("CATALOG")[0]["catalog"]}
    out = {}
    for backend, catalog in catalogs.items():
        run = run_connector("read", config=sandbox.config(backend), catalog=configured_catalog(catalog))
        assert run.returncode == 0 and not run.errors, (backend, run.errors)
        out[backend] = (run, {stream["name"]: stream["json_schema"] for stream in catalog["streams"]})
    return out


def test_the_sandbox_sends_fields_in_both_documented_forms() -> None:
    # What makes the test below able to fail: the same field arrives with two JSON types.
    generator = Generator(1, SCALE)
    groups = [json.loads(row[-1]) for row in generator.group_rows()]
    sends = [json.loads(row[-1]) for batch in generator.send_batches() for row in batch]

    mixed = {path for path, types in _types_by_path(groups).items() if len(types) > 1}
    assert {"id", "monthly_budget", "one_time_budget"} <= mixed
    assert {len(send["created_at"]) for send in sends} >= {25, 29}  # without and with milliseconds
    assert len({send["created_at"][-6:] for send in sends}) > 1  # several offsets


@pytest.mark.parametrize("backend", ["sendoso", "cloud_elements"])
def test_every_emitted_field_has_one_json_type_the_declared_one(reads: Dict[str, Any], backend: str) -> None:
    run, schemas = reads[backend]
    by_stream: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for record in run.records:
        by_stream[record["stream"]].append(record["data"])
    assert {"groups", "group_members", "touches", "sends"} <= set(by_stream), sorted(by_stream)

    problems = []
    for stream, records in sorted(by_stream.items()):
        declared = _declared(schemas[stream])
        for path, types in sorted(_types_by_path(records).items()):
            expected = _declared_type(declared.get(path, {}))
            if expected == {"number"} and types <= {"integer", "number"}:
                types = {"number"}  # JSON has one number type: 5 and 5.0 are both numbers
            if len(types) != 1 or (expected and types != expected):
                problems.append(f"{stream}.{path}: emitted {sorted(types)}, declared {sorted(expected)}")
    assert not problems, problems


@pytest.mark.parametrize("backend", ["sendoso", "cloud_elements"])
def test_every_emitted_timestamp_is_in_utc_with_milliseconds(reads: Dict[str, Any], backend: str) -> None:
    run, schemas = reads[backend]
    instants = {
        stream: [path for path, subschema in _declared(schema).items() if subschema.get("format") == "date-time"]
        for stream, schema in schemas.items()
    }
    problems = set()
    checked = 0
    for record in run.records:
        for path in instants[record["stream"]]:
            for value in _values_at(record["data"], path):
                checked += 1
                if not CANONICAL_INSTANT.fullmatch(value):
                    problems.add(f"{record['stream']}.{path}: {value}")
    assert checked and not problems, sorted(problems)[:20]


def _values_at(data: Any, path: str) -> Iterable[Any]:
    values = [data]
    for part in path.split("."):
        key, is_array = (part[:-2], True) if part.endswith("[]") else (part, False)
        values = [value.get(key) for value in values if isinstance(value, dict)]
        if is_array:
            values = [item for value in values if isinstance(value, list) for item in value]
    return [value for value in values if value is not None]
