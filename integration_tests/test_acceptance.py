"""The real entrypoint against the sandbox: what the Docker-based Connector Acceptance Tests (CAT)
check, run here without Docker, and `python main.py` as Airbyte's own image builds run it.

Every test is driven by acceptance-test-config.yml and runs the real `source-sendoso` command (a
subprocess, as in the image) against the acceptance sandbox that the session starts
(`acceptance_sandbox` in conftest.py; the committed configs point at its fixed port, and are pointed
at the live one here). For each section of the file:

- the file itself: high strictness level rules (every test declared, `expect_records` and
  `future_state` set, no `configured_catalog_path` on `basic_read`, a `bypass_reason` on every empty
  or missing stream), every path exists, and the configs are the sandbox's own;
- `connection`: `check` reports the declared status, and prints none of the config's secrets;
- `spec`: the OAuth parameters of `advanced_auth` against the connection specification (every
  `path_in_connector_config` exists in the OAuth branch, credentials are secrets, OAuth is the
  default option), and CAT's spec checks that the CDK does not port (`additionalProperties`, oneOf
  usage, types the UI can render);
- `basic_read`: a full-refresh read of every discovered stream returns the records of
  `expect_records` (compared as CAT does, with its flags), every stream has records, every stdout
  line is an Airbyte protocol message, every record matches its schema (no undeclared top-level
  field, CAT's `fail_on_extra_columns`), and no record has a null primary key (a read with an
  invalid catalog: the CDK's `test_fail_read_with_bad_catalog` in test_airbyte_standards.py, and
  its exit code in test_bad_inputs.py);
- `full_refresh`: two reads of the configured catalog return the same records;
- `incremental`: two sequential reads (with changes in between; the second never returns a record
  older than the first's state, and returns every changed one), a read from each intermediate state
  checkpoint, and a read from `future_state` that returns nothing;
- `main.py`: `python main.py spec` and `check`, from another working directory.

`python integration_tests/test_acceptance.py --write-expected-records` rewrites the
`expect_records` files from a fresh sandbox, for when the connector's output changes on purpose.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import pytest
import yaml
from sandbox import ConnectorRun, run_connector

from airbyte_cdk.models import AirbyteMessageSerializer
from airbyte_cdk.test.standard_tests._read_assertions import RecordFormatChecker, StrictIntegerDraft7Validator
from airbyte_cdk.utils.datetime_helpers import ab_datetime_parse

ROOT = Path(__file__).resolve().parent.parent
ACCEPTANCE_CONFIG = ROOT / "acceptance-test-config.yml"
ACCEPTANCE = yaml.safe_load(ACCEPTANCE_CONFIG.read_text(encoding="utf-8"))
SECTIONS = ("spec", "connection", "discovery", "basic_read", "incremental", "full_refresh")
FIXED_EMITTED_AT = 1700000000000  # expected records carry a fixed emitted_at, so rewrites diff cleanly


def entries(section: str) -> List[Dict[str, Any]]:
    return list(ACCEPTANCE["acceptance_tests"].get(section, {}).get("tests") or [])


def entry_ids(section_entries: Sequence[Mapping[str, Any]]) -> List[str]:
    return [Path(entry["config_path"]).stem for entry in section_entries]


BASIC_READ = entries("basic_read")
INCREMENTAL = entries("incremental")
FULL_REFRESH = entries("full_refresh")
CONNECTION = entries("connection")


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def field_at(data: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = data
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def instant(value: Any) -> Any:
    """A cursor value as CAT's schema helper reads a `date-time` field: an instant, comparable across offsets."""
    return ab_datetime_parse(value) if isinstance(value, str) else value


def primary_key_of(stream: Mapping[str, Any]) -> List[List[str]]:
    return stream.get("source_defined_primary_key") or []


def key_of(record: Mapping[str, Any], primary_key: List[List[str]]) -> Tuple[Any, ...]:
    return tuple(field_at(record, path) for path in primary_key)


def by_stream(run: ConnectorRun) -> Dict[str, List[Dict[str, Any]]]:
    grouped: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for record in run.records:
        grouped[record["stream"]].append(record["data"])
    return grouped


def assert_succeeded(run: ConnectorRun, what: str) -> None:
    assert run.returncode == 0 and not run.errors, f"{what} failed ({run.returncode}): {run.errors or run.stderr[-2000:]}"


def full_refresh_catalog(streams: Iterable[Mapping[str, Any]]) -> Dict[str, Any]:
    return {"streams": [{"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"} for stream in streams]}


