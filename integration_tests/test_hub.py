"""The hub backend end to end: the same streams and records as the direct API, plus its own."""

from __future__ import annotations

from typing import Any, Dict, List

import jsonschema
import pytest
from sandbox import RunningSandbox, configured_catalog, run_connector

SHARED_STREAMS = ["me", "users", "groups", "group_members", "touches", "sends"]
HUB_ONLY_STREAMS = ["return_addresses", "gifts", "touch_styles", "user_custom_templates", "group_touches"]
GENERIC_OBJECTS = ["journals", "payments", "purchase_orders", "tax_rates", "bulk_jobs"]


@pytest.fixture(scope="module")
def hub_catalog(sandbox: RunningSandbox) -> Dict[str, Any]:
    run = run_connector("discover", config=sandbox.config("cloud_elements"))
    assert run.returncode == 0, run.errors
    return run.of_type("CATALOG")[0]["catalog"]


def _by_key(records: List[Dict[str, Any]], key: List[str]) -> Dict[tuple, Dict[str, Any]]:
    return {tuple(record[k] for k in key): record for record in records}


def test_discover_on_the_hub_lists_named_and_generic_streams(hub_catalog: Dict[str, Any]) -> None:
    """Each stream, named or generic, with its schema and its primary key."""
    streams = {stream["name"]: stream for stream in hub_catalog["streams"]}

    assert set(SHARED_STREAMS + HUB_ONLY_STREAMS + GENERIC_OBJECTS) <= set(streams)
    for stream in streams.values():
        jsonschema.Draft7Validator.check_schema(stream["json_schema"])
        assert stream["json_schema"]["properties"], stream["name"]
        assert stream["source_defined_primary_key"], stream["name"]
    assert "incremental" in streams["return_addresses"]["supported_sync_modes"]


def test_read_of_every_hub_stream_returns_what_the_sandbox_holds(fresh_sandbox: RunningSandbox, hub_catalog: Dict[str, Any]) -> None:
    run = run_connector("read", config=fresh_sandbox.config("cloud_elements"), catalog=configured_catalog(hub_catalog))

    assert run.returncode == 0, run.errors
    held = fresh_sandbox.stats()["records"]
    schemas = {stream["name"]: stream["json_schema"] for stream in hub_catalog["streams"]}
    for stream in SHARED_STREAMS + HUB_ONLY_STREAMS + GENERIC_OBJECTS:
        records = run.records_of(stream)
        if stream == "group_touches":
            assert records, stream  # every group's touches, counted per group
        else:
            assert len(records) == held[stream], stream
        validator = jsonschema.Draft7Validator(schemas[stream], format_checker=jsonschema.FormatChecker())
        for record in records:
            validator.validate(record)


def test_a_hub_read_asks_for_the_objects_and_their_metadata_once(fresh_sandbox: RunningSandbox, hub_catalog: Dict[str, Any]) -> None:
    run = run_connector("read", config=fresh_sandbox.config("cloud_elements"), catalog=configured_catalog(hub_catalog, ["users"]))

    assert run.returncode == 0, run.errors
    discovery = {
        line: count
        for line, count in fresh_sandbox.stats()["requests"].items()
        if line.startswith("GET /elements/api-v2/hubs/rewards/objects")
    }
    assert discovery and set(discovery.values()) == {1}, discovery


def test_both_backends_return_the_same_records_field_for_field(
    fresh_sandbox: RunningSandbox, discovered: Dict[str, Any], hub_catalog: Dict[str, Any]
) -> None:
    direct = run_connector("read", config=fresh_sandbox.config("sendoso"), catalog=configured_catalog(discovered, SHARED_STREAMS))
    hub = run_connector("read", config=fresh_sandbox.config("cloud_elements"), catalog=configured_catalog(hub_catalog, SHARED_STREAMS))

    assert direct.returncode == 0 and hub.returncode == 0, (direct.errors, hub.errors)
    keys = {s["name"]: [p[0] for p in s["source_defined_primary_key"]] for s in discovered["streams"]}
    for stream in SHARED_STREAMS:
        from_direct = _by_key(direct.records_of(stream), keys[stream])
        from_hub = _by_key(hub.records_of(stream), keys[stream])
        assert from_direct and from_direct == from_hub, stream


def test_a_child_object_named_in_config_reads_the_children_of_every_parent(fresh_sandbox: RunningSandbox) -> None:
    config = fresh_sandbox.config("cloud_elements")
    config["backend"]["child_objects"] = [{"parent": "groups", "child": "touches"}]
    catalog = run_connector("discover", config=config).of_type("CATALOG")[0]["catalog"]

    run = run_connector("read", config=config, catalog=configured_catalog(catalog, ["groups_touches", "group_touches"]))

    assert run.returncode == 0, run.errors
    generic = sorted((r["parent_id"], r["id"]) for r in run.records_of("groups_touches"))
    named = sorted((r["group_id"], r["id"]) for r in run.records_of("group_touches"))
    assert generic and generic == named
