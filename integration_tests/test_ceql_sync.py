"""CEQL as the one notion of "which records": filters and the incremental cursor, on both backends.

The oracle is the sandbox's own CEQL-in-SQLite (`select_ids`), which shares no code with
the connector: a filtered read must return exactly the rows it selects.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Dict, List, Optional

import pytest
from sandbox import RunningSandbox, configured_catalog, run_connector

from sendoso_sandbox.ceql_sql import select_ids

BACKENDS = ["sendoso", "cloud_elements"]
FILTERS = [
    ("sends", "status = 'Delivered' AND created_at >= '2023-07-01'"),
    ("sends", "sender.email LIKE '%@%' AND (type = 'Amazon' OR current_total_cost > 100)"),
    ("touches", "ship_to_countries IN ('CA', 'GB')"),
    ("users", "team_group_id IS NOT NULL AND (last_name LIKE 'R%' OR first_name LIKE 'L%')"),
]


def _read(
    sandbox: RunningSandbox,
    backend_name: str,
    catalog: Dict[str, Any],
    streams: List[str],
    incremental: bool = False,
    state: Optional[Any] = None,
    **config: Any,
):
    run = run_connector(
        "read",
        config=sandbox.config(backend_name, **config),
        catalog=configured_catalog(catalog, streams, incremental=incremental),
        state=state,
    )
    assert run.returncode == 0, run.errors
    return run


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _final_state(run) -> List[Dict[str, Any]]:
    latest: Dict[str, Dict[str, Any]] = {}
    for state in run.states:
        if state.get("type") == "STREAM":
            latest[state["stream"]["stream_descriptor"]["name"]] = state
    return list(latest.values())


def _cursor(state: List[Dict[str, Any]], stream: str) -> str:
    return next(s["stream"]["stream_state"]["updated_at"] for s in state if s["stream"]["stream_descriptor"]["name"] == stream)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("stream, where", FILTERS)
def test_a_filtered_read_returns_exactly_the_rows_the_filter_selects(
    fresh_sandbox: RunningSandbox, catalogs, backend: str, stream: str, where: str
) -> None:
    everything = _read(fresh_sandbox, "sendoso", catalogs["sendoso"], [stream]).records_of(stream)

    filtered = _read(fresh_sandbox, backend, catalogs[backend], [stream], stream_filters=[{"stream": stream, "where": where}])

    expected = sorted(select_ids(where, everything))
    assert 0 < len(expected) < len(everything), "the filter should select some rows, not all"
    assert sorted(record["id"] for record in filtered.records_of(stream)) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_second_incremental_read_returns_exactly_the_changed_sends(fresh_sandbox: RunningSandbox, catalogs, backend: str) -> None:
    first = _read(fresh_sandbox, backend, catalogs[backend], ["sends"], incremental=True)
    state = _final_state(first)
    cursor = _cursor(state, "sends")
    changed = set(fresh_sandbox.control("POST", "mutate", {"resource": "sends", "count": 7})["ids"])

    second = _read(fresh_sandbox, backend, catalogs[backend], ["sends"], incremental=True, state=state)

    records = second.records_of("sends")
    at_the_boundary = {r["id"] for r in first.records_of("sends") if _instant(r["updated_at"]) == _instant(cursor)}
    assert {r["id"] for r in records} == changed | at_the_boundary
    assert all(_instant(r["updated_at"]) >= _instant(cursor) for r in records)
    assert _instant(_cursor(_final_state(second), "sends")) > _instant(cursor)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_state_in_the_future_returns_nothing(fresh_sandbox: RunningSandbox, catalogs, backend: str) -> None:
    future = [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"updated_at": "2999-01-01T00:00:00.000000Z"}}}
        for stream in ("sends", "groups")
    ]

    run = _read(fresh_sandbox, backend, catalogs[backend], ["sends", "groups"], incremental=True, state=future)

    assert run.records == []


def test_on_the_hub_the_cursor_is_pushed_down_and_only_the_changes_pages_are_fetched(fresh_sandbox: RunningSandbox, catalogs) -> None:
    page_size = 50
    first = _read(fresh_sandbox, "cloud_elements", catalogs["cloud_elements"], ["sends"], incremental=True)
    state = _final_state(first)
    cursor = _cursor(state, "sends")
    changed = fresh_sandbox.control("POST", "mutate", {"resource": "sends", "count": 120})["ids"]
    before = fresh_sandbox.stats()["requests"].get("GET /elements/api-v2/hubs/rewards/sent-gifts 200", 0)

    config = fresh_sandbox.config("cloud_elements")
    config["backend"]["page_size"] = page_size
    second = run_connector(
        "read", config=config, catalog=configured_catalog(catalogs["cloud_elements"], ["sends"], incremental=True), state=state
    )
    assert second.returncode == 0, second.errors

    stats = fresh_sandbox.stats()
    assert f"updated_at >= '{cursor}'" in stats["where"][-1]
    pages = stats["requests"]["GET /elements/api-v2/hubs/rewards/sent-gifts 200"] - before
    # The changes' own pages, the empty page that ends the list, and the question that finds
    # them too few to read in windows of the cursor (source_sendoso/cursors/windows.py).
    assert pages <= math.ceil((len(changed) + 1) / page_size) + 2
