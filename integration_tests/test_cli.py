"""The real `source-sendoso` entrypoint, as a subprocess, against the real sandbox over loopback."""

from __future__ import annotations

import json
from typing import Any, Dict

import jsonschema
from sandbox import RunningSandbox, configured_catalog, run_connector

from airbyte_cdk.models import AirbyteMessageSerializer

DIRECT_STREAMS = {"me", "users", "groups", "group_members", "touches", "sends", "marketplace_products"}


def test_spec_declares_the_oauth_flow_and_every_config_field() -> None:
    run = run_connector("spec")

    assert run.returncode == 0
    spec = run.of_type("SPEC")[0]["spec"]
    properties = spec["connectionSpecification"]["properties"]
    assert {"backend", "start_date", "stream_filters", "per_page", "requests_per_second", "lookback_window_days"} <= set(properties)
    assert spec["advanced_auth"]["predicate_key"] == ["backend", "backend_type"]
    sendoso = properties["backend"]["oneOf"][0]["properties"]
    assert all(sendoso[name]["airbyte_secret"] for name in ("client_id", "client_secret", "refresh_token"))


def test_check_succeeds_with_the_sandbox_credentials(sandbox: RunningSandbox) -> None:
    run = run_connector("check", config=sandbox.config())

    assert run.returncode == 0
    assert run.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED"


def test_check_fails_with_a_wrong_client_secret_and_says_which_credential(sandbox: RunningSandbox) -> None:
    config = sandbox.config()
    config["backend"]["client_secret"] = "not-the-secret"

    run = run_connector("check", config=config)

    status = run.of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "FAILED"
    assert "refresh token" in status["message"].lower() or "client" in status["message"].lower()
    assert "not-the-secret" not in run.stdout + run.stderr


def test_discover_lists_every_stream_with_a_primary_key(discovered: Dict[str, Any]) -> None:
    streams = {stream["name"]: stream for stream in discovered["streams"]}

    assert set(streams) == DIRECT_STREAMS
    assert all(stream["source_defined_primary_key"] for stream in streams.values())
    assert streams["sends"]["default_cursor_field"] == ["updated_at"]
    assert "incremental" in streams["groups"]["supported_sync_modes"]


def test_full_read_returns_every_record_the_sandbox_holds_valid_against_its_schema(
    fresh_sandbox: RunningSandbox, discovered: Dict[str, Any]
) -> None:
    run = run_connector("read", config=fresh_sandbox.config(), catalog=configured_catalog(discovered))

    assert run.returncode == 0, run.errors
    for line in run.stdout.splitlines():
        AirbyteMessageSerializer.load(json.loads(line))  # every stdout line is an Airbyte message
    held = fresh_sandbox.stats()["records"]
    expected = {
        "me": 1,
        "users": held["users"],
        "groups": held["groups"],
        "group_members": held["group_members"],
        "touches": held["touches"],
        "sends": held["sends"],
        "marketplace_products": held["marketplace_products"],
    }
    schemas = {stream["name"]: stream["json_schema"] for stream in discovered["streams"]}
    for stream, count in expected.items():
        records = run.records_of(stream)
        assert len(records) == count, stream
        primary_key = discovered_key(discovered, stream)
        assert len({tuple(record[k] for k in primary_key) for record in records}) == count, f"duplicates in {stream}"
        validator = jsonschema.Draft7Validator(schemas[stream], format_checker=jsonschema.FormatChecker())
        for record in records:
            validator.validate(record)


def discovered_key(discovered: Dict[str, Any], stream: str):
    entry = next(s for s in discovered["streams"] if s["name"] == stream)
    return [path[0] for path in entry["source_defined_primary_key"]]
