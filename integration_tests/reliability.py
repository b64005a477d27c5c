"""Helpers of the reliability and security tests (test_faults, test_resume, test_bad_inputs, test_secrets).

Every connector run in those files goes through `guarded_run` or `StreamingRun`, which fail the
test when a secret of the config shows in stdout or stderr.

CONTROL messages are the one exception, by decision: a CONNECTOR_CONFIG control message is the
protocol's channel for handing the platform the updated config (a refreshed access token, a
rotated refresh token) to persist, so it must carry those values. It is checked for its shape
instead, and everything else on stdout (records, logs, traces, `--debug` output) and all of
stderr must be free of every secret, including the tokens the control messages hand over.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple
from urllib.parse import quote, quote_plus

from sandbox import ConnectorRun, RunningSandbox, run_connector, start_sandbox

from harness.connector import connector_command, connector_executable

# The config fields the spec marks `airbyte_secret` (both backends).
SECRET_FIELDS = (
    "client_id",
    "client_secret",
    "refresh_token",
    "access_token",
    "user_secret",
    "organization_secret",
    "element_token",
)


def start_isolated_sandbox(*args: str) -> RunningSandbox:
    """A sandbox of its own (faults and stats cannot leak between tests); retried once if it
    does not come up, which only happens on a machine under heavy load."""
    try:
        return start_sandbox(*args)
    except RuntimeError:
        time.sleep(0.5)
        return start_sandbox(*args)


def secret_values(config: Dict[str, Any], messages: Iterable[Dict[str, Any]] = (), extra: Iterable[str] = ()) -> Set[str]:
    """Every secret the run could know: the config's, and the tokens its control messages hand over."""
    values: Set[str] = set(extra)
    backends = [config.get("backend") or {}]
    for message in messages:
        if message.get("type") == "CONTROL":
            handed = ((message.get("control") or {}).get("connectorConfig") or {}).get("config") or {}
            backends.append(handed.get("backend") or {})
    for backend in backends:
        if isinstance(backend, dict):
            for name in SECRET_FIELDS:
                value = backend.get(name)
                if isinstance(value, str) and value:
                    values.add(value)
    # A secret shorter than this would match by chance; the sandbox's are 43 characters.
    return {value for value in values if len(value) >= 8}


def _forms(secret: str) -> Set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


def secret_leaks(stdout: str, stderr: str, secrets: Set[str]) -> List[str]:
    """Where a secret shows: '<stream>: <excerpt>' for each offending line (CONTROL lines exempt)."""
    leaks: List[str] = []
    forms = {form: secret for secret in secrets for form in _forms(secret)}
    for line in stdout.splitlines():
        if not any(form in line for form in forms):
            continue
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == "CONTROL":
            continue
        leaks.append(f"stdout: {_redacted(line, forms)[:300]}")
    for line in stderr.splitlines():
        if any(form in line for form in forms):
            leaks.append(f"stderr: {_redacted(line, forms)[:300]}")
    return leaks


def _redacted(line: str, forms: Dict[str, str]) -> str:
    # The report says where a secret leaked without printing it again.
    for form in sorted(forms, key=len, reverse=True):
        line = line.replace(form, "<SECRET>")
    return line


def control_messages_are_well_formed(messages: Iterable[Dict[str, Any]]) -> None:
    for message in messages:
        if message.get("type") == "CONTROL":
            control = message["control"]
            assert control["type"] == "CONNECTOR_CONFIG", control["type"]
            assert isinstance(control["connectorConfig"]["config"].get("backend"), dict)


def assert_no_secrets(run: ConnectorRun, config: Optional[Dict[str, Any]], extra: Iterable[str] = ()) -> None:
    secrets = secret_values(config or {}, run.messages, extra)
    leaks = secret_leaks(run.stdout, run.stderr, secrets)
    assert not leaks, "secrets in the connector's output:\n" + "\n".join(leaks)
    control_messages_are_well_formed(run.messages)