def catalog_from_file(path: str, discovered: Mapping[str, Mapping[str, Any]], sync_mode: Optional[str] = None) -> Dict[str, Any]:
    """The committed configured catalog with each stream replaced by its discovered definition, as CAT builds it."""
    configured = json.loads((ROOT / path).read_text(encoding="utf-8"))
    streams = []
    for entry in configured["streams"]:
        name = entry["stream"]["name"]
        assert name in discovered, f"{path} configures {name!r}, which discover does not report"
        if sync_mode is not None and entry["sync_mode"] != sync_mode:
            continue
        streams.append({**entry, "stream": dict(discovered[name])})
    return {"streams": streams}


def per_stream_state(states: Mapping[str, Any]) -> List[Dict[str, Any]]:
    return [{"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": state}} for name, state in states.items()]


def cursor_of(configured: Mapping[str, Any]) -> List[str]:
    return configured.get("cursor_field") or configured["stream"]["default_cursor_field"]


class Runs:
    """Connector runs shared by the tests of this module: discover once per config, and so on."""

    def __init__(self, acceptance_sandbox: Any) -> None:
        self.sandbox = acceptance_sandbox
        self._catalogs: Dict[str, Dict[str, Dict[str, Any]]] = {}
        self._basic_reads: Dict[str, ConnectorRun] = {}
        self._incremental_reads: Dict[str, ConnectorRun] = {}

    def config(self, config_path: str) -> Dict[str, Any]:
        return self.sandbox.load(config_path)

    def discovered(self, config_path: str) -> Dict[str, Dict[str, Any]]:
        if config_path not in self._catalogs:
            run = run_connector("discover", config=self.config(config_path))
            assert_succeeded(run, f"discover with {config_path}")
            catalogs = run.of_type("CATALOG")
            assert len(catalogs) == 1, "discover must emit exactly one catalog"
            self._catalogs[config_path] = {stream["name"]: stream for stream in catalogs[0]["catalog"]["streams"]}
        return self._catalogs[config_path]

    def basic_read(self, entry: Mapping[str, Any]) -> ConnectorRun:
        """CAT's basic read: every discovered stream, full refresh, on the seeded data."""
        config_path = entry["config_path"]
        if config_path not in self._basic_reads:
            catalog = full_refresh_catalog(self.discovered(config_path).values())
            self.sandbox.reset()
            run = run_connector("read", config=self.config(config_path), catalog=catalog)
            assert_succeeded(run, f"read with {config_path}")
            self._basic_reads[config_path] = run
        return self._basic_reads[config_path]

    def incremental_catalog(self, entry: Mapping[str, Any]) -> Dict[str, Any]:
        return catalog_from_file(entry["configured_catalog_path"], self.discovered(entry["config_path"]), "incremental")

    def incremental_read(self, entry: Mapping[str, Any]) -> ConnectorRun:
        """The first incremental read, without state, on the seeded data."""
        key = f"{entry['config_path']}|{entry['configured_catalog_path']}"
        if key not in self._incremental_reads:
            self.sandbox.reset()
            run = run_connector("read", config=self.config(entry["config_path"]), catalog=self.incremental_catalog(entry))
            assert_succeeded(run, f"incremental read with {entry['config_path']}")
            self._incremental_reads[key] = run
        return self._incremental_reads[key]


@pytest.fixture(scope="module")
def runs(acceptance_sandbox: Any) -> Runs:
    return Runs(acceptance_sandbox)


@pytest.fixture(scope="module")
def spec() -> Dict[str, Any]:
    run = run_connector("spec")
    assert_succeeded(run, "spec")
    specs = run.of_type("SPEC")
    assert len(specs) == 1, "spec must emit exactly one SPEC message"
    return specs[0]["spec"]


def latest_states(run: ConnectorRun) -> Dict[str, Any]:
    latest: Dict[str, Any] = {}
    for state in run.states:
        assert state["type"] == "STREAM", f"per-stream state expected, got {state['type']}"
        latest[state["stream"]["stream_descriptor"]["name"]] = state["stream"]["stream_state"]
    return latest


# ---------------------------------------------------------------------------------------------
# The file itself
# ---------------------------------------------------------------------------------------------


def test_acceptance_config_follows_the_high_strictness_rules() -> None:
    assert ACCEPTANCE["test_strictness_level"] == "high"
    assert ACCEPTANCE["connector_image"].startswith("airbyte/source-sendoso:")
    for section in SECTIONS:
        declared = ACCEPTANCE["acceptance_tests"].get(section)
        assert declared and (declared.get("tests") or declared.get("bypass_reason")), f"`{section}` is not declared"
    for entry in BASIC_READ:
        assert "configured_catalog_path" not in entry, "high strictness reads the whole discovered catalog"
        expect = entry.get("expect_records") or {}
        assert expect.get("path") or expect.get("bypass_reason"), f"{entry['config_path']}: expect_records is not set"
        assert (expect.get("extra_fields", False), expect.get("exact_order", False), expect.get("extra_records", True)) in {
            (True, True, False),
            (False, True, True),
            (False, True, False),
            (False, False, True),
            (False, False, False),
        }, "a flag combination CAT does not support"
        for empty in entry.get("empty_streams") or []:
            assert empty.get("bypass_reason"), f"empty stream {empty['name']} has no bypass_reason"
    for entry in INCREMENTAL:
        future = entry.get("future_state") or {}
        assert future.get("future_state_path") or future.get("bypass_reason"), f"{entry['config_path']}: no future_state"
        for missing in future.get("missing_streams") or []:
            assert missing.get("bypass_reason"), f"missing stream {missing['name']} has no bypass_reason"
    assert {entry.get("status") for entry in CONNECTION} >= {"succeed", "failed"}


