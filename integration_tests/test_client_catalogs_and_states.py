"""Catalogs and states as the real clients send them, read by the real `source-sendoso`.

PyAirbyte asks every stream incrementally and passes `[]` or its stored states; the platform
adds generation and sync ids and rewrites destination modes (see `clients.py` for where each
shape comes from). The state file's other shapes: unit_tests/test_catalogs_and_states.py.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Dict, List

import pytest
from clients import NO_CURSOR_STATE, held_counts, last_states, pyairbyte_catalog, pyairbyte_state
from sandbox import ConnectorRun, RunningSandbox, run_connector

BACKENDS = ["sendoso", "cloud_elements"]


def _sync_mode_warnings(run: ConnectorRun) -> List[str]:
    return [
        message["log"]["message"]
        for message in run.of_type("LOG")
        if message["log"]["level"] == "WARN" and "The catalog asks for" in message["log"]["message"]
    ]


def _counts(run: ConnectorRun, streams: List[str]) -> Dict[str, int]:
    read = Counter(record["stream"] for record in run.records)
    return {stream: read[stream] for stream in streams}


# --- PyAirbyte ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_pyairbyte_catalog_reads_every_stream_whole(
    fresh_sandbox: RunningSandbox, catalogs: Dict[str, Dict[str, Any]], backend: str
) -> None:
    """PyAirbyte asks every stream incrementally: each is read whole, with one warning naming the streams without a cursor."""
    discovered = catalogs[backend]
    streams = [stream["name"] for stream in discovered["streams"]]
    without_cursor = {stream["name"] for stream in discovered["streams"] if "incremental" not in stream["supported_sync_modes"]}

    run = run_connector("read", config=fresh_sandbox.config(backend), catalog=pyairbyte_catalog(discovered), state=[])

    assert run.returncode == 0, run.errors
    assert _counts(run, streams) == held_counts(fresh_sandbox, streams)
    (warning,) = _sync_mode_warnings(run)
    assert set(re.search(r"incremental sync of (.+), which offers? only full_refresh", warning).group(1).split(", ")) == without_cursor
    states = last_states(run.states)
    assert {stream for stream, state in states.items() if state == NO_CURSOR_STATE} == without_cursor
    assert all("updated_at" in states[stream] for stream in set(streams) - without_cursor)


@pytest.mark.parametrize("backend", BACKENDS)
def test_pyairbyte_second_read_with_its_state_reads_only_changes_where_it_can(
    fresh_sandbox: RunningSandbox, catalogs: Dict[str, Dict[str, Any]], backend: str
) -> None:
    """With PyAirbyte's state, a second read reads again in full what has no cursor, and only the changes of the rest."""
    catalog = pyairbyte_catalog(catalogs[backend], ["users", "sends"])
    first = run_connector("read", config=fresh_sandbox.config(backend), catalog=catalog, state=[])
    assert first.returncode == 0, first.errors
    changed = fresh_sandbox.control("POST", "mutate", {"resource": "sends", "count": 3})["ids"]

    second = run_connector("read", config=fresh_sandbox.config(backend), catalog=catalog, state=pyairbyte_state(last_states(first.states)))

    assert second.returncode == 0, second.errors
    held = held_counts(fresh_sandbox, ["users", "sends"])
    assert len(second.records_of("users")) == held["users"]
    read_again = {send["id"] for send in second.records_of("sends")}
    assert set(changed) <= read_again and len(read_again) < held["sends"]


# --- the platform ---------------------------------------------------------------------------------


def _platform_catalog(discovered: Dict[str, Any]) -> Dict[str, Any]:
    """Full refresh | Overwrite (sent as append), Overwrite + Deduped (append_dedup, with the
    cursor the connection keeps from discovery, or the `[""]` of no cursor), and Incremental |
    Append + Deduped; every stream with the generation and sync ids of a refresh."""
    modes = {
        "me": ("full_refresh", "append", []),
        "users": ("full_refresh", "append_dedup", [""]),
        "groups": ("full_refresh", "append_dedup", ["updated_at"]),
        "sends": ("incremental", "append_dedup", ["updated_at"]),
    }
    streams = []
    for stream in discovered["streams"]:
        if stream["name"] in modes:
            sync_mode, destination_sync_mode, cursor_field = modes[stream["name"]]
            streams.append(
                {
                    "stream": stream,
                    "sync_mode": sync_mode,
                    "destination_sync_mode": destination_sync_mode,
                    "cursor_field": cursor_field,
                    "primary_key": stream["source_defined_primary_key"],
                    "generation_id": 4,
                    "minimum_generation_id": 4 if sync_mode == "full_refresh" else 0,
                    "sync_id": 42,
                    "include_files": False,
                }
            )
    return {"streams": streams}


@pytest.mark.parametrize("backend", BACKENDS)
def test_platform_catalog_reads_every_stream(fresh_sandbox: RunningSandbox, catalogs: Dict[str, Dict[str, Any]], backend: str) -> None:
    """The platform's catalog, with generation and sync ids and rewritten destination modes, reads every stream."""
    catalog = _platform_catalog(catalogs[backend])
    streams = [entry["stream"]["name"] for entry in catalog["streams"]]

    run = run_connector("read", config=fresh_sandbox.config(backend), catalog=catalog)

    assert run.returncode == 0, run.errors
    assert _counts(run, streams) == held_counts(fresh_sandbox, streams)
    assert _sync_mode_warnings(run) == []
