"""The Docker image, built without a Docker engine: what the Dockerfile does, step by step.

No Docker engine runs here or in CI, so this test repeats the Dockerfile's steps with
plain Python and checks the result the way a user of the image would:

1. the build context: the repository minus what `.dockerignore` leaves out, copied with
   its symlinks as they are (as `COPY . .` does), into a temporary folder, so the build
   writes nothing (build/, *.egg-info) into the shared checkout;
2. `poetry build --format wheel` there (poetry-core, the build backend), as the builder
   stage does, with the development environment's Poetry;
3. a fresh virtual environment (the clean base image), then, as the final stage does,
   `poetry install --only main --no-root` from pyproject.toml and poetry.lock alone (the
   lock's runtime group, every package pinned, every file checked against its hash) and
   `pip install --no-deps <wheel>`. The dependencies come from the package index as the lock
   names them, never from the development environment: reusing its site-packages would hide
   a dependency the lock or the wheel fails to declare. `pip check` then proves that the
   locked tree satisfies what the wheel declares. This is the slow part of the suite: a
   minute or more on 2 busy cores, most of it unpacking numpy, pandas and grpcio.
4. `source-sendoso spec` and `source-sendoso discover` from that environment, from a
   neutral working directory, with a config whose hosts cannot resolve (discover on the
   direct backend reads its streams from the manifest and makes no HTTP call): the same
   spec and catalog as the checkout's, whose contents the unit tests check;
5. `source-sendoso check` and `read` from that environment against the sandbox, which is
   not in the wheel (it is its own distribution, sendoso_sandbox/pyproject.toml) and runs
   from the development environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Dict, Iterator, List, Sequence

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name
from sandbox import RunningSandbox, configured_catalog, run_connector

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DIRECT_STREAMS = {"me", "users", "groups", "group_members", "touches", "sends", "marketplace_products"}
PIP = ("-m", "pip", "--disable-pip-version-check", "--no-input")

# Dummy credentials, and hosts under the reserved .invalid TLD: any HTTP call would fail.
OFFLINE_CONFIG: Dict[str, Any] = {
    "backend": {
        "backend_type": "sendoso",
        "client_id": "packaging-test-client",
        "client_secret": "packaging-test-secret",
        "refresh_token": "packaging-test-refresh-token",
        "api_url": "https://sendoso.invalid/api/v3",
        "token_url": "https://sendoso.invalid/oauth/token",
    },
    "start_date": "2025-01-01T00:00:00Z",
    # Makes the installed package read its own schemas (filters are checked against them).
    "stream_filters": [{"stream": "sends", "where": "status = 'Delivered' AND sender.email LIKE '%@acme.com'"}],
}


# --------------------------------------------------------------------------------------
# .dockerignore, as Docker reads it
# --------------------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> "re.Pattern[str]":
    """Docker's pattern syntax: `*` and `?` stay within one path segment, `**` spans any."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i)
            out.append(pattern[i : end + 1] if end > i else re.escape(pattern[i]))
            i = end + 1 if end > i else i + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class DockerIgnore:
    rules: Sequence[tuple[bool, "re.Pattern[str]"]]  # (negated, pattern)

    @classmethod
    def read(cls, path: Path) -> "DockerIgnore":
        rules = []
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            cleaned = str(PurePosixPath(line.lstrip("!").strip().lstrip("/")))
            rules.append((negated, _pattern_regex(cleaned)))
        return cls(tuple(rules))

    def excludes(self, relative: str) -> bool:
        """True when the path, or a folder above it, is left out of the build context."""
        parts = PurePosixPath(relative).parts
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            excluded = False
            for negated, regex in self.rules:
                if regex.match(prefix):
                    excluded = not negated
            if excluded:
                return True
        return False