def test_every_path_the_acceptance_config_names_exists() -> None:
    paths: Set[str] = set()
    for section in SECTIONS:
        for entry in entries(section):
            paths.add(entry["config_path"])
            if entry.get("configured_catalog_path"):
                paths.add(entry["configured_catalog_path"])
            if (entry.get("expect_records") or {}).get("path"):
                paths.add(entry["expect_records"]["path"])
            if (entry.get("future_state") or {}).get("future_state_path"):
                paths.add(entry["future_state"]["future_state_path"])
    missing = sorted(path for path in paths if not (ROOT / path).is_file())
    assert not missing, f"acceptance-test-config.yml names files that do not exist: {missing}"


def test_the_configs_are_the_sandbox_configs_on_the_documented_fixed_port(acceptance_sandbox: Any) -> None:
    header = ACCEPTANCE_CONFIG.read_text(encoding="utf-8")
    assert acceptance_sandbox.command in header, "the header must say how to start the acceptance sandbox"
    assert acceptance_sandbox.fixed_origin in header
    for entry in CONNECTION:
        committed = (ROOT / entry["config_path"]).read_text(encoding="utf-8")
        origins = set(re.findall(r"https?://[^/\"]+", committed))
        assert origins == {acceptance_sandbox.fixed_origin}, f"{entry['config_path']} points at {origins}"
        config = acceptance_sandbox.load(entry["config_path"])
        backend = config["backend"]["backend_type"]
        printed = acceptance_sandbox.running.config(backend)
        if entry["status"] == "succeed":
            assert config == printed, f"{entry['config_path']} is not the sandbox's {backend} config"
        else:
            changed = [name for name in printed["backend"] if printed["backend"][name] != config["backend"].get(name)]
            assert len(changed) == 1 and {**config["backend"], changed[0]: printed["backend"][changed[0]]} == printed["backend"], (
                f"{entry['config_path']} should differ from the valid config in exactly one credential, not {changed}"
            )


def test_the_configured_catalogs_agree_with_discovery(runs: Runs) -> None:
    for section, sync_mode in (("full_refresh", "full_refresh"), ("incremental", "incremental")):
        for entry in entries(section):
            discovered = runs.discovered(entry["config_path"])
            configured = json.loads((ROOT / entry["configured_catalog_path"]).read_text(encoding="utf-8"))["streams"]
            names = [item["stream"]["name"] for item in configured]
            assert len(names) == len(set(names)), f"{entry['configured_catalog_path']} lists a stream twice"
            offering = [name for name, stream in discovered.items() if sync_mode in stream["supported_sync_modes"]]
            # Every stream that offers the mode is tested in it; none is silently left out.
            assert sorted(names) == sorted(offering), entry["configured_catalog_path"]
            for item in configured:
                stream = discovered[item["stream"]["name"]]
                assert item["sync_mode"] == sync_mode
                assert item.get("primary_key") == stream.get("source_defined_primary_key")
                if sync_mode == "incremental":
                    assert item["cursor_field"] == stream["default_cursor_field"]


# ---------------------------------------------------------------------------------------------
# connection
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", CONNECTION, ids=entry_ids(CONNECTION))
def test_check_reports_the_declared_status_and_no_secret(runs: Runs, spec: Dict[str, Any], entry: Dict[str, Any]) -> None:
    config = runs.config(entry["config_path"])
    run = run_connector("check", config=config)
    statuses = run.of_type("CONNECTION_STATUS")
    assert run.returncode == 0 and len(statuses) == 1, "check must emit exactly one connection status"
    assert statuses[0]["connectionStatus"]["status"] == {"succeed": "SUCCEEDED", "failed": "FAILED"}[entry["status"]]
    branch = next(
        b
        for b in spec["connectionSpecification"]["properties"]["backend"]["oneOf"]
        if b["properties"]["backend_type"]["const"] == config["backend"]["backend_type"]
    )
    secrets = [
        config["backend"][name] for name, prop in branch["properties"].items() if prop.get("airbyte_secret") and name in config["backend"]
    ]
    assert secrets
    # A config update (CONTROL) carries the whole config by design; nothing else may.
    shown = "\n".join(json.dumps(m, ensure_ascii=False) for m in run.messages if m["type"] != "CONTROL") + run.stderr
    assert not [secret for secret in secrets if secret in shown], "check printed a secret of its config"


