"""The Builder edition (builder/manifest.yaml) as Airbyte Cloud runs it, beside the package.

Cloud runs a user's manifest with the CDK's own runners and no custom code: the Connector
Builder's handler (`python -m airbyte_cdk.connector_builder.main`) to resolve and test-read it,
and `source-declarative-manifest` to sync it. Both run here as subprocesses against the sandbox,
with `AIRBYTE_ENABLE_UNSAFE_CODE` unset, and what they read is held against `source-sendoso`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import yaml
from sandbox import RunningSandbox, configured_catalog, run_connector, start_sandbox

# Runs the CDK's own runners stream by stream, beside the package: `make test-fast` leaves it out.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
EDITION = yaml.safe_load((REPO / "builder" / "manifest.yaml").read_text(encoding="utf-8"))
BACKENDS = ("sendoso", "cloud_elements")
# Streams with a stream of their own in the manifest; the hub's other objects are generic.
NAMED_STREAMS = {
    "me",
    "users",
    "groups",
    "group_members",
    "touches",
    "sends",
    "marketplace_products",
    "return_addresses",
    "gifts",
    "touch_styles",
    "user_custom_templates",
    "group_touches",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    # Its own: the state tests change sends and groups.
    with start_sandbox("--seed", "7", "--scale", "300", "--rate-limit", "0") as running:
        yield running


def _edition_env() -> Dict[str, str]:
    """The environment of Cloud's runners: custom code not permitted."""
    return {name: value for name, value in os.environ.items() if name != "AIRBYTE_ENABLE_UNSAFE_CODE"}


def _messages(stdout: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _run_edition(runner: List[str], command: str, config: Dict[str, Any], **files: Any) -> List[Dict[str, Any]]:
    """Runs a CDK runner with the edition injected into the config, from a folder with no schema
    files beside it (Cloud has none), and returns its messages."""
    with tempfile.TemporaryDirectory(prefix="builder-edition-") as folder:
        args = [*runner, command]
        for name, value in {"config": {**config, "__injected_declarative_manifest": EDITION}, **files}.items():
            if value is not None:
                path = Path(folder) / f"{name}.json"
                path.write_text(json.dumps(value), encoding="utf-8")
                args += [f"--{name}", str(path)]
        completed = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=folder, env=_edition_env())
    assert completed.returncode == 0, completed.stderr[-2000:]
    return _messages(completed.stdout)


