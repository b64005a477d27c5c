"""4. Incremental cost: what a second sync costs after 1% of the sends changed.

On each backend: a full incremental read of `sends` (no state), then
`POST /_sandbox/mutate {"resource": "sends", "count": 1% of scale}` (each chosen send gets
a new status update at *now*), then a second read with the first read's final state.
Requests are counted by the sandbox (`/_sandbox/stats` deltas), records from the sink.

The direct API has no date filter: the second read fetches every page again and keeps the
changed sends by their cursor. The hub is sent `where=updated_at >= '<state>'`, so it
should answer only the changed sends (and the send at the saved cursor itself, which an
inclusive cursor reads again): their own pages, plus the empty page that ends the listing, plus
one request that asks for the oldest changed send and their count (source_sendoso/cursors/windows.py:
few pages are read in one pass).
"""

from __future__ import annotations

import json
import math
from typing import Any

from .common import (
    check_ok,
    log,
    mutate,
    read_command,
    request_delta,
    reset,
    run_measured,
    sandbox,
    scan_sink,
    sends_catalog,
    sends_config,
    stats,
    workdir,
    write_json,
)

BACKENDS = (("direct", "sendoso", "GET /api/v3/send "), ("hub", "cloud_elements", "GET /elements/api-v2/hubs/rewards/sent-gifts "))


def _read(sb, folder, label: str, config_path, catalog_path, state_path=None) -> dict[str, Any]:
    before = stats(sb)
    sink = folder / f"{label}.jsonl"
    result = run_measured(read_command(config_path, catalog_path, state_path), sink)
    check_ok(result, sink, f"connector ({label})")
    after = stats(sb)
    scanned = scan_sink(sink)
    sink.unlink()
    return {"records": scanned["records"], "state": scanned["state"], "requests": request_delta(before, after), "wall_s": result.wall_s}


def run(scale: int = 20_000, changed_share: float = 0.01) -> dict[str, Any]:
    folder = workdir("incremental")
    changes = max(1, int(scale * changed_share))
    out: dict[str, Any] = {"scale": scale, "changed": changes, "backends": {}}
    log(f"incremental: starting a sandbox of {scale} sends")
    with sandbox(scale) as sb:
        for name, key, pages_key in BACKENDS:
            reset(sb)
            config = sends_config(sb, key, stream_filter=None)
            config_path = write_json(folder / f"{name}-config.json", config)
            catalog_path = write_json(folder / "catalog.json", sends_catalog("incremental"))
            full = _read(sb, folder, f"{name}-full", config_path, catalog_path)
            mutated = mutate(sb, {"resource": "sends", "count": changes})
            state_path = write_json(folder / f"{name}-state.json", [{"type": "STREAM", **{"stream": full["state"]["stream"]}}])
            second = _read(sb, folder, f"{name}-second", config_path, catalog_path, state_path)
            page_size = config["backend"].get("page_size", 200) if name == "hub" else int(config.get("per_page", 100))
            pages = lambda reqs, prefix=pages_key: sum(v for k, v in reqs.items() if k.startswith(prefix))  # noqa: E731
            entry = {
                "page_size": page_size,
                "mutated": len(mutated.get("ids", [])),
                "full": {
                    "records": full["records"],
                    "pages": pages(full["requests"]),
                    "requests": full["requests"],
                    "state": full["state"]["stream"]["stream_state"],
                },
                "second": {
                    "records": second["records"],
                    "pages": pages(second["requests"]),
                    "requests": second["requests"],
                    "state": second["state"]["stream"]["stream_state"],
                },
            }
            entry["pages_ratio"] = entry["second"]["pages"] / entry["full"]["pages"]
            entry["records_ratio"] = entry["second"]["records"] / entry["full"]["records"]
            # The second read answers the changed sends and the send(s) at the saved cursor
            # itself (the cursor is inclusive, `>=`): their own pages, plus the empty page
            # that ends a hub listing, plus on the hub the question that decides whether to read
            # in windows (source_sendoso/cursors/windows.py).
            entry["extra_requests"] = 2 if name == "hub" else 1
            entry["changes_own_pages_plus_one"] = math.ceil(max(entry["second"]["records"], 1) / page_size) + entry["extra_requests"]
            entry["within_bound"] = entry["second"]["pages"] <= entry["changes_own_pages_plus_one"]
            out["backends"][name] = entry
            log(
                f"incremental/{name}: full {entry['full']['pages']} pages / {entry['full']['records']} records; "
                f"second {entry['second']['pages']} pages / {entry['second']['records']} records "
                f"({changes} changed; where: {json.dumps(stats(sb)['where'][-1:])})"
            )
    return out