# ---------------------------------------------------------------------------------------------
# spec
# ---------------------------------------------------------------------------------------------


def _oauth_branch(connection: Mapping[str, Any], predicate_key: Sequence[str], predicate_value: Any) -> Tuple[int, Mapping[str, Any]]:
    """The oneOf branch of the predicate's parent object that the predicate selects, and its index."""
    node: Mapping[str, Any] = connection
    for part in predicate_key[:-1]:
        node = node["properties"][part]
    branches = node.get("oneOf") or [node]
    for index, branch in enumerate(branches):
        if branch.get("properties", {}).get(predicate_key[-1], {}).get("const") == predicate_value:
            return index, branch
    raise AssertionError(f"no branch of {'.'.join(predicate_key[:-1])} has {predicate_key[-1]} = {predicate_value!r}")


def _field_in_spec(
    connection: Mapping[str, Any], path: Sequence[str], predicate_key: Sequence[str], branch: Mapping[str, Any]
) -> Optional[Mapping[str, Any]]:
    """The spec of the config field at `path`, inside the OAuth branch when the path crosses the predicate's object."""
    node: Mapping[str, Any] = connection
    for depth, part in enumerate(path):
        if list(path[:depth]) == list(predicate_key[:-1]) and "oneOf" in node:
            node = branch
        properties = node.get("properties") or {}
        if part not in properties:
            return None
        node = properties[part]
    return node


def test_the_spec_oauth_parameters_are_consistent_with_advanced_auth(spec: Dict[str, Any]) -> None:
    connection = spec["connectionSpecification"]
    auth = spec["advanced_auth"]
    assert auth["auth_flow_type"] == "oauth2.0"
    predicate_key, predicate_value = auth["predicate_key"], auth["predicate_value"]
    index, branch = _oauth_branch(connection, predicate_key, predicate_value)
    assert index == 0, "OAuth must be the default (first) option"  # CAT's test_oauth_is_default_method

    oauth = auth["oauth_config_specification"]
    filled: Dict[Tuple[str, ...], Tuple[str, Mapping[str, Any]]] = {}
    for section in (
        "oauth_user_input_from_connector_config_specification",
        "complete_oauth_output_specification",
        "complete_oauth_server_output_specification",
    ):
        for name, prop in ((oauth.get(section) or {}).get("properties") or {}).items():
            assert "path_in_connector_config" in prop, f"{section}.{name} has no path_in_connector_config"
            filled[tuple(prop["path_in_connector_config"])] = (section, prop)

    problems = []
    for path, (section, prop) in filled.items():
        field = _field_in_spec(connection, path, predicate_key, branch)
        if field is None:
            problems.append(f"{section}: {'.'.join(path)} is not a field of the spec's OAuth branch")
            continue
        # What the flow writes as a date-time (the token's expiry) is no credential.
        credential = section != "oauth_user_input_from_connector_config_specification" and prop.get("format") != "date-time"
        if credential and not field.get("airbyte_secret"):
            problems.append(f"{'.'.join(path)} is filled by the OAuth flow but not marked airbyte_secret")
    assert not problems, "\n".join(problems)

    # What the flow fills in is what the branch needs: all its required fields except the predicate.
    required = {tuple([*predicate_key[:-1], name]) for name in branch.get("required", []) if name != predicate_key[-1]}
    assert required <= set(filled), f"required fields the OAuth flow leaves empty: {sorted(required - set(filled))}"

    # The server-side inputs are the server outputs, and every output is one the token answer has.
    server_in = set((oauth.get("complete_oauth_server_input_specification") or {}).get("properties", {}))
    server_out = set((oauth.get("complete_oauth_server_output_specification") or {}).get("properties", {}))
    assert server_in == server_out
    extracted = set(oauth["oauth_connector_input_specification"]["extract_output"])
    for name, prop in oauth["complete_oauth_output_specification"]["properties"].items():
        assert (prop.get("path_in_oauth_response") or [name])[-1] in extracted, f"{name} is not extracted from the token answer"


# The connection specification checks of CAT's TestSpec that the CDK's standard tests do not port
# (they lint secret marking only): keywords the Airbyte UI cannot render, and `additionalProperties`.
FORBIDDEN_SPEC_KEYWORDS = (
    "not",
    "anyOf",
    "patternProperties",
    "prefixItems",
    "allOf",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
)


