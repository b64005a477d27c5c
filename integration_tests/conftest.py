from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List

import pytest
from sandbox import RunningSandbox, run_connector, start_sandbox
from summary import PENDING, USER_PROPERTY

SCALE = 600


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    """One seeded sandbox for the session, unthrottled; tests that change it reset it."""
    with start_sandbox("--seed", "1", "--scale", str(SCALE), "--rate-limit", "0") as running:
        yield running


@pytest.fixture
def fresh_sandbox(sandbox: RunningSandbox) -> RunningSandbox:
    sandbox.control("POST", "reset")
    return sandbox


@pytest.fixture(scope="module")
def catalogs(sandbox: RunningSandbox) -> Dict[str, Dict[str, Any]]:
    """What each backend discovers, by backend."""
    found = {}
    for backend in ("sendoso", "cloud_elements"):
        run = run_connector("discover", config=sandbox.config(backend))
        assert run.returncode == 0, run.errors
        found[backend] = run.of_type("CATALOG")[0]["catalog"]
    return found


@pytest.fixture(scope="session")
def discovered(sandbox: RunningSandbox) -> Dict[str, Any]:
    run = run_connector("discover", config=sandbox.config())
    assert run.returncode == 0, run.stderr
    return run.of_type("CATALOG")[0]["catalog"]


# ---------------------------------------------------------------------------------------------
# The acceptance session (acceptance-test-config.yml, test_acceptance.py, test_airbyte_standards.py)
#
# The committed configs point at ACCEPTANCE_ORIGIN: a fixed loopback port, so that the Docker-based
# acceptance runner can be given a sandbox started by hand with ACCEPTANCE_COMMAND (see the header of
# acceptance-test-config.yml). Under pytest the session starts its own sandbox with the same seed and
# scale on a free port, and `acceptance_sandbox.load(...)` points the committed files at it, so that
# two test runs (or another engineer's) never fight over the fixed port.
# ---------------------------------------------------------------------------------------------
ACCEPTANCE_PORT = 18241
ACCEPTANCE_ORIGIN = f"http://127.0.0.1:{ACCEPTANCE_PORT}"
ACCEPTANCE_SANDBOX_ARGS = ("--seed", "1", "--scale", "100", "--rate-limit", "0")
ACCEPTANCE_COMMAND = "sendoso-sandbox serve --host 127.0.0.1 --port {port} " + " ".join(ACCEPTANCE_SANDBOX_ARGS)
REPO_ROOT = Path(__file__).resolve().parent.parent
STANDARD_SUITE_FILE = "test_airbyte_standards.py"


@dataclass
class AcceptanceSandbox:
    """The acceptance session's sandbox, and the committed acceptance files pointed at it."""

    running: RunningSandbox
    fixed_origin: str = ACCEPTANCE_ORIGIN
    port: int = ACCEPTANCE_PORT
    command: str = ACCEPTANCE_COMMAND.format(port=ACCEPTANCE_PORT)

    @property
    def url(self) -> str:
        return self.running.url

    def load(self, relative_path: Any) -> Any:
        """A committed JSON file (config, state, catalog), with the fixed origin replaced by the live one."""
        text = (REPO_ROOT / str(relative_path)).read_text(encoding="utf-8")
        return json.loads(text.replace(self.fixed_origin, self.running.url))

    def reset(self) -> None:
        self.running.control("POST", "reset")

    def mutate(self, resource: str, count: int) -> List[Any]:
        return self.running.control("POST", "mutate", {"resource": resource, "count": count})["ids"]


@pytest.fixture(scope="session")
def acceptance_sandbox() -> Iterator[AcceptanceSandbox]:
    """The seeded sandbox the acceptance configs and expected_records*.jsonl were made against."""
    with start_sandbox(*ACCEPTANCE_SANDBOX_ARGS) as running:
        yield AcceptanceSandbox(running)


def pytest_configure(config: pytest.Config) -> None:
    # Applied at import time by the CDK's standard-test base classes (airbyte_cdk.test.standard_tests);
    # `--strict-markers` rejects a marker nobody registered.
    config.addinivalue_line("markers", "image_tests: a CDK standard test that needs a Docker engine")
    config.addinivalue_line("markers", "requires_creds: a CDK standard-test scenario whose config is under secrets/")


_STANDARD_SUITE_ITEMS = pytest.StashKey[List[str]]()
_TEXTS_FOR_THE_SUMMARY: List[str] = []


def _standard_suite_items(nodeids: Iterable[str]) -> List[str]:
    return [nodeid for nodeid in nodeids if nodeid.split("::", 1)[0].endswith(f"/{STANDARD_SUITE_FILE}")]


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.items:  # not under xdist, whose workers collect and report below
        session.config.stash[_STANDARD_SUITE_ITEMS] = _standard_suite_items(item.nodeid for item in session.items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: List[str]) -> None:
    node.config.stash[_STANDARD_SUITE_ITEMS] = _standard_suite_items(ids)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    if call.when == "teardown":
        pending = item.config.stash.get(PENDING, [])
        item.user_properties.extend((USER_PROPERTY, text) for text in pending)
        pending.clear()
    yield


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _TEXTS_FOR_THE_SUMMARY.extend(value for name, value in report.user_properties if name == USER_PROPERTY)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for text in _TEXTS_FOR_THE_SUMMARY:
        terminalreporter.write_line("")
        for line in text.splitlines():
            terminalreporter.write_line(line)
    collected = config.stash.get(_STANDARD_SUITE_ITEMS, None)
    if collected is None:
        return
    wanted = set(collected)
    outcomes: Dict[str, int] = {}
    for outcome in ("passed", "failed", "error", "skipped", "xfailed", "xpassed"):
        reports = terminalreporter.stats.get(outcome, [])
        count = len({report.nodeid for report in reports if getattr(report, "nodeid", None) in wanted})
        if count:
            outcomes[outcome] = count
    summary = ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items()) or "none run"
    terminalreporter.write_sep("-", "CDK standard source test suite (airbyte_cdk.test.standard_tests)")
    terminalreporter.write_line(
        f"integration_tests/{STANDARD_SUITE_FILE}: {len(collected)} tests collected from the standard suite ({summary})"
    )
