from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from sandbox import RunningSandbox, configured_catalog, run_connector, start_sandbox

SCALE = 600


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    """One seeded sandbox for the session, unthrottled; tests that change it reset it."""
    running = start_sandbox("--seed", "1", "--scale", str(SCALE), "--rate-limit", "0")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def fresh_sandbox(sandbox: RunningSandbox) -> RunningSandbox:
    sandbox.control("POST", "reset")
    return sandbox


@pytest.fixture(scope="session")
def discovered(sandbox: RunningSandbox) -> Dict[str, Any]:
    run = run_connector("discover", config=sandbox.config())
    assert run.returncode == 0, run.stderr
    return run.of_type("CATALOG")[0]["catalog"]