def builder_handler(config: Dict[str, Any], command: str, catalog: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """One request to the Connector Builder's handler; the data of its answer."""
    catalog = catalog or {"streams": []}
    messages = _run_edition(
        [sys.executable, "-m", "airbyte_cdk.connector_builder.main"], "read", {**config, "__command": command}, catalog=catalog
    )
    answer = messages[-1]
    assert answer["type"] == "RECORD", answer
    return dict(answer["record"]["data"])


def declarative_manifest(command: str, config: Dict[str, Any], **files: Any) -> List[Dict[str, Any]]:
    """`source-declarative-manifest <command>`, the runner of a Builder connector's syncs."""
    return _run_edition([str(Path(sys.executable).with_name("source-declarative-manifest"))], command, config, **files)


def _catalog_of(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    return next(message["catalog"] for message in messages if message["type"] == "CATALOG")


def _records(messages: List[Dict[str, Any]]) -> Dict[str, List[Dict[str, Any]]]:
    by_stream: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for message in messages:
        if message["type"] == "RECORD":
            by_stream[message["record"]["stream"]].append(message["record"]["data"])
    return by_stream


def _errors(messages: List[Dict[str, Any]]) -> List[str]:
    return [m["trace"]["error"]["message"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]


def _final_state(messages: List[Dict[str, Any]], stream: str) -> Dict[str, Any]:
    states = [
        m["state"]["stream"] for m in messages if m["type"] == "STATE" and m["state"]["stream"]["stream_descriptor"]["name"] == stream
    ]
    return dict(states[-1]["stream_state"])


def _state_message(stream: str, value: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [{"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": value}}]


def _as_json_value(value: Any) -> Any:
    """A value as JSON means it: 8001 and 8001.0 are one number (JSON has no integer type), but
    true is not 1."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return ("number", Decimal(repr(value)).normalize())
    if isinstance(value, list):
        return [_as_json_value(item) for item in value]
    return {key: _as_json_value(item) for key, item in value.items()}


def _key(record: Dict[str, Any]) -> str:
    return json.dumps(_as_json_value([record.get("parent_id"), record.get("group_id"), record.get("id")]), default=str)


def _differences(edition: List[Dict[str, Any]], package: List[Dict[str, Any]]) -> Dict[str, int]:
    """Per field, how many records of one stream have a different value in the two editions."""
    assert sorted(map(_key, edition)) == sorted(map(_key, package))
    package_by_key = {_key(record): record for record in package}
    fields: Dict[str, int] = defaultdict(int)
    for record in edition:
        other = package_by_key[_key(record)]
        for name in set(record) | set(other):
            if _as_json_value(record.get(name)) != _as_json_value(other.get(name)) or (name in record) != (name in other):
                fields[name] += 1
    return dict(fields)


def _documented_differences() -> List[Tuple[str, str]]:
    """The rows (streams, fields) of the docs' table of what the two editions write differently."""
    docs = (REPO / "docs" / "sendoso.md").read_text(encoding="utf-8")
    lines = docs.split("<!-- edition-differences -->")[1].strip().splitlines()
    table = lines[: next((index for index, line in enumerate(lines) if not line.startswith("|")), len(lines))]
    rows = table[2:]  # after the header and its rule
    return [tuple(cell.strip() for cell in row.strip("|").split("|")[:2]) for row in rows]  # type: ignore[misc]


@pytest.mark.parametrize("backend", BACKENDS)
def test_builder_handler_resolves_and_test_reads_every_stream(sandbox: RunningSandbox, backend: str) -> None:
    config = sandbox.config(backend)
    resolved = builder_handler(config, "resolve_manifest")["manifest"]
    assert "class_name" not in json.dumps(resolved)
    streams = _catalog_of(declarative_manifest("discover", config))["streams"]

    def test_read(stream: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
        return stream["name"], builder_handler(config, "test_read", configured_catalog({"streams": [stream]}))

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = dict(pool.map(test_read, streams))

    for name, answer in answers.items():
        problems = [log["message"] for log in answer.get("logs", []) if log.get("level") == "ERROR"]
        assert not problems, f"{name}: {problems}"
        records = [record for piece in answer["slices"] for page in piece["pages"] for record in page["records"]]
        assert records, f"{name} test-read no records"
    assert {"me", "users", "groups", "group_members", "touches", "sends"} <= set(answers)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_editions_offer_the_same_streams_and_read_the_same_records(sandbox: RunningSandbox, backend: str) -> None:
    config = sandbox.config(backend)
    package_catalog = run_connector("discover", config=config).of_type("CATALOG")[0]["catalog"]
    edition_catalog = _catalog_of(declarative_manifest("discover", config))

    def by_name(catalog: Dict[str, Any]) -> Dict[str, Any]:
        return {stream["name"]: stream for stream in catalog["streams"]}

    assert by_name(edition_catalog) == by_name(package_catalog)

    catalog = configured_catalog(package_catalog)
    package_run = run_connector("read", config=config, catalog=catalog)
    edition_run = declarative_manifest("read", config, catalog=catalog)
    assert not package_run.errors and not _errors(edition_run)
    package, edition = _records(package_run.messages), _records(edition_run)
    assert set(package) == set(edition) == set(by_name(package_catalog))

    documented = _documented_differences()
    assert documented == [("the hub's generic objects", "their date-time fields")]
    for stream, records in package.items():
        differences = _differences(edition[stream], records)
        if stream in NAMED_STREAMS:
            assert differences == {}, stream
        else:
            schema = by_name(package_catalog)[stream]["json_schema"]["properties"]
            date_times = {name for name, field in schema.items() if field.get("format") == "date-time"}
            assert set(differences) <= date_times, stream
    generic = [stream for stream in package if stream not in NAMED_STREAMS]
    assert generic if backend == "cloud_elements" else not generic


def _incremental(catalog: Dict[str, Any], stream: str) -> Dict[str, Any]:
    return configured_catalog(catalog, streams=[stream], incremental=True)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("first, second", [("edition", "package"), ("package", "edition")])
def test_a_state_written_by_one_edition_is_continued_by_the_other(sandbox: RunningSandbox, backend: str, first: str, second: str) -> None:
    config = sandbox.config(backend)
    discovered = run_connector("discover", config=config).of_type("CATALOG")[0]["catalog"]
    incremental = [stream["name"] for stream in discovered["streams"] if "incremental" in stream["supported_sync_modes"]]
    assert {"groups", "sends"} <= set(incremental)

    def read(edition: str, stream: str, state: Optional[List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
        catalog = _incremental(discovered, stream)
        if edition == "package":
            run = run_connector("read", config=config, catalog=catalog, state=state)
            assert not run.errors, run.errors
            return run.messages
        messages = declarative_manifest("read", config, catalog=catalog, state=state)
        assert not _errors(messages)
        return messages

    for stream in incremental:
        sandbox.control("POST", "reset")
        state = _final_state(read(first, stream, None), stream)
        assert set(state) == {"updated_at"}, state
        changed = (
            set(sandbox.control("POST", "mutate", {"resource": stream, "count": 2})["ids"]) if stream in ("sends", "groups") else set()
        )

        again = read(second, stream, _state_message(stream, state))

        records = _records(again)[stream]
        at_cursor = {record["id"] for record in records if record["updated_at"] == state["updated_at"]}
        assert {record["id"] for record in records} == changed | at_cursor, stream
        assert all(record["updated_at"] >= state["updated_at"] for record in records)
        assert _final_state(again, stream)["updated_at"] >= state["updated_at"]


def test_the_edition_offers_no_setting_it_cannot_honour(sandbox: RunningSandbox) -> None:
    package_spec = run_connector("spec").of_type("SPEC")[0]["spec"]["connectionSpecification"]["properties"]
    edition_spec = EDITION["spec"]["connection_specification"]["properties"]
    # CEQL filters are evaluated per record and the pages and windows read side by side: the package's.
    assert set(package_spec) - set(edition_spec) == {"stream_filters", "max_concurrent_requests"}
    assert re.search(r"stream_filters", json.dumps(EDITION)) is None
