"""Starts the real sandbox (`sendoso-sandbox serve`) and runs the real connector (`source-sendoso`).

Both are started as the demo and the benchmarks start them (`sendoso_sandbox.core.process`,
`harness.connector`); `RunningSandbox` is the name these tests know the sandbox by.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from harness.connector import connector_command
from sendoso_sandbox.core.process import SandboxProcess as RunningSandbox
from sendoso_sandbox.core.process import start_sandbox

__all__ = ["RunningSandbox", "start_sandbox", "ConnectorRun", "run_connector", "configured_catalog"]


@dataclass
class ConnectorRun:
    returncode: int
    messages: List[Dict[str, Any]]
    stdout: str
    stderr: str

    def of_type(self, message_type: str) -> List[Dict[str, Any]]:
        return [message for message in self.messages if message["type"] == message_type]

    @property
    def records(self) -> List[Dict[str, Any]]:
        return [message["record"] for message in self.of_type("RECORD")]

    def records_of(self, stream: str) -> List[Dict[str, Any]]:
        return [record["data"] for record in self.records if record["stream"] == stream]

    @property
    def states(self) -> List[Dict[str, Any]]:
        return [message["state"] for message in self.of_type("STATE")]

    @property
    def errors(self) -> List[Dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]


def run_connector(
    command: str,
    config: Optional[Dict[str, Any]] = None,
    catalog: Optional[Dict[str, Any]] = None,
    state: Optional[Any] = None,
    extra_args: Sequence[str] = (),
    timeout: float = 600,
) -> ConnectorRun:
    """Runs `source-sendoso <command>` as a subprocess; every stdout line must be an Airbyte message."""
    with connector_command(command, config=config, catalog=catalog, state=state, extra_args=extra_args) as args:
        completed = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env={**os.environ})
    messages = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    return ConnectorRun(completed.returncode, messages, completed.stdout, completed.stderr)


def configured_catalog(discovered: Dict[str, Any], streams: Optional[Sequence[str]] = None, incremental: bool = False) -> Dict[str, Any]:
    """A configured catalog of the discovered streams: incremental where offered and asked for."""
    configured = []
    for stream in discovered["streams"]:
        if streams is not None and stream["name"] not in streams:
            continue
        use_incremental = incremental and "incremental" in stream["supported_sync_modes"]
        entry = {
            "stream": stream,
            "sync_mode": "incremental" if use_incremental else "full_refresh",
            "destination_sync_mode": "append_dedup" if use_incremental else "overwrite",
        }
        if use_incremental:
            entry["cursor_field"] = stream.get("default_cursor_field", [])
        if stream.get("source_defined_primary_key"):
            entry["primary_key"] = stream["source_defined_primary_key"]
        configured.append(entry)
    return {"streams": configured}
