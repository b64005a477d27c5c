"""Every record Sendoso's public docs show passes its stream's schema once the connector has read it.

The examples (unit_tests/resources/documented_records.json, each with the page it is from) are
served as Sendoso and the hub would serve them, read through the whole manifest (extraction,
transformations, canonical types) on each backend that has the stream, and each emitted record
is checked as the acceptance tests check records: against the stream's schema with its formats,
with no field the schema does not declare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
from jsonschema import Draft7Validator, FormatChecker, validators

from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.hub import HubConfigBuilder, hub_page, hub_request, mock_only_named_objects
from mock_server.read import read_stream, record_data
from mock_server.records import group
from mock_server.requests import list_request, members_request, products_request, token_request
from mock_server.responses import members_response, page_response, products_response, token_response
from source_sendoso.filters import stream_schemas

DOCUMENTED = json.loads((Path(__file__).parent / "resources" / "documented_records.json").read_text(encoding="utf-8"))["examples"]
MEMBERS_GROUP = 6789  # the team_group_id of the members' examples
# As the acceptance tests validate records: an `integer` is an int, never an integral float.
StrictIntegerDraft7 = validators.extend(
    Draft7Validator,
    type_checker=Draft7Validator.TYPE_CHECKER.redefine("integer", lambda _, value: type(value) is int),
)


def _examples(stream: str) -> List[Dict[str, Any]]:
    return [example for example in DOCUMENTED if example["stream"] == stream]


def _serve_direct(http_mocker: HttpMocker, stream: str, records: List[Dict[str, Any]]) -> None:
    http_mocker.post(token_request(), token_response())
    if stream == "group_members":
        http_mocker.get(list_request("/groups"), page_response("/groups", [group(MEMBERS_GROUP)]))
        http_mocker.get(members_request(MEMBERS_GROUP), members_response(records))
    elif stream == "marketplace_products":
        http_mocker.get(products_request(), products_response(records))
    else:
        path = {"groups": "/groups", "touches": "/touches", "sends": "/send"}[stream]
        http_mocker.get(list_request(path), page_response(path, records))


def _serve_hub(http_mocker: HttpMocker, stream: str, records: List[Dict[str, Any]]) -> None:
    mock_only_named_objects(http_mocker)
    if stream == "group_members":
        _hub_list(http_mocker, "/groups", [group(MEMBERS_GROUP)])
        _hub_list(http_mocker, f"/groups/{MEMBERS_GROUP}/members", records)
    else:
        # An incremental stream sends its cursor condition, in a full refresh too.
        where = "updated_at >= '1970-01-01T00:00:00.000Z'" if stream in ("groups", "sends") else None
        _hub_list(http_mocker, {"groups": "/groups", "touches": "/touches", "sends": "/sent-gifts"}[stream], records, where)


def _hub_list(http_mocker: HttpMocker, resource: str, records: List[Dict[str, Any]], where: Optional[str] = None) -> None:
    # The hub sends a next-page token even on the last page; the empty page ends the list.
    http_mocker.get(hub_request(resource, where=where, page_size=100), hub_page(records, "end"))
    http_mocker.get(hub_request(resource, next_page="end", where=where, page_size=100), hub_page([]))


BACKENDS: Dict[str, Callable[[], Dict[str, Any]]] = {
    "sendoso": lambda: ConfigBuilder().build(),
    # One pass: sends are otherwise read in windows of their cursor (test_hub_windows.py).
    "cloud_elements": lambda: {
        **HubConfigBuilder().with_max_concurrent_requests(1).build(),
        "backend": {**HubConfigBuilder().build()["backend"], "page_size": 100},
    },
}
CASES = [
    (stream, backend)
    for stream in sorted({example["stream"] for example in DOCUMENTED})
    for backend in BACKENDS
    if not (stream == "marketplace_products" and backend == "cloud_elements")  # the marketplace is not on the hub
]


@pytest.mark.parametrize("stream, backend", CASES, ids=[f"{stream}-{backend}" for stream, backend in CASES])
def test_every_documented_record_is_valid_against_its_schema_once_read(stream: str, backend: str) -> None:
    examples = _examples(stream)
    with HttpMocker() as http_mocker:
        (_serve_direct if backend == "sendoso" else _serve_hub)(http_mocker, stream, [example["record"] for example in examples])
        emitted = record_data(read_stream(stream, BACKENDS[backend]()))

    assert len(emitted) == len(examples)
    schema = stream_schemas()[stream]
    validator = StrictIntegerDraft7(schema, format_checker=FormatChecker())
    for example, record in zip(examples, emitted):
        where = f"{stream} on {backend}, {example['form']} of {example['source']}"
        errors = [f"{'.'.join(map(str, error.path))}: {error.message}" for error in validator.iter_errors(record)]
        assert not errors, f"{where}: {errors}"
        assert set(record) <= set(schema["properties"]), f"{where}: undeclared {set(record) - set(schema['properties'])}"


def test_the_documented_forms_of_a_field_are_emitted_as_one() -> None:
    """The field lists type some fields otherwise than their examples; read, both are one form."""
    by_form = {}
    for stream in ("groups", "group_members", "touches"):
        with HttpMocker() as http_mocker:
            _serve_direct(http_mocker, stream, [example["record"] for example in _examples(stream)])
            by_form[stream] = record_data(read_stream(stream, ConfigBuilder().build()))

    groups, members, touches = by_form["groups"], by_form["group_members"], by_form["touches"]
    assert groups[0] == groups[1]  # "id": 1234 and "id": "1234"
    assert (groups[0]["id"], groups[0]["budget"], groups[0]["monthly_budget"], groups[0]["one_time_budget"]) == (1234, "50", "50000", "0")
    assert (members[0]["id"], members[0]["balance"]) == (members[2]["id"], members[2]["balance"]) == (12345, "578.0")
    assert members[2]["key"] == "4242"
    assert (touches[2]["starting_egift_price"], touches[2]["ending_egift_price"]) == ("25", "100.5")
    assert touches[0]["start_date"] == "2023-10-25T07:00:00.000Z"