def _schema_nodes(schema: Any, path: Tuple[str, ...] = ()) -> Iterable[Tuple[Tuple[str, ...], Mapping[str, Any]]]:
    """Every subschema with its path; property names are never taken for keywords."""
    if not isinstance(schema, Mapping):
        return
    yield path, schema
    for keyword, value in schema.items():
        if keyword in ("properties", "patternProperties", "dependentSchemas", "definitions", "$defs") and isinstance(value, Mapping):
            for name, child in value.items():
                yield from _schema_nodes(child, (*path, keyword, name))
        elif keyword in ("oneOf", "anyOf", "allOf", "prefixItems") or (keyword == "items" and isinstance(value, list)):
            for index, child in enumerate(value if isinstance(value, list) else []):
                yield from _schema_nodes(child, (*path, keyword, str(index)))
        elif keyword in ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"):
            yield from _schema_nodes(value, (*path, keyword))


def _one_of_problems(where: str, node: Mapping[str, Any], keyword: str) -> List[str]:
    variants = node[keyword]
    if node.get("type") != "object":
        return [f"{where}: the object holding `{keyword}` must have type object"]
    if not all(isinstance(v, Mapping) and "properties" in v for v in variants):
        return [f"{where}: every `{keyword}` variant must be an object with properties"]
    common = set.intersection(*(set(v["properties"]) for v in variants))
    consts = [name for name in common if all("const" in v["properties"][name] for v in variants)]
    if len(consts) != 1:
        return [f"{where}: `{keyword}` variants need exactly one common property with `const`, found {sorted(consts)}"]
    problems = []
    for index, variant in enumerate(variants):
        prop = variant["properties"][consts[0]]
        if "default" in prop and prop["default"] != prop["const"]:
            problems.append(f"{where}/{keyword}/{index}: `default` differs from `const`")
        if "enum" in prop and prop["enum"] != [prop["const"]]:
            problems.append(f"{where}/{keyword}/{index}: `enum` is not just the `const`")
    return problems


def test_the_spec_passes_the_acceptance_runners_spec_checks(spec: Dict[str, Any]) -> None:
    problems: List[str] = []
    for path, node in _schema_nodes(spec["connectionSpecification"]):
        where = "/" + "/".join(path)
        if "additionalProperties" in node and node["additionalProperties"] is not True:
            # A closed object turns removing a field into a breaking change for saved configs.
            problems.append(f"{where}: additionalProperties is {node['additionalProperties']!r}; when set it must be true")
        if "enum" in node and len(set(map(canonical, node["enum"]))) != len(node["enum"]):
            problems.append(f"{where}: enum has duplicate values")
        declared = node.get("type")
        if isinstance(declared, list) and not (len(declared) == 1 or (len(declared) == 2 and declared[1] == "null")):
            problems.append(f"{where}: type {declared} is neither one type nor one type and null")
        if declared == "object" and path and "oneOf" not in node and not node.get("properties"):
            problems.append(f"{where}: an object without properties cannot be shown in the UI")
        if declared == "array":
            items = node.get("items")
            if isinstance(items, list):
                problems.append(f"{where}: items must be a single type")
            elif isinstance(items, Mapping) and items.get("type") not in ("object", "string", "number", "integer") and "enum" not in items:
                problems.append(f"{where}: items must be objects, strings, numbers or an enum")
        problems.extend(
            f"{where}: uses `{keyword}`, which the UI does not support" for keyword in FORBIDDEN_SPEC_KEYWORDS if keyword in node
        )
        if "$ref" in node:
            problems.append(f"{where}: unresolved $ref")
        if "oneOf" in node:
            problems.extend(_one_of_problems(where, node, "oneOf"))
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# basic_read
# ---------------------------------------------------------------------------------------------


def _expected_records(entry: Mapping[str, Any]) -> Dict[str, List[Dict[str, Any]]]:
    grouped: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for line in (ROOT / entry["expect_records"]["path"]).read_text(encoding="utf-8").splitlines():
        if line.strip():
            message = json.loads(line)
            assert {"stream", "data", "emitted_at"} <= set(message), "an expected record needs stream, data and emitted_at"
            grouped[message["stream"]].append(message["data"])
    return grouped


def _empty_streams(entry: Mapping[str, Any]) -> Set[str]:
    return {empty["name"] for empty in entry.get("empty_streams") or []}


@pytest.mark.parametrize("entry", BASIC_READ, ids=entry_ids(BASIC_READ))
def test_expected_records_cover_every_stream_that_is_not_declared_empty(runs: Runs, entry: Dict[str, Any]) -> None:
    discovered = set(runs.discovered(entry["config_path"]))
    expected = set(_expected_records(entry))
    assert discovered - _empty_streams(entry) <= expected, f"streams without expected records: {discovered - expected}"
    assert expected <= discovered, f"expected records of streams discover does not report: {expected - discovered}"
    # The file holds what the seeded sandbox holds: as many records per stream as it lists.
    runs.sandbox.reset()
    held = runs.sandbox.running.stats()["records"]
    counts = {stream: len(records) for stream, records in _expected_records(entry).items() if stream in held}
    assert counts == {stream: held[stream] for stream in counts}, "expected records do not match the sandbox's counts"
    assert len(counts) >= len(expected) - 1, "every stream but group_touches is counted by the sandbox"


