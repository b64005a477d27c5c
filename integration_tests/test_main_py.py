"""`main.py` at the connector root, as Airbyte's tooling runs it: `python main.py <command>`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

from sandbox import RunningSandbox, run_connector

ROOT = Path(__file__).resolve().parents[1]


def _main_py(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    # From another working directory: the file must not depend on being run from the root.
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)


def _messages(stdout: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_python_main_py_spec_prints_the_connectors_spec(tmp_path: Path) -> None:
    completed = _main_py(tmp_path, "spec")

    assert completed.returncode == 0, completed.stderr[-3000:]
    (spec,) = [message["spec"] for message in _messages(completed.stdout) if message["type"] == "SPEC"]
    assert spec == run_connector("spec").of_type("SPEC")[0]["spec"]


def test_python_main_py_check_reaches_the_service(tmp_path: Path, sandbox: RunningSandbox) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(sandbox.config()))

    completed = _main_py(tmp_path, "check", "--config", str(config))

    assert completed.returncode == 0, completed.stderr[-3000:]
    (status,) = [m["connectionStatus"] for m in _messages(completed.stdout) if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "SUCCEEDED", status
