"""Pages read several at a time (`max_concurrent_requests`, source_sendoso/pages.py) deliver
exactly what one page at a time delivers: the real `source-sendoso read` of every stream, both
backends, against a sandbox that answers each API request 100 ms late (so that pages are in
flight together and come back in any order), compared record for record, order aside.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, Dict, Iterator, Optional

import pytest
from reliability import guarded_run, records_by_stream, start_isolated_sandbox
from sandbox import RunningSandbox, configured_catalog, run_connector

# Reads at the real 10 requests a second and behind latency: `make test-fast` leaves it out.
pytestmark = pytest.mark.slow

LATENCY = [{"kind": "slow", "path_prefix": prefix, "seconds": 0.1} for prefix in ("/api/v3", "/elements/api-v2/hubs/rewards")]
BACKENDS = ["sendoso", "cloud_elements"]


@pytest.fixture(scope="module")
def slow_sandbox() -> Iterator[RunningSandbox]:
    with start_isolated_sandbox("--seed", "3", "--scale", "1500", "--rate-limit", "0") as running:
        running.control("POST", "faults", LATENCY)
        yield running


def _catalog(box: RunningSandbox, backend: str) -> Dict[str, Any]:
    discovered = run_connector("discover", config=box.config(backend))
    assert discovered.returncode == 0, discovered.errors
    return configured_catalog(discovered.of_type("CATALOG")[0]["catalog"], incremental=True)


def _digests(
    box: RunningSandbox, backend: str, catalog: Dict[str, Any], page_size: Optional[int] = None, **settings: Any
) -> Dict[str, Counter]:
    """Per stream, how many times each record (its JSON, keys sorted) was delivered."""
    config = box.config(backend, **settings)
    if page_size is not None:
        config["backend"]["page_size"] = page_size
    run = guarded_run("read", config=config, catalog=catalog, known_secrets=[box.info["access_token"]])
    assert run.returncode == 0 and not run.errors, run.errors
    return {
        stream: Counter(hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest() for record in records)
        for stream, records in records_by_stream(run).items()
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_pages_read_at_once_deliver_exactly_the_records_of_one_page_at_a_time(slow_sandbox: RunningSandbox, backend: str) -> None:
    catalog = _catalog(slow_sandbox, backend)

    at_once = _digests(slow_sandbox, backend, catalog)
    one_at_a_time = _digests(slow_sandbox, backend, catalog, max_concurrent_requests=1)

    assert set(at_once) == {entry["stream"]["name"] for entry in catalog["streams"]}
    held = slow_sandbox.stats()["records"]
    assert sum(at_once["sends"].values()) == held["sends"] > 1000  # several pages of sends
    for stream, records in one_at_a_time.items():
        assert at_once[stream] == records, f"{stream}: the records differ"


def _sends_catalog(box: RunningSandbox) -> Dict[str, Any]:
    catalog = _catalog(box, "cloud_elements")
    return {"streams": [entry for entry in catalog["streams"] if entry["stream"]["name"] == "sends"]}


def _sent_gifts_requests(box: RunningSandbox) -> int:
    return sum(count for key, count in box.stats()["requests"].items() if "/sent-gifts " in key)


def test_hub_sends_are_read_in_windows_of_their_cursor_each_record_once(slow_sandbox: RunningSandbox) -> None:
    catalog = _sends_catalog(slow_sandbox)
    # Pages of 50: 30 pages, long enough for windows to pay at 100 ms.
    settings = {"start_date": "2021-06-01T00:00:00Z", "page_size": 50}

    in_windows = _digests(slow_sandbox, "cloud_elements", catalog, **settings)["sends"]
    windows = {where for where in slow_sandbox.stats()["where"] if "updated_at <= " in where}
    one_pass = _digests(slow_sandbox, "cloud_elements", catalog, max_concurrent_requests=1, **settings)["sends"]

    assert len(windows) > 2  # the concurrent read asked for several windows, bounded at both ends
    assert sum(in_windows.values()) == slow_sandbox.stats()["records"]["sends"]
    assert in_windows == one_pass


def test_hub_that_ignores_where_is_read_in_one_pass_each_record_once() -> None:
    # Some hub elements silently ignore criteria they do not support: every window would receive
    # the whole list. The connector finds out before it cuts windows, and reads one pass. (Answers
    # 100 ms away: nearer, one pass is chosen before the question.)
    with start_isolated_sandbox("--seed", "4", "--scale", "600", "--rate-limit", "0") as box:
        catalog = _sends_catalog(box)
        settings = {"start_date": "2021-06-01T00:00:00Z", "page_size": 50}
        one_pass = _digests(box, "cloud_elements", catalog, max_concurrent_requests=1, **settings)["sends"]
        box.control("POST", "faults", [*LATENCY, {"kind": "ignore_where", "path_prefix": "/elements/api-v2/hubs/rewards/sent-gifts"}])
        before = _sent_gifts_requests(box)
        read = _digests(box, "cloud_elements", catalog, **settings)["sends"]
        requests = _sent_gifts_requests(box) - before

    assert sum(one_pass.values()) == 600
    assert read == one_pass
    # The two questions (the oldest send, the sends past it), 12 pages of 50, the empty page.
    assert requests == 2 + 12 + 1


@pytest.fixture(scope="module")
def rate_limited_sandbox() -> Iterator[RunningSandbox]:
    """At Sendoso's real rate limit; each test resets it (stats, tokens and rate-limit windows)."""
    with start_isolated_sandbox("--seed", "5", "--scale", "1000", "--rate-limit", "10") as running:
        yield running


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_read_at_the_real_rate_limit_is_never_throttled(rate_limited_sandbox: RunningSandbox, backend: str) -> None:
    # One budget for every request of the run, the hub's discovery before its read included:
    # built anew for the read, it let 10 requests out at once after the 6 of the discovery.
    box = rate_limited_sandbox
    discovered = _catalog(box, backend)
    catalog = {"streams": [entry for entry in discovered["streams"] if entry["stream"]["name"] in ("users", "sends")]}
    box.control("POST", "reset")  # the discovery above was another run, not this one's

    run = guarded_run("read", config=box.config(backend), catalog=catalog, known_secrets=[box.info["access_token"]])

    assert run.returncode == 0, run.errors
    assert len(run.records_of("sends")) == 1000
    throttled = {request: count for request, count in box.stats()["requests"].items() if request.endswith(" 429")}
    assert throttled == {}