@pytest.mark.parametrize("entry", BASIC_READ, ids=entry_ids(BASIC_READ))
def test_basic_read_returns_the_expected_records(runs: Runs, entry: Dict[str, Any]) -> None:
    flags = entry["expect_records"]
    actual = by_stream(runs.basic_read(entry))
    for stream, expected in _expected_records(entry).items():
        produced = actual.get(stream, [])
        if flags.get("exact_order", False):
            for position, (want, got) in enumerate(zip(expected, produced)):
                if flags.get("extra_fields", False):
                    got = {name: got[name] for name in want}
                assert want == got, f"{stream}: record {position} differs in order or values"
            assert len(produced) >= len(expected), f"{stream}: {len(expected) - len(produced)} expected records missing"
            assert flags.get("extra_records", True) or len(produced) == len(expected), f"{stream}: extra records"
        else:
            wanted, got_set = set(map(canonical, expected)), set(map(canonical, produced))
            missing = wanted - got_set
            assert not missing, f"{stream}: {len(missing)} expected records not produced, e.g. {sorted(missing)[0][:500]}"
            if not flags.get("extra_records", True):
                extra = got_set - wanted
                assert not extra, f"{stream}: {len(extra)} records beyond the expected ones, e.g. {sorted(extra)[0][:500]}"


@pytest.mark.parametrize("entry", BASIC_READ, ids=entry_ids(BASIC_READ))
def test_basic_read_returns_protocol_messages_and_records_valid_against_schemas(runs: Runs, entry: Dict[str, Any]) -> None:
    discovered = runs.discovered(entry["config_path"])
    run = runs.basic_read(entry)
    for line in run.stdout.splitlines():
        AirbyteMessageSerializer.load(json.loads(line))  # the protocol's own reading of each line
    produced = by_stream(run)
    without = set(discovered) - set(produced) - _empty_streams(entry)
    assert not without, f"streams without records (declare them in empty_streams, with a bypass_reason): {without}"
    if not entry.get("validate_schema", True):
        pytest.fail("validate_schema: false is not allowed at the high strictness level")
    problems = []
    for stream, records in produced.items():
        schema = dict(discovered[stream]["json_schema"])
        if entry.get("fail_on_extra_columns", True):  # CAT's default: no top-level field the schema does not declare
            schema["additionalProperties"] = False
        validator = StrictIntegerDraft7Validator(schema, format_checker=RecordFormatChecker())
        for record in records:
            for error in validator.iter_errors(record):
                problems.append(f"{stream} at {list(error.absolute_path)}: {error.validator} {error.validator_value!r}"[:300])
    assert not problems, f"{len(problems)} schema errors, first ones:\n" + "\n".join(problems[:10])


@pytest.mark.parametrize("entry", BASIC_READ, ids=entry_ids(BASIC_READ))
def test_no_record_has_a_null_primary_key(runs: Runs, entry: Dict[str, Any]) -> None:
    discovered = runs.discovered(entry["config_path"])
    checked = 0
    for stream, records in by_stream(runs.basic_read(entry)).items():
        primary_key = primary_key_of(discovered[stream])
        assert primary_key, f"{stream} declares no primary key"
        for record in records:
            nulls = [".".join(path) for path in primary_key if field_at(record, path) is None]
            assert not nulls, f"{stream}: a record with a null or missing primary key field {nulls}"
            checked += 1
        keys = Counter(key_of(record, primary_key) for record in records)
        duplicated = [key for key, count in keys.items() if count > 1]
        assert not duplicated, f"{stream}: primary key values repeated in one full refresh: {duplicated[:5]}"
    assert checked


# ---------------------------------------------------------------------------------------------
# full_refresh
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", FULL_REFRESH, ids=entry_ids(FULL_REFRESH))
def test_two_full_refresh_reads_give_the_same_records(runs: Runs, entry: Dict[str, Any]) -> None:
    catalog = catalog_from_file(entry["configured_catalog_path"], runs.discovered(entry["config_path"]), "full_refresh")
    config = runs.config(entry["config_path"])
    runs.sandbox.reset()
    first = run_connector("read", config=config, catalog=catalog)
    second = run_connector("read", config=config, catalog=catalog)
    assert_succeeded(first, "first full refresh")
    assert_succeeded(second, "second full refresh")

    first_records, second_records = by_stream(first), by_stream(second)
    assert set(first_records) == {item["stream"]["name"] for item in catalog["streams"]}, "every configured stream has records"
    for stream, records in first_records.items():
        assert Counter(map(canonical, records)) == Counter(map(canonical, second_records.get(stream, []))), (
            f"{stream}: two full refreshes of unchanged data differ"
        )
    # CAT: emitted_at moves forward from one read to the next.
    assert max(r["emitted_at"] for r in first.records) < min(r["emitted_at"] for r in second.records)


