"""Start the sandbox CLI as a subprocess (no pytest needed)::

    from sendoso_sandbox.process import start_sandbox

    handle = start_sandbox(["--scale", "5000", "--rate-limit", "0"])
    try:
        handle.url, handle.info["configs"]["sendoso"]
    finally:
        handle.stop()

or ``with start_sandbox([...]) as handle: ...``.  ``args`` are the options of
``sendoso-sandbox serve``.  If the process dies or prints nothing within
``timeout`` seconds, ``SandboxStartError`` carries the tail of its stderr.
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


class SandboxStartError(RuntimeError):
    pass


class SandboxProcess:
    def __init__(self, proc: subprocess.Popen, info: dict, stderr_file):
        self.proc = proc
        self.info = info
        self._stderr_file = stderr_file

    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def access_token(self) -> str:
        return self.info["access_token"]

    @property
    def configs(self) -> dict:
        return self.info["configs"]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr_text(self) -> str:
        self._stderr_file.flush()
        self._stderr_file.seek(0)
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
        return self.proc.returncode

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self._stderr_file.close()


def start_sandbox(
    args: list[str] | None = None,
    *,
    timeout: float = 120.0,
    python: str | None = None,
    env: dict | None = None,
) -> SandboxProcess:
    command = [python or sys.executable, "-m", "sendoso_sandbox", "serve", *(args or [])]
    stderr_file = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr_file,
        env=env if env is not None else os.environ.copy(),
    )
    line = b""
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
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
        raise SandboxStartError(f"sandbox did not start (exit {proc.returncode}): {handle.stderr_text()[-2000:]}")
    return SandboxProcess(proc, json.loads(line), stderr_file)
