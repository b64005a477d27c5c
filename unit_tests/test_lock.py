"""poetry.lock: the whole dependency tree, as the image (runtime group) and `make setup` (runtime
and dev groups) install it.

Poetry writes it (`make lock`): every package pinned, with the sha256 of each of its files, and
with an environment marker per group where a package is needed only on some Python versions or
platforms. `poetry check --lock` fails while pyproject.toml's dependencies differ from the ones
the lock was resolved for; the other tests hold the lock to the environment these tests run in:
the runtime packages locked for this interpreter are exactly what the runtime dependencies need,
and everything locked for it is installed at the locked version, the CDK's first.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Set

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
LOCK = ROOT / "poetry.lock"
OUT_OF_DATE = "pyproject.toml changed significantly since poetry.lock was last generated"


def poetry() -> str:
    """The Poetry `make setup` links into the environment, else the one on PATH."""
    beside = Path(sys.executable).parent / "poetry"
    found = str(beside) if beside.exists() else shutil.which("poetry")
    assert found, "no Poetry in this environment or on PATH: run `make setup`"
    return found


def check_lock(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([poetry(), "check", "--lock", "--no-interaction"], cwd=project, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def packages() -> List[Dict[str, Any]]:
    return tomllib.loads(LOCK.read_text(encoding="utf-8"))["package"]


def applies_here(package: Dict[str, Any], group: str) -> bool:
    """True when Poetry installs this package for the group on this interpreter and platform."""
    if group not in package["groups"]:
        return False
    markers = package.get("markers")
    marker = markers.get(group) if isinstance(markers, dict) else markers
    return marker is None or Marker(marker).evaluate()


def locked_here(packages: List[Dict[str, Any]], *groups: str) -> Dict[str, Version]:
    """What Poetry installs of these groups on this interpreter: one version per package."""
    here: Dict[str, Version] = {}
    for package in packages:
        if any(applies_here(package, group) for group in groups):
            name = canonicalize_name(package["name"])
            assert name not in here, f"{name} is locked twice for this interpreter"
            here[name] = Version(package["version"])
    return here


def runtime_requirements() -> List[Requirement]:
    """pyproject.toml's runtime dependencies as the built wheel declares them."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["poetry"]["dependencies"]
    return [Requirement(f"{name}{constraint}") for name, constraint in declared.items() if name != "python"]


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


def test_the_lock_was_resolved_for_the_dependencies_pyproject_declares() -> None:
    completed = check_lock(ROOT)

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_a_dependency_added_to_pyproject_without_make_lock_is_reported(tmp_path: Path) -> None:
    for name in ("poetry.lock", "README.md"):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "sendoso_sandbox").symlink_to(ROOT / "sendoso_sandbox")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    added, count = re.subn(r"^\[tool\.poetry\.dependencies\]$", '\\g<0>\nsix = ">=1.16,<2"', pyproject, flags=re.M)
    assert count == 1
    (tmp_path / "pyproject.toml").write_text(added, encoding="utf-8")

    completed = check_lock(tmp_path)

    assert completed.returncode != 0
    assert OUT_OF_DATE in completed.stdout + completed.stderr


def test_every_locked_package_has_hashes_so_that_poetry_checks_what_it_installs(packages: List[Dict[str, Any]]) -> None:
    from_the_index = [package for package in packages if "source" not in package]

    assert from_the_index
    assert [package["name"] for package in from_the_index if not package["files"]] == []
    for package in from_the_index:
        for file in package["files"]:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", file["hash"]), (package["name"], file)


def test_only_the_sandbox_comes_from_the_checkout_and_only_for_development(packages: List[Dict[str, Any]]) -> None:
    from_elsewhere = {package["name"]: (package["groups"], package["source"]["type"]) for package in packages if "source" in package}

    assert from_elsewhere == {"sendoso-sandbox": (["dev"], "directory")}


def test_the_runtime_group_for_this_interpreter_is_exactly_what_the_runtime_dependencies_need(packages: List[Dict[str, Any]]) -> None:
    needed = set(closure(runtime_requirements()))
    runtime = set(locked_here(packages, "main"))

    assert sorted(needed - runtime) == [], "needed but not in the lock's runtime group: run `make lock`"
    assert sorted(runtime - needed) == [], "in the lock's runtime group but needed by nothing: run `make lock`"


def test_every_locked_runtime_version_admits_what_the_other_locked_packages_require(packages: List[Dict[str, Any]]) -> None:
    runtime = locked_here(packages, "main")
    problems = []
    for name in runtime:
        for text in importlib.metadata.requires(name) or ():
            requirement = Requirement(text)
            if not _needed(requirement, set()):
                continue
            dependency = canonicalize_name(requirement.name)
            version = runtime.get(dependency)
            if version is None or not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{name} requires {requirement}, the lock has {dependency}=={version}")
    assert problems == []


def test_the_tests_run_on_the_locked_versions_the_cdk_first(packages: List[Dict[str, Any]]) -> None:
    locked = locked_here(packages, "main", "dev")
    cdk = Version(importlib.metadata.version("airbyte-cdk"))
    assert locked["airbyte-cdk"] == cdk, (
        f"the tests run on airbyte-cdk {cdk}, the image gets {locked['airbyte-cdk']}: run `make setup` after `make lock`"
    )

    installed = {name: Version(importlib.metadata.version(name)) for name in locked}
    assert {name: str(version) for name, version in installed.items() if version != locked[name]} == {}, "run `make setup`"


def test_the_manifest_declares_the_locked_cdk_version(packages: List[Dict[str, Any]]) -> None:
    manifest_version = re.search(r"^version:\s*(\S+)", (ROOT / "source_sendoso" / "manifest.yaml").read_text(encoding="utf-8"), re.M)

    assert manifest_version and Version(manifest_version.group(1)) == locked_here(packages, "main")["airbyte-cdk"]