def guarded_run(
    command: str,
    config: Optional[Dict[str, Any]] = None,
    catalog: Optional[Dict[str, Any]] = None,
    state: Optional[Any] = None,
    extra_args: Sequence[str] = (),
    timeout: float = 300,
    known_secrets: Iterable[str] = (),
) -> ConnectorRun:
    """`run_connector`, then no secret of the config (or handed over by it) in stdout or stderr."""
    run = run_connector(command, config=config, catalog=catalog, state=state, extra_args=extra_args, timeout=timeout)
    assert_no_secrets(run, config, known_secrets)
    return run


def run_raw(args: Sequence[str], timeout: float = 120) -> ConnectorRun:
    """`source-sendoso ARGS` with files given as they are (for inputs that are not JSON at all)."""
    completed = subprocess.run([*connector_executable(), *args], capture_output=True, text=True, timeout=timeout)
    messages = []
    for line in completed.stdout.splitlines():
        if line.strip():
            messages.append(json.loads(line))
    return ConnectorRun(completed.returncode, messages, completed.stdout, completed.stderr)


@dataclass
class StreamingRun:
    """`source-sendoso read` as a live subprocess: `on_message` sees each stdout message as it
    comes (to revoke a token mid-sync, or to SIGKILL the connector after a checkpoint)."""

    config: Dict[str, Any]
    catalog: Dict[str, Any]
    state: Optional[Any] = None
    extra_args: Sequence[str] = ()
    on_message: Optional[Callable[["StreamingRun", Dict[str, Any]], None]] = None
    timeout: float = 300
    messages: List[Dict[str, Any]] = field(default_factory=list)
    lines: List[str] = field(default_factory=list)
    returncode: Optional[int] = None
    stderr: str = ""
    killed: bool = False
    elapsed: float = 0.0
    unparsed: List[str] = field(default_factory=list)  # stdout lines that are not JSON

    def run(self) -> "StreamingRun":
        command = connector_command("read", config=self.config, catalog=self.catalog, state=self.state, extra_args=self.extra_args)
        with command as args, tempfile.TemporaryFile("w+") as stderr_file:
            started = time.monotonic()
            # Unbuffered: each message reaches `on_message` when the connector writes it, so that a
            # kill lands where the test saw the sync (block-buffered, a checkpoint could sit in
            # the connector's buffer until the sync is all but over; the platform reads the same
            # messages either way).
            environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr_file, text=True, env=environment)
            timer = threading.Timer(self.timeout, self.kill)
            timer.start()
            try:
                assert self.process.stdout is not None
                for line in self.process.stdout:
                    self.lines.append(line)
                    try:
                        message = json.loads(line)
                    except ValueError:
                        if line.strip():
                            self.unparsed.append(line)
                        continue
                    self.messages.append(message)
                    if self.on_message is not None and not self.killed:
                        self.on_message(self, message)
                self.returncode = self.process.wait()
            finally:
                timer.cancel()
            self.elapsed = time.monotonic() - started
            stderr_file.seek(0)
            self.stderr = stderr_file.read()
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, no final state, exactly as a node that dies."""
        if self.process.poll() is None:
            self.killed = True
            self.process.send_signal(signal.SIGKILL)

    @property
    def stdout(self) -> str:
        return "".join(self.lines)

    def as_run(self) -> ConnectorRun:
        return ConnectorRun(self.returncode if self.returncode is not None else -1, self.messages, self.stdout, self.stderr)


def records_by_stream(run: ConnectorRun) -> Dict[str, List[Dict[str, Any]]]:
    found: Dict[str, List[Dict[str, Any]]] = {}
    for record in run.records:
        found.setdefault(record["stream"], []).append(record["data"])
    return found


def key_of(stream: str, record: Dict[str, Any]) -> Tuple[Any, ...]:
    return (record.get("group_id"), record.get("id")) if stream == "group_members" else (record.get("id"),)


def last_states(run: ConnectorRun) -> List[Dict[str, Any]]:
    """The state to restart with: the last STREAM state message of each stream, as the platform keeps it."""
    latest: Dict[str, Dict[str, Any]] = {}
    for state in run.states:
        if state.get("type") == "STREAM":
            latest[state["stream"]["stream_descriptor"]["name"]] = {"type": "STREAM", "stream": state["stream"]}
    return list(latest.values())
