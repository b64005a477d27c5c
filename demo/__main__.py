"""`make demo`: check, discover and a full read against the local sandbox, then a summary.

No credentials and no internet: the sandbox stands in for Sendoso at its real rate limit
(10 requests per second), and the connector runs exactly as Airbyte runs it, as the
`source-sendoso` command with files for its config and catalog.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from typing import Any, Dict, List

from harness.connector import connector_command
from sendoso_sandbox.core.process import start_sandbox

SCALE = 2000


def _run(command: str, **files: Any) -> List[Dict[str, Any]]:
    with connector_command(command, **files) as args:
        completed = subprocess.run(args, capture_output=True, text=True, check=False)
    messages = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    errors = [m["trace"]["error"]["message"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    if completed.returncode != 0 or errors:
        sys.exit(f"source-sendoso {command} failed: {errors or completed.stderr[-2000:]}")
    return messages


def _catalog(discovered: Dict[str, Any]) -> Dict[str, Any]:
    streams = []
    for stream in discovered["streams"]:
        incremental = "incremental" in stream["supported_sync_modes"]
        streams.append(
            {
                "stream": stream,
                "sync_mode": "incremental" if incremental else "full_refresh",
                "destination_sync_mode": "append_dedup" if incremental else "overwrite",
                **({"cursor_field": stream["default_cursor_field"]} if incremental else {}),
                "primary_key": stream.get("source_defined_primary_key") or [],
            }
        )
    return {"streams": streams}


def main() -> None:
    print(f"Starting the Sendoso sandbox (seed 1, {SCALE} sends, 10 requests/second)...")
    sandbox = start_sandbox("--seed", "1", "--scale", str(SCALE), "--rate-limit", "10")
    try:
        config = sandbox.config("sendoso")
        print(f"Sandbox ready at {sandbox.url}\n")
        status = _run("check", config=config)[-1]["connectionStatus"]["status"]
        print(f"check     {status}")
        discovered = next(m for m in _run("discover", config=config) if m["type"] == "CATALOG")["catalog"]
        print(f"discover  {len(discovered['streams'])} streams")
        started = time.monotonic()
        messages = _run("read", config=config, catalog=_catalog(discovered))
        elapsed = time.monotonic() - started

        counts: Counter = Counter()
        first_last: Dict[str, List[int]] = defaultdict(list)
        for message in messages:
            if message["type"] == "RECORD":
                record = message["record"]
                counts[record["stream"]] += 1
                first_last[record["stream"]].append(record["emitted_at"])
        # Full-refresh streams checkpoint a marker, not a cursor: only cursors are shown.
        states = {
            m["state"]["stream"]["stream_descriptor"]["name"]: m["state"]["stream"]["stream_state"]
            for m in messages
            if m["type"] == "STATE" and m["state"].get("type") == "STREAM" and "updated_at" in m["state"]["stream"]["stream_state"]
        }
        # An incremental stream checkpoints after every page, so that a stopped sync resumes there.
        checkpoints = Counter(
            m["state"]["stream"]["stream_descriptor"]["name"]
            for m in messages
            if m["type"] == "STATE" and "pass" in m["state"].get("stream", {}).get("stream_state", {})
        )
        print(f"read      {sum(counts.values())} records in {elapsed:.1f} s\n")
        print(f"{'stream':<22}{'records':>9}{'seconds':>10}{'checkpoints':>13}  final state")
        for stream in (s["name"] for s in discovered["streams"]):
            times = first_last.get(stream) or [0]
            seconds = (max(times) - min(times)) / 1000
            state = json.dumps(states.get(stream)) if stream in states else "-"
            mid_stream = checkpoints[stream] + 1 if stream in states else "-"
            print(f"{stream:<22}{counts[stream]:>9}{seconds:>10.1f}{mid_stream:>13}  {state}")
        held = sandbox.stats()
        print(f"\nThe sandbox answered {held['requests_total']} requests, {held['throttled']} of them throttled (429).")
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
