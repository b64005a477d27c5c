"""PyAirbyte, the scripted Airbyte client, reads every stream of both backends.

PyAirbyte runs in its own virtual environment, as a user has it: `.venv-pyairbyte/` at the
root of the repository (git- and docker-ignored), with the PyAirbyte release that pyproject.toml
names under `[tool.source-sendoso.client-tests]`. The first run creates it with `uv`, which
installs PyAirbyte's 180 packages in well under a minute where pip takes several; later runs
reuse it while the requirement, the interpreter and the install commands stay the same.

The user's script (`pyairbyte_read.py`) calls `get_source(..., local_executable=...)` with this
repository's `source-sendoso`, `check()`, `select_all_streams()` and `read()` twice into the
default local DuckDB cache. Everything PyAirbyte writes (cache, logs, temporary files) goes to a
temporary folder, and offline mode keeps it from asking Airbyte's connector registry (which does
not list this connector) and from sending telemetry: after the install no network is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict

import pytest
from clients import held_counts
from sandbox import RunningSandbox, run_connector

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV = REPO_ROOT / ".venv-pyairbyte"
STAMP = VENV / ".installed-with"
USER_SCRIPT = Path(__file__).resolve().parent / "pyairbyte_read.py"
SOURCE_EXECUTABLE = Path(sys.executable).parent / "source-sendoso"
BACKENDS = ["sendoso", "cloud_elements"]

# Builds PyAirbyte's environment when it is missing, and each read starts PyAirbyte, DuckDB and the connector.
pytestmark = pytest.mark.slow


def _requirement() -> str:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["source-sendoso"]["client-tests"]["pyairbyte"]


def _venv_python() -> Path:
    return VENV / "bin" / "python"


@pytest.fixture(scope="session")
def pyairbyte_python() -> Path:
    """PyAirbyte's interpreter, in its own virtual environment; created once, then reused while
    the requirement, the interpreter and the way it is installed stay the same."""
    uv = str(Path(sys.executable).parent / "uv")
    commands = [
        [uv, "venv", "--quiet", "--python", sys.executable, str(VENV)],
        # Compiled now, as pip would: where PYTHONDONTWRITEBYTECODE is set, every run would
        # otherwise compile PyAirbyte's imports again.
        [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(_venv_python()), _requirement()],
    ]
    recipe = json.dumps({"python": sys.version, "commands": commands}, indent=1)
    if not (STAMP.exists() and STAMP.read_text(encoding="utf-8") == recipe and _venv_python().exists()):
        shutil.rmtree(VENV, ignore_errors=True)
        for command in commands:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=900)
            assert completed.returncode == 0, f"{' '.join(command)}:\n{completed.stderr[-3000:]}"
        STAMP.write_text(recipe, encoding="utf-8")
    return _venv_python()


@pytest.mark.parametrize("backend", BACKENDS)
def test_pyairbyte_reads_every_stream_into_its_cache(pyairbyte_python: Path, fresh_sandbox: RunningSandbox, backend: str) -> None:
    """Into PyAirbyte's DuckDB cache, as many rows per stream as the sandbox holds."""
    config = fresh_sandbox.config(backend)
    discover = run_connector("discover", config=config)
    assert discover.returncode == 0, discover.errors
    streams = [stream["name"] for stream in discover.of_type("CATALOG")[0]["catalog"]["streams"]]

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "config.json").write_text(json.dumps(config))
        with (folder / "pyairbyte.log").open("w") as output:
            completed = subprocess.run(
                [str(pyairbyte_python), str(USER_SCRIPT), str(SOURCE_EXECUTABLE), str(folder / "config.json"), str(folder / "result.json")],
                cwd=folder,
                env=_pyairbyte_environment(folder),
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=600,
            )
        assert completed.returncode == 0, (folder / "pyairbyte.log").read_text()[-5000:]
        result: Dict[str, Any] = json.loads((folder / "result.json").read_text())
        assert result["cache"]["type"] == "DuckDBCache"
        assert Path(result["cache"]["db_path"]).is_relative_to(folder)

    assert result["rows"] == held_counts(fresh_sandbox, streams)
    first, second = result["processed_records"]
    assert second < first, "the second read passes PyAirbyte's state: incremental streams read only what changed"


def _pyairbyte_environment(folder: Path) -> Dict[str, str]:
    """PyAirbyte's cache, logs and temporary files in `folder`, offline, without telemetry."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AIRBYTE_")}
    (folder / "tmp").mkdir()
    environment.update(
        AIRBYTE_OFFLINE_MODE="1",
        DO_NOT_TRACK="1",
        AIRBYTE_PROJECT_DIR=str(folder),
        AIRBYTE_LOGGING_ROOT=str(folder / "logs"),
        AIRBYTE_TEMP_DIR=str(folder / "tmp"),
    )
    return environment
