"""``serve --latency MS --jitter MS``: every API answer is held, requests are still served
concurrently, and the rate limit still counts each request when it arrives."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from sendoso_sandbox import Sandbox
from sendoso_sandbox.core.process import SandboxStartError, start_sandbox
from sendoso_sandbox.options import OptionError


def test_every_api_answer_is_held_at_least_the_latency_and_counted(make_client):
    client = make_client(rate_limit=0, latency_ms=200)
    for ask in (lambda: client.direct("/me"), lambda: client.hub("/users"), lambda: client.token_request(**client.refresh_form())):
        started = time.perf_counter()
        assert ask().status_code == 200
        assert time.perf_counter() - started >= 0.2
    latency = client.control("GET", "/latency").json()
    # Three API answers held; the control requests (this one included) never are.
    assert latency == {"ms": 200, "jitter_ms": 0, "answers_held": 3}


def test_a_burst_is_throttled_as_it_arrives_however_long_its_answers_are_held(make_client):
    # 2 requests per second, answers held 0.2 to 2.2 s: six requests sent at once are six
    # arrivals within the same second, so four of them are throttled. Were they counted
    # when answered, or served one after another, the holds would spread them out.
    client = make_client(rate_limit=2, latency_ms=200, jitter_ms=2000)
    start = threading.Barrier(6)
    statuses: list[int] = []

    def ask() -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {client.token}"}
        start.wait()
        statuses.append(session.get(client.api_url + "/users", headers=headers, timeout=30).status_code)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 429, 429, 429, 429]
    stats = client.control("GET", "/stats").json()
    assert stats["throttled"] == 4 and stats["faults_injected"] == {}
    assert client.control("GET", "/latency").json()["answers_held"] == 6


def test_latency_is_changed_through_the_control_surface_and_reset_to_the_start(make_client):
    client = make_client(rate_limit=0, latency_ms=50)
    changed = client.control("POST", "/latency", {"ms": 120, "jitter_ms": 30})
    assert changed.status_code == 200 and changed.json() == {"ms": 120, "jitter_ms": 30, "answers_held": 0}
    started = time.perf_counter()
    client.direct("/me")
    assert time.perf_counter() - started >= 0.12
    # Not a fault: not listed with the rules, and clearing the rules leaves it.
    assert client.control("GET", "/faults").json()["rules"] == []
    client.control("DELETE", "/faults")
    assert client.control("GET", "/latency").json() == {"ms": 120, "jitter_ms": 30, "answers_held": 1}
    client.control("POST", "/reset")
    assert client.control("GET", "/latency").json() == {"ms": 50, "jitter_ms": 0, "answers_held": 0}


@pytest.mark.parametrize(
    "body",
    [
        {"ms": -1},
        {"ms": 300_001},
        {"ms": "250"},
        {"ms": True},
        {"ms": 10, "jitter_ms": -5},
        {"jitter_ms": 5},
        {"ms": 10, "seconds": 1},
        [250],
    ],
)
def test_a_latency_the_sandbox_cannot_hold_is_refused(client, body):
    answer = client.control("POST", "/latency", body)
    assert answer.status_code == 400 and answer.json()["error"]
    assert client.control("GET", "/latency").json()["ms"] == 0


def test_a_slow_fault_takes_a_jitter_and_refuses_a_bad_one(client):
    rule = {"kind": "slow", "seconds": 0.1, "jitter": 0.05, "path_prefix": "/api/v3/me", "times": 1}
    assert client.control("POST", "/faults", rule).json()["rules"][0]["jitter"] == 0.05
    started = time.perf_counter()
    client.direct("/me")
    assert time.perf_counter() - started >= 0.1
    assert client.control("GET", "/stats").json()["faults_injected"] == {"slow": 1}
    assert client.control("POST", "/faults", {"kind": "slow", "jitter": -1}).status_code == 400


def test_options_are_checked_once_for_the_cli_and_the_python_api():
    with pytest.raises(OptionError, match="--latency"):
        Sandbox(latency_ms=-1)
    with pytest.raises(OptionError, match="--rate-limit"):
        Sandbox(rate_limit=-1)
    with pytest.raises(SandboxStartError, match="--jitter must be a number of milliseconds"):
        start_sandbox("--scale", "10", "--jitter", "-3", timeout=30)


def test_the_launcher_starts_a_sandbox_at_a_latency_and_changes_it():
    with start_sandbox("--scale", "50", "--rate-limit", "0", latency_ms=80, jitter_ms=20) as sandbox:
        assert sandbox.control("GET", "latency") == {"ms": 80, "jitter_ms": 20, "answers_held": 0}
        assert sandbox.set_latency(0) == {"ms": 0, "jitter_ms": 0, "answers_held": 0}
        assert sandbox.stats()["requests_total"] == 0
