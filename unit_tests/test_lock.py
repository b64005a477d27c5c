"""requirements.lock: the whole runtime dependency tree, as the image and `make setup` install it.

The lock is uv's universal form of a pip requirements file (`make lock`): every package pinned
with `==`, with the sha256 of each of its files, and with an environment marker where the pin
differs by Python version or platform. Plain pip installs it (`pip install --require-hashes -r
requirements.lock`), which is what the Dockerfile does on the Airbyte base image.

These tests keep it in step with pyproject.toml without asking the package index: every runtime
dependency pyproject.toml declares is locked at a version its range admits, the packages locked
for this interpreter are exactly what those dependencies need (nothing missing, nothing left
over), and they are the versions this test environment runs on, the CDK's first.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: Optional[Marker]
    hashes: tuple[str, ...]

    def applies(self) -> bool:
        """True when pip, on this interpreter and platform, installs this pin."""
        return self.marker is None or self.marker.evaluate()


_ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?:\s*;\s*(?P<marker>[^\\]+?))?\s*(?:\\)?$")


def read_lock(text: str) -> List[Pin]:
    """The lock's pins. Anything else than a pin, its hashes and comments fails the read."""
    pins: List[Pin] = []
    entry: Optional[dict] = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("--hash="):
            assert entry is not None, f"line {number}: a hash outside an entry"
            algorithm, _, digest = stripped[len("--hash=") :].rstrip(" \\").partition(":")
            assert algorithm == "sha256" and re.fullmatch(r"[0-9a-f]{64}", digest), f"line {number}: {stripped}"
            entry["hashes"].append(digest)
            continue
        match = _ENTRY.match(stripped)
        assert match, f"line {number} is not a pinned requirement: {stripped}"
        if entry is not None:
            pins.append(Pin(entry["name"], entry["version"], entry["marker"], tuple(entry["hashes"])))
        marker = match.group("marker")
        entry = {
            "name": canonicalize_name(match.group("name")),
            "version": Version(match.group("version")),
            "marker": Marker(marker) if marker else None,
            "hashes": [],
        }
    if entry is not None:
        pins.append(Pin(entry["name"], entry["version"], entry["marker"], tuple(entry["hashes"])))
    return pins


@pytest.fixture(scope="module")
def pins() -> List[Pin]:
    return read_lock(LOCK.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def locked_here(pins: List[Pin]) -> Dict[str, Version]:
    """What pip installs from the lock on this interpreter: one version per package."""
    here: Dict[str, Version] = {}
    for pin in pins:
        if pin.applies():
            assert pin.name not in here, f"{pin.name} is locked twice for this interpreter"
            here[pin.name] = pin.version
    return here


def runtime_requirements() -> List[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in project["dependencies"]]


def _needed(requirement: Requirement, extras: Set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""}))


def closure(requirements: List[Requirement]) -> Dict[str, Set[str]]:
    """Every distribution these requirements pull in on this interpreter, with the extras asked
    of it, read from the installed packages' own metadata."""
    wanted: Dict[str, Set[str]] = {}
    todo = [(requirement, set()) for requirement in requirements]
    while todo:
        requirement, parent_extras = todo.pop()
        if not _needed(requirement, parent_extras):
            continue
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        known = wanted.get(name)
        if known is not None and extras <= known:
            continue
        wanted[name] = (known or set()) | extras
        for text in importlib.metadata.requires(name) or ():
            todo.append((Requirement(text), wanted[name]))
    return wanted


def test_every_pin_has_hashes_so_that_pip_installs_it_with_require_hashes(pins: List[Pin]) -> None:
    assert pins
    assert [pin.name for pin in pins if not pin.hashes] == []


def out_of_range(requirements: List[Requirement], pins: List[Pin]) -> List[str]:
    """Each runtime dependency the lock lacks or pins outside the dependency's range."""
    problems = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        locked = [pin for pin in pins if pin.name == name]
        if not locked:
            problems.append(f"{requirement} is not locked")
        problems.extend(
            f"{name}=={pin.version} is locked, outside {requirement}"
            for pin in locked
            if not requirement.specifier.contains(pin.version, prereleases=True)
        )
    return problems


def test_every_runtime_dependency_of_pyproject_is_locked_within_its_range(pins: List[Pin]) -> None:
    assert out_of_range(runtime_requirements(), pins) == [], "requirements.lock is behind pyproject.toml: run `make lock`"


def test_the_lock_for_this_interpreter_is_exactly_what_the_runtime_dependencies_need(locked_here: Dict[str, Version]) -> None:
    needed = set(closure(runtime_requirements()))

    assert sorted(needed - set(locked_here)) == [], "needed but not locked: run `make lock`"
    assert sorted(set(locked_here) - needed) == [], "locked but needed by nothing: run `make lock`"


def test_every_locked_version_admits_what_the_other_locked_packages_require(locked_here: Dict[str, Version]) -> None:
    problems = []
    for name in locked_here:
        for text in importlib.metadata.requires(name) or ():
            requirement = Requirement(text)
            if not _needed(requirement, set()):
                continue
            dependency = canonicalize_name(requirement.name)
            version = locked_here.get(dependency)
            if version is None or not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{name} requires {requirement}, the lock has {dependency}=={version}")
    assert problems == []


def test_the_tests_run_on_the_locked_versions_the_cdk_first(locked_here: Dict[str, Version]) -> None:
    cdk = Version(importlib.metadata.version("airbyte-cdk"))
    assert locked_here["airbyte-cdk"] == cdk, (
        f"the tests run on airbyte-cdk {cdk}, the image gets {locked_here['airbyte-cdk']}: run `make setup` after `make lock`"
    )
    installed = {name: Version(importlib.metadata.version(name)) for name in locked_here}
    assert {name: str(v) for name, v in installed.items() if v != locked_here[name]} == {}


def test_the_manifest_declares_the_locked_cdk_version() -> None:
    manifest_version = re.search(r"^version:\s*(\S+)", (ROOT / "source_sendoso" / "manifest.yaml").read_text(encoding="utf-8"), re.M)
    locked = {pin.name: pin.version for pin in read_lock(LOCK.read_text(encoding="utf-8")) if pin.applies()}

    assert manifest_version and Version(manifest_version.group(1)) == locked["airbyte-cdk"]


def test_a_dependency_locked_outside_its_range_or_not_at_all_is_reported() -> None:
    lock = read_lock(
        "airbyte-cdk==6.9.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
        "airbyte-cdk==7.39.1 ; python_full_version >= '3.11' \\\n    --hash=sha256:" + "1" * 64 + "\n"
    )

    assert out_of_range([Requirement("airbyte-cdk>=7.39,<8"), Requirement("backoff>=2.2,<3")], lock) == [
        "airbyte-cdk==6.9.0 is locked, outside airbyte-cdk<8,>=7.39",
        "backoff<3,>=2.2 is not locked",
    ]


def test_the_lock_reader_keeps_markers_and_rejects_what_is_not_a_pin() -> None:
    lock = (
        "# header\n"
        "numpy==2.2.6 ; python_full_version < '3.11' \\\n"
        "    --hash=sha256:" + "a" * 64 + " \\\n"
        "    --hash=sha256:" + "b" * 64 + "\n"
        "    # via pandas\n"
    )
    (pin,) = read_lock(lock)
    assert (pin.name, str(pin.version), str(pin.marker), len(pin.hashes)) == ("numpy", "2.2.6", 'python_full_version < "3.11"', 2)

    with pytest.raises(AssertionError, match="not a pinned requirement"):
        read_lock("requests>=2\n")
