"""Catalogs and states shaped as the real Airbyte clients shape them, and what the sandbox holds.

PyAirbyte 0.71 (`airbyte/sources/base.py`):

- `Source.get_configured_catalog` configures every selected stream `incremental` unless
  `force_full_refresh` ("always incremental"), with `destination_sync_mode: overwrite`,
  `primary_key` = the stream's `source_defined_primary_key`, `cursor_field` = its
  `default_cursor_field`, and `generation_id`, `minimum_generation_id`, `sync_id` = None.
- `Source._read_with_catalog` writes that catalog with `model_dump_json(exclude_none=True)`
  (so the None fields are absent), and always passes `--state`: `[]` on a first read, else
  `StateProviderBase.to_state_input_file_text()`, the stored STATE messages each dumped with
  `model_dump_json()`: every None field written as null, the global state under its Python
  name `global_`.

The platform (airbyte-platform `DefaultProtocolSerializer`) sends a source `generation_id`,
`minimum_generation_id`, `sync_id` and `include_files` on every stream, and rewrites the
destination modes the protocol lacks: Overwrite becomes `append` and Overwrite + Deduped
`append_dedup` (with a new generation), both with `sync_mode: full_refresh`.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

import requests
from sandbox import RunningSandbox

NO_CURSOR_STATE = {"__ab_no_cursor_state_message": True}  # the CDK's state of a stream without a cursor


def pyairbyte_catalog(discovered: Mapping[str, Any], streams: Optional[Iterable[str]] = None) -> Dict[str, Any]:
    """The configured catalog PyAirbyte 0.71 sends for the selected streams (all by default)."""
    selected = None if streams is None else set(streams)
    configured = []
    for stream in discovered["streams"]:
        if selected is not None and stream["name"] not in selected:
            continue
        entry = {
            "stream": {key: value for key, value in stream.items() if value is not None},
            "sync_mode": "incremental",
            "destination_sync_mode": "overwrite",
            "primary_key": stream.get("source_defined_primary_key"),
            "cursor_field": stream.get("default_cursor_field"),
            "generation_id": None,
            "minimum_generation_id": None,
            "sync_id": None,
        }
        configured.append({key: value for key, value in entry.items() if value is not None})
    return {"streams": configured}


def pyairbyte_state(stream_states: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The state file PyAirbyte writes for the states its cache holds (stream name -> stream state)."""
    return [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": name, "namespace": None}, "stream_state": state},
            "global_": None,
            "data": None,
            "sourceStats": None,
            "destinationStats": None,
        }
        for name, state in stream_states.items()
    ]


def last_states(states: Iterable[Mapping[str, Any]]) -> Dict[str, Any]:
    """Stream name -> its last stream state, from a read's STATE messages."""
    return {state["stream"]["stream_descriptor"]["name"]: state["stream"]["stream_state"] for state in states}


def held_counts(sandbox: RunningSandbox, streams: Iterable[str]) -> Dict[str, int]:
    """How many records the sandbox lists for each stream: its own count (`/_sandbox/stats`),
    and for `group_touches`, which it does not count, every group's touches asked of the hub."""
    records = sandbox.stats()["records"]
    return {stream: _hub_group_touches(sandbox) if stream == "group_touches" else records[stream] for stream in streams}


def _hub_group_touches(sandbox: RunningSandbox) -> int:
    backend = sandbox.config("cloud_elements")["backend"]
    session = requests.Session()
    session.headers["Authorization"] = (
        f"User {backend['user_secret']}, Organization {backend['organization_secret']}, Element {backend['element_token']}"
    )
    root = f"{backend['base_url']}/hubs/rewards"
    return sum(len(_hub_list(session, f"{root}/groups/{group['id']}/touches")) for group in _hub_list(session, f"{root}/groups"))


def _hub_list(session: requests.Session, url: str, page_size: int = 500) -> List[Dict[str, Any]]:
    listed: List[Dict[str, Any]] = []
    params: Dict[str, Any] = {"pageSize": page_size}
    while True:
        response = session.get(url, params=params, timeout=30)
        response.raise_for_status()
        page = response.json()
        listed += page
        if len(page) < page_size:
            return listed
        params = {"pageSize": page_size, "nextPage": response.headers["Elements-Next-Page-Token"]}