# ---------------------------------------------------------------------------------------------
# incremental
# ---------------------------------------------------------------------------------------------


def _cursor_values(records: Iterable[Mapping[str, Any]], cursor: Sequence[str]) -> List[Any]:
    return [instant(field_at(record, cursor)) for record in records]


@pytest.mark.parametrize("entry", INCREMENTAL, ids=entry_ids(INCREMENTAL))
def test_two_sequential_incremental_reads(runs: Runs, entry: Dict[str, Any]) -> None:
    """The second read, from the first's state, returns no record older than that state, and every change."""
    catalog = runs.incremental_catalog(entry)
    assert catalog["streams"], "the incremental catalog has no incremental stream"
    config = runs.config(entry["config_path"])
    first = runs.incremental_read(entry)
    assert first.records and first.states, "the first read must produce records and states"
    state = latest_states(first)
    try:
        changed = {item["stream"]["name"]: set(runs.sandbox.mutate(item["stream"]["name"], 3)) for item in catalog["streams"]}
        second = run_connector("read", config=config, catalog=catalog, state=per_stream_state(state))
        assert_succeeded(second, "second incremental read")
    finally:
        runs.sandbox.reset()

    first_records, second_records = by_stream(first), by_stream(second)
    final = latest_states(second)
    for item in catalog["streams"]:
        name, cursor = item["stream"]["name"], cursor_of(item)
        assert changed[name], f"the sandbox changed no {name}"
        boundary = instant(state[name][cursor[-1]])
        older = [value for value in _cursor_values(second_records.get(name, []), cursor) if value < boundary]
        assert not older, f"{name}: the second read returned {len(older)} records older than the first read's state"
        # Exactly what changed, plus the records at the state's own instant (the cursor is inclusive).
        # The sandbox names the records it changed by `id`.
        at_boundary = {r["id"] for r in first_records[name] if instant(field_at(r, cursor)) >= boundary}
        returned = {r["id"] for r in second_records.get(name, [])}
        assert returned == changed[name] | at_boundary, f"{name}: returned {sorted(returned)}, changed {sorted(changed[name])}"
        assert instant(final[name][cursor[-1]]) == max(_cursor_values(second_records[name], cursor)), (
            f"{name}: the second read's state is not its newest record"
        )


@pytest.mark.parametrize("entry", INCREMENTAL, ids=entry_ids(INCREMENTAL))
def test_a_read_from_each_checkpoint_returns_exactly_the_records_at_or_after_it(runs: Runs, entry: Dict[str, Any]) -> None:
    catalog = runs.incremental_catalog(entry)
    config = runs.config(entry["config_path"])
    full = runs.incremental_read(entry)
    records = by_stream(full)
    streams = {item["stream"]["name"]: item for item in catalog["streams"]}

    final = latest_states(full)
    for name, item in streams.items():
        cursor = cursor_of(item)
        assert max(_cursor_values(records[name], cursor)) <= instant(final[name][cursor[-1]]), (
            f"{name}: the first read returned records newer than its own final state"
        )

    # Each checkpoint, as CAT replays them: the stream states emitted so far, one read from each,
    # with how many records of each stream had been emitted when it was written.
    checkpoints: List[Dict[str, Any]] = []
    emitted_at: List[Dict[str, int]] = []
    so_far: Dict[str, Any] = {}
    emitted: Dict[str, int] = {}
    for message in full.messages:
        if message["type"] == "RECORD":
            emitted[message["record"]["stream"]] = emitted.get(message["record"]["stream"], 0) + 1
        elif message["type"] == "STATE" and message["state"].get("type") == "STREAM":
            stream_state = message["state"]["stream"]
            so_far = {**so_far, stream_state["stream_descriptor"]["name"]: stream_state["stream_state"]}
            if not checkpoints or checkpoints[-1] != so_far:
                checkpoints.append(dict(so_far))
                emitted_at.append(dict(emitted))
    assert len(checkpoints) >= len(streams), "expected at least one checkpoint per incremental stream"

    runs.sandbox.reset()
    for number, (checkpoint, emitted) in enumerate(zip(checkpoints, emitted_at), start=1):
        replay = run_connector("read", config=config, catalog=catalog, state=per_stream_state(checkpoint))
        assert_succeeded(replay, f"read from checkpoint {number}")
        replayed = by_stream(replay)
        for name, item in streams.items():
            cursor, primary_key = cursor_of(item), primary_key_of(item["stream"])
            got = {key_of(r, primary_key) for r in replayed.get(name, [])}
            if name in checkpoint and cursor[-1] in checkpoint[name]:
                boundary = instant(checkpoint[name][cursor[-1]])
                older = [v for v in _cursor_values(replayed.get(name, []), cursor) if v < boundary]
                assert not older, f"checkpoint {number}, {name}: {len(older)} records older than the state"
                # A pass in progress resumes after the pages it had read (source_sendoso/cursors/checkpoints.py).
                unread = records[name][emitted.get(name, 0) :] if "pass" in checkpoint[name] else records[name]
                wanted = {key_of(r, primary_key) for r in unread if instant(field_at(r, cursor)) >= boundary}
            else:
                wanted = {key_of(r, primary_key) for r in records[name]}
            assert got == wanted, f"checkpoint {number}, {name}: {len(wanted - got)} records lost, {len(got - wanted)} extra"


