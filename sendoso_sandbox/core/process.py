"""The one way to run the sandbox as a subprocess: the demo, the integration tests and the
benchmarks all start it here (no pytest needed)::

    from sendoso_sandbox.core.process import start_sandbox

    with start_sandbox("--scale", "5000", "--rate-limit", "0", latency_ms=250) as sandbox:
        sandbox.url, sandbox.config("sendoso"), sandbox.stats()
        sandbox.control("POST", "mutate", {"resource": "sends", "count": 10})

``args`` are the options of ``sendoso-sandbox serve``; ``latency_ms`` and ``jitter_ms``
add ``--latency``/``--jitter`` (``set_latency`` changes it while it runs).  If the
process dies or prints nothing within ``timeout`` seconds, ``SandboxStartError``
carries the tail of its stderr.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import requests

STDERR_TAIL = 65536


class SandboxStartError(RuntimeError):
    pass


class SandboxProcess:
    """A running ``sendoso-sandbox serve``: what it printed, and its control surface."""

    def __init__(self, proc: subprocess.Popen, info: dict, stderr_file):
        self.proc = proc
        self.info = info
        self._stderr_file = stderr_file
        self._stderr_tail = ""

    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def access_token(self) -> str:
        return self.info["access_token"]

    @property
    def configs(self) -> dict:
        return self.info["configs"]

    def config(self, backend: str = "sendoso", **overrides: Any) -> dict:
        """A copy of the connector config of a backend (``sendoso``, ``cloud_elements``), fields overridden."""
        config = json.loads(json.dumps(self.configs[backend]))
        config.update(overrides)
        return config

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """``METHOD /_sandbox/<path>``; the answer's JSON (None when empty); raises on an error status."""
        response = requests.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=120)
        response.raise_for_status()
        return response.json() if response.content else None

    def stats(self) -> dict:
        return self.control("GET", "stats")

    def set_latency(self, ms: float, jitter_ms: float = 0) -> dict:
        """Hold every API answer ``ms`` (plus up to ``jitter_ms``) from now on."""
        return self.control("POST", "latency", {"ms": ms, "jitter_ms": jitter_ms})

    def stderr_tail(self, limit: int = STDERR_TAIL) -> str:
        """The end of what it wrote to stderr (kept after it stopped)."""
        if self._stderr_file.closed:
            return self._stderr_tail[-limit:]
        self._stderr_file.flush()
        size = self._stderr_file.seek(0, os.SEEK_END)
        self._stderr_file.seek(max(0, size - limit))
        return self._stderr_file.read().decode("utf-8", "replace")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, wait, and SIGKILL only if it does not exit in time.  Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        if not self._stderr_file.closed:
            self._stderr_tail = self.stderr_tail()
            self._stderr_file.close()
        return self.proc.returncode

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_sandbox(
    *args: str,
    latency_ms: float | None = None,
    jitter_ms: float | None = None,
    timeout: float = 120.0,
    env: dict | None = None,
) -> SandboxProcess:
    command = [sys.executable, "-m", "sendoso_sandbox", "serve", *args]
    if latency_ms is not None:
        command += ["--latency", str(latency_ms)]
    if jitter_ms is not None:
        command += ["--jitter", str(jitter_ms)]
    stderr_file = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        env=env if env is not None else os.environ.copy(),
    )
    line = b""
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    assert proc.stdout is not None  # stdout=PIPE
    selector.register(proc.stdout, selectors.EVENT_READ)
    fd = proc.stdout.fileno()
    try:
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if not selector.select(min(remaining, 0.5)):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            line += chunk
    finally:
        selector.close()
    if not line.endswith(b"\n"):
        handle = SandboxProcess(proc, {}, stderr_file)
        handle.stop(5)
        raise SandboxStartError(f"sandbox did not start (exit {proc.returncode}): {handle.stderr_tail(2000)}")
    return SandboxProcess(proc, json.loads(line), stderr_file)