def copy_build_context(source: Path, target: Path) -> List[str]:
    """Copies what `docker build .` would send; symlinks stay symlinks. Returns the paths."""
    ignore = DockerIgnore.read(source / ".dockerignore")
    copied: List[str] = []
    for folder, dirs, files in os.walk(source):
        here = Path(folder)
        relative_folder = here.relative_to(source)
        kept_dirs = []
        for name in sorted(dirs):
            relative = (relative_folder / name).as_posix()
            if ignore.excludes(relative):
                continue
            if (here / name).is_symlink():  # os.walk does not descend into it; copy the link
                (target / relative).symlink_to(os.readlink(here / name))
                copied.append(relative)
                continue
            (target / relative).mkdir()
            kept_dirs.append(name)
        dirs[:] = kept_dirs
        for name in files:
            relative = (relative_folder / name).as_posix()
            if ignore.excludes(relative):
                continue
            if (here / name).is_symlink():
                (target / relative).symlink_to(os.readlink(here / name))
            else:
                shutil.copy2(here / name, target / relative)
            copied.append(relative)
    return copied


# --------------------------------------------------------------------------------------
# The build, once per module
# --------------------------------------------------------------------------------------


def _run(args: Sequence[str], cwd: Path, env: Dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    completed = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, (
        f"{' '.join(map(str, args))} failed ({completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    )
    return completed


def _clean_env() -> Dict[str, str]:
    """The caller's environment minus whatever would let the dev environment leak in."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def poetry() -> str:
    """The Poetry `make setup` links into the development environment, else the one on PATH."""
    beside = Path(sys.executable).parent / "poetry"
    found = str(beside) if beside.exists() else shutil.which("poetry")
    assert found, "no Poetry in this environment or on PATH: run `make setup`"
    return found


@dataclass
class Image:
    """A stand-in for the built image: the wheel, and an environment it was installed in."""

    context: Path
    context_files: List[str]
    wheel: Path
    venv: Path
    workdir: Path
    env: Dict[str, str]
    timings: Dict[str, float]

    @property
    def bin(self) -> Path:
        return self.venv / ("Scripts" if os.name == "nt" else "bin")

    def run(self, *args: str, config: Dict[str, Any] | None = None) -> subprocess.CompletedProcess:
        command = [str(self.bin / "source-sendoso"), *args]
        if config is not None:
            path = self.workdir / "config.json"
            path.write_text(json.dumps(config))
            command += ["--config", str(path)]
        return subprocess.run(command, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=300)


def messages(completed: subprocess.CompletedProcess) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]


# The tests that take it are marked `slow`: it builds an environment, a few minutes of the suite.
@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    base = tmp_path_factory.mktemp("packaging")
    env = _clean_env()
    timings: Dict[str, float] = {}

    started = time.monotonic()
    context = base / "context"
    context.mkdir()
    files = copy_build_context(ROOT, context)
    timings["context"] = time.monotonic() - started

    started = time.monotonic()
    wheels = base / "wheels"
    # The builder stage: RUN POETRY_VIRTUALENVS_CREATE=false poetry build --format wheel --output /wheels
    build_env = {**env, "POETRY_VIRTUALENVS_CREATE": "false"}
    _run([poetry(), "build", "--no-interaction", "--format", "wheel", "--output", str(wheels)], cwd=context, env=build_env, timeout=600)
    (wheel,) = wheels.glob("*.whl")
    timings["wheel"] = time.monotonic() - started

    started = time.monotonic()
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=base, env=env, timeout=300)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # The final stage, which mounts only pyproject.toml and poetry.lock (Poetry's cache is
    # allowed here as there: it only saves downloads, and every file is checked against the
    # lock's hashes all the same). The image's Poetry installs into the Python its own
    # environment was made from; here VIRTUAL_ENV points it at the fresh environment.
    # RUN poetry install --directory /tmp/project --only main --no-root
    project = base / "project"
    project.mkdir()
    for name in ("pyproject.toml", "poetry.lock"):
        shutil.copy2(context / name, project / name)
    install_env = {**env, "VIRTUAL_ENV": str(venv), "POETRY_VIRTUALENVS_CREATE": "false"}
    install = [poetry(), "install", "--directory", str(project), "--only", "main", "--no-root", "--no-interaction"]
    _run(install, cwd=base, env=install_env, timeout=900)
    # RUN python -m pip install --no-cache-dir --no-deps /wheels/*.whl
    _run([str(python), *PIP, "install", "--no-deps", str(wheel)], cwd=base, env=env, timeout=300)
    timings["install"] = time.monotonic() - started

    workdir = base / "workdir"  # not the checkout: nothing may be imported from the sources
    workdir.mkdir()
    yield Image(context, files, wheel, venv, workdir, env, timings)
    print("\npackaging timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))


# --------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------


def test_the_build_context_leaves_out_environments_history_caches_and_secrets() -> None:
    ignore = DockerIgnore.read(ROOT / ".dockerignore")

    for left_out in (
        ".venv/bin/python",
        ".venv-pyairbyte/bin/python",
        ".git/HEAD",
        "secrets/config.json",
        "benchmarks/results/latest.json",
        ".pytest_cache/v/cache/nodeids",
        ".hypothesis/examples/x",
        "source_sendoso/__pycache__/run.cpython-311.pyc",
        "source_sendoso.egg-info/PKG-INFO",
        "sendoso_sandbox/store.py",
        "sendoso_sandbox/pyproject.toml",
        "harness/connector.py",
        "build/lib/source_sendoso/run.py",
        "dist/source_sendoso-0.1.0-py3-none-any.whl",
    ):
        assert ignore.excludes(left_out), left_out
    for kept in (
        "pyproject.toml",
        "poetry.lock",
        "README.md",
        "source_sendoso/manifest.yaml",
        "source_sendoso/schemas",
        "schemas/sends.json",
        "source_sendoso/ceql/parser.py",
        "benchmarks/__main__.py",
    ):
        assert not ignore.excludes(kept), kept


@pytest.mark.slow
def test_the_wheel_carries_the_manifest_and_every_schema_as_real_files(image: Image) -> None:
    expected_schemas = sorted(path.name for path in (ROOT / "source_sendoso" / "schemas").glob("*.json"))
    assert expected_schemas

    with zipfile.ZipFile(image.wheel) as wheel:
        entries = {info.filename: info for info in wheel.infolist()}
        assert "source_sendoso/manifest.yaml" in entries
        assert b"type: DeclarativeSource" in wheel.read("source_sendoso/manifest.yaml")
        packaged = sorted(name.rsplit("/", 1)[1] for name in entries if re.fullmatch(r"source_sendoso/schemas/[^/]+\.json", name))
        assert packaged == expected_schemas
        for name in packaged:
            info = entries[f"source_sendoso/schemas/{name}"]
            assert not stat.S_ISLNK(info.external_attr >> 16), f"{name} is a link in the wheel"
            schema = json.loads(wheel.read(info))
            assert schema.get("properties"), name
        entry_points = wheel.read(next(n for n in entries if n.endswith(".dist-info/entry_points.txt"))).decode()
        assert re.search(r"^source-sendoso\s*=\s*source_sendoso\.run:run\s*$", entry_points, re.M)


@pytest.mark.slow
def test_the_wheel_holds_the_connector_only_not_the_sandbox(image: Image) -> None:
    with zipfile.ZipFile(image.wheel) as wheel:
        names = wheel.namelist()
        entry_points = wheel.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert {name.split("/", 1)[0] for name in names if not name.startswith("source_sendoso-")} == {"source_sendoso"}
    assert not [name for name in names if "sendoso_sandbox" in name]
    assert "sendoso-sandbox" not in entry_points and "sendoso_sandbox" not in entry_points
    missing = subprocess.run(
        [str(image.bin / "python"), "-c", "import sendoso_sandbox"],
        cwd=image.workdir,
        env=image.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode != 0 and "No module named 'sendoso_sandbox'" in missing.stderr


@pytest.mark.slow
def test_the_installed_package_is_the_wheel_not_the_checkout(image: Image) -> None:
    python = image.bin / "python"
    code = "import source_sendoso, pathlib; print(pathlib.Path(source_sendoso.__file__).resolve())"
    location = Path(_run([str(python), "-c", code], cwd=image.workdir, env=image.env, timeout=120).stdout.strip())

    assert image.venv.resolve() in location.parents
    assert ROOT not in location.parents
    schemas = location.parent / "schemas"
    assert schemas.is_dir() and not schemas.is_symlink()
    _run([str(python), *PIP, "check"], cwd=image.workdir, env=image.env, timeout=120)


def _runtime_locked_for_this_interpreter(lock_text: str) -> Dict[str, str]:
    """The lock's runtime group as Poetry installs it on this interpreter (its markers evaluated here)."""
    pins = {}
    for package in tomllib.loads(lock_text)["package"]:
        markers = package.get("markers")
        marker = markers.get("main") if isinstance(markers, dict) else markers
        if "main" in package["groups"] and (marker is None or Marker(marker).evaluate()):
            pins[canonicalize_name(package["name"])] = package["version"]
    return pins


@pytest.mark.slow
def test_the_environment_holds_the_locked_tree_and_the_wheel_and_nothing_else(image: Image) -> None:
    code = "import importlib.metadata as m, json; print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions()]))"
    listed = json.loads(_run([str(image.bin / "python"), "-c", code], cwd=image.workdir, env=image.env, timeout=120).stdout)
    installed = {canonicalize_name(name): version for name, version in listed}

    locked = _runtime_locked_for_this_interpreter((image.context / "poetry.lock").read_text(encoding="utf-8"))
    assert installed.pop("source-sendoso") == image.wheel.name.split("-")[1]
    installed.pop("pip")  # the environment's own installer, as in the base image
    assert installed == locked


@pytest.mark.slow
def test_spec_from_the_installed_console_script_is_the_checkouts(image: Image) -> None:
    """What the spec holds is tested once, in unit_tests/test_spec_check_discover.py; here, that the
    installed package prints that very spec."""
    completed = image.run("spec")

    assert completed.returncode == 0, completed.stderr[-3000:]
    (spec,) = [m["spec"] for m in messages(completed) if m["type"] == "SPEC"]
    assert spec == run_connector("spec").of_type("SPEC")[0]["spec"]


@pytest.mark.slow
def test_discover_from_the_installed_package_is_the_checkouts_with_no_network(image: Image) -> None:
    """The installed schemas and streams are the checkout's, read with hosts that cannot resolve."""
    completed = image.run("discover", config=OFFLINE_CONFIG)

    assert completed.returncode == 0, completed.stderr[-3000:]
    output = messages(completed)
    errors = [m for m in output if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    assert not errors, errors
    (catalog,) = [m["catalog"] for m in output if m["type"] == "CATALOG"]
    assert {stream["name"] for stream in catalog["streams"]} == DIRECT_STREAMS
    assert catalog == run_connector("discover", config=OFFLINE_CONFIG).of_type("CATALOG")[0]["catalog"]
    assert "packaging-test-secret" not in completed.stdout + completed.stderr


@pytest.mark.slow
def test_check_and_read_run_from_the_installed_wheel_against_the_sandbox(
    image: Image, fresh_sandbox: RunningSandbox, discovered: Dict[str, Any]
) -> None:
    config = fresh_sandbox.config()
    check = image.run("check", config=config)
    assert check.returncode == 0, check.stderr[-3000:]
    (status,) = [m["connectionStatus"] for m in messages(check) if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "SUCCEEDED", status

    catalog_path = image.workdir / "catalog.json"
    catalog_path.write_text(json.dumps(configured_catalog(discovered, ["users", "sends"])))
    read = image.run("read", "--catalog", str(catalog_path), config=config)

    assert read.returncode == 0, read.stderr[-3000:]
    output = messages(read)
    assert not [m for m in output if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    records: Dict[str, int] = {}
    for message in output:
        if message["type"] == "RECORD":
            records[message["record"]["stream"]] = records.get(message["record"]["stream"], 0) + 1
    held = fresh_sandbox.stats()["records"]
    assert records == {"users": held["users"], "sends": held["sends"]}
