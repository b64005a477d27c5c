"""Starts the real sandbox (`sendoso-sandbox serve`) and runs the real connector (`source-sendoso`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import requests

BIN = Path(sys.executable).parent


def _script(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


@dataclass
class RunningSandbox:
    process: subprocess.Popen
    info: Dict[str, Any]

    @property
    def url(self) -> str:
        return self.info["url"]

    def config(self, backend: str = "sendoso", **overrides: Any) -> Dict[str, Any]:
        config = json.loads(json.dumps(self.info["configs"][backend]))
        config.update(overrides)
        return config

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def stats(self) -> Dict[str, Any]:
        return self.control("GET", "stats")

    def __enter__(self) -> "RunningSandbox":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_sandbox(*args: str) -> RunningSandbox:
    """Starts `sendoso-sandbox serve` on a free loopback port and waits for its ready line."""
    process = subprocess.Popen(
        [_script("sendoso-sandbox"), "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise RuntimeError(f"sendoso-sandbox exited before it was ready (exit {process.wait()})")
    return RunningSandbox(process, json.loads(line))


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
    with tempfile.TemporaryDirectory() as folder:
        args = [_script("source-sendoso"), command]
        for flag, value in (("--config", config), ("--catalog", catalog), ("--state", state)):
            if value is not None:
                path = Path(folder) / f"{flag[2:]}.json"
                path.write_text(json.dumps(value))
                args += [flag, str(path)]
        completed = subprocess.run(
            [*args, *extra_args], capture_output=True, text=True, timeout=timeout, env={**os.environ}
        )
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