@pytest.mark.parametrize("entry", INCREMENTAL, ids=entry_ids(INCREMENTAL))
def test_a_read_from_the_future_state_returns_no_records(runs: Runs, entry: Dict[str, Any]) -> None:
    catalog = runs.incremental_catalog(entry)
    future = runs.sandbox.load(entry["future_state"]["future_state_path"])
    in_state = {state["stream"]["stream_descriptor"]["name"]: state["stream"]["stream_state"] for state in future}
    missing = {m["name"] for m in entry["future_state"].get("missing_streams") or []}
    for item in catalog["streams"]:
        assert item["stream"]["name"] in in_state or item["stream"]["name"] in missing, (
            f"{item['stream']['name']} has no state in {entry['future_state']['future_state_path']}"
        )

    runs.sandbox.reset()
    run = run_connector("read", config=runs.config(entry["config_path"]), catalog=catalog, state=future)
    assert_succeeded(run, "read from the future state")
    assert not run.records, f"{len(run.records)} records read from a state in the future, e.g. from {run.records[0]['stream']}"
    assert run.states, "the read must still emit a state"
    emitted = latest_states(run)
    for item in catalog["streams"]:
        name, cursor = item["stream"]["name"], cursor_of(item)[-1]
        if name in missing:
            continue
        assert name in emitted, f"{name}: no state emitted"
        assert instant(emitted[name][cursor]) >= instant(in_state[name][cursor]), f"{name}: the state moved back from the future"


# ---------------------------------------------------------------------------------------------
# main.py: Airbyte's own image builds run `python main.py <command>` from the connector's root
# ---------------------------------------------------------------------------------------------


def _main_py(tmp_path: Path, *args: str) -> List[Dict[str, Any]]:
    # From another working directory: the file must not depend on being run from the root.
    completed = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]


def test_python_main_py_spec_prints_the_console_scripts_spec(tmp_path: Path, spec: Dict[str, Any]) -> None:
    (printed,) = [message["spec"] for message in _main_py(tmp_path, "spec") if message["type"] == "SPEC"]
    assert printed == spec


def test_python_main_py_check_reaches_the_service(tmp_path: Path, runs: Runs) -> None:
    (entry,) = [entry for entry in CONNECTION if entry["status"] == "succeed" and entry["config_path"].endswith("/config.json")]
    config = tmp_path / "config.json"
    config.write_text(json.dumps(runs.config(entry["config_path"])))

    messages = _main_py(tmp_path, "check", "--config", str(config))

    (status,) = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "SUCCEEDED", status


# ---------------------------------------------------------------------------------------------
# Rewriting the expected records
# ---------------------------------------------------------------------------------------------


def write_expected_records() -> None:
    """Reads every basic_read config from a fresh acceptance sandbox and rewrites its expected records."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import conftest  # noqa: E402  (the acceptance sandbox's arguments and origin)
    from sandbox import start_sandbox

    running = start_sandbox(*conftest.ACCEPTANCE_SANDBOX_ARGS)
    try:
        runs = Runs(conftest.AcceptanceSandbox(running))
        for entry in BASIC_READ:
            discovered = runs.discovered(entry["config_path"])
            produced = by_stream(runs.basic_read(entry))
            lines = []
            for stream, definition in discovered.items():
                primary_key = primary_key_of(definition)
                for data in sorted(produced.get(stream, []), key=lambda record: key_of(record, primary_key)):
                    lines.append(json.dumps({"stream": stream, "data": data, "emitted_at": FIXED_EMITTED_AT}, ensure_ascii=False))
            (ROOT / entry["expect_records"]["path"]).write_text("\n".join(lines) + "\n", encoding="utf-8")
            print(f"{entry['expect_records']['path']}: {len(lines)} records")
    finally:
        running.stop()


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-expected-records"]:
        sys.exit("usage: python integration_tests/test_acceptance.py --write-expected-records")
    write_expected_records()
