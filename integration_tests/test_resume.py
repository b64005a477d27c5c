"""Resume after a crash: `read` killed with SIGKILL half way through `sends`, then restarted
with the last state it emitted.

Every incremental stream writes its state after every page (source_sendoso/cursors/checkpoints.py):
until its pass is done, the cursor stays where the pass started and `pass.next_page` says
where the pass got to. The direct API's pages are read several at a time (source_sendoso/pages.py):
the position is then the lowest page not read yet. What is asserted, with the pages read one at a
time (`max_concurrent_requests: 1`) and several at a time: the checkpoints follow the records of
every page before their position; a restarted sync asks for the page it reached, not the first
one, and reads again at most the pages that were in flight when it was killed; every record of
the source is delivered at least once across the two runs; nothing older than the cursor it was
given comes back; the finished pass leaves a state without `pass`, its cursor at the highest
value read before the kill, so that a change to a page read before the kill is not skipped.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import requests
from reliability import (
    StreamingRun,
    assert_no_secrets,
    guarded_run,
    key_of,
    last_states,
    records_by_stream,
    start_isolated_sandbox,
)
from sandbox import ConnectorRun, RunningSandbox, configured_catalog

# Kills and resumes whole syncs behind held answers: `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

STREAMS = ["users", "groups", "sends"]
INCREMENTAL = {"groups", "sends"}
PER_PAGE = 100
DEFAULT_CONCURRENCY = 8  # the spec's default of max_concurrent_requests
# Holds the third page of sends asked for, so that the kill lands while sends is being read.
HOLD_SENDS = {"kind": "slow", "path_prefix": "/api/v3/send", "every": 3, "times": 1, "seconds": 3}
# Holds every third: when the first hold falls on the first page, the other pages are read
# meanwhile and the pass would end with its first checkpoint, before the kill that checkpoint
# triggers; a later hold keeps the pass going past it.
HOLD_SENDS_ALL_ALONG = {**HOLD_SENDS, "times": None}
# Sendoso answers from across the internet: every API request answered a quarter second late.
LATENCY = {"kind": "slow", "path_prefix": "/api/v3", "seconds": 0.25}
ONE_AT_A_TIME = {"max_concurrent_requests": 1}
CONCURRENCIES = [pytest.param(ONE_AT_A_TIME, id="one-page-at-a-time"), pytest.param({}, id="pages-at-once")]


@pytest.fixture(scope="module")
def resume_sandbox() -> Iterator[RunningSandbox]:
    with start_isolated_sandbox("--seed", "11", "--scale", "500", "--rate-limit", "0") as running:
        yield running


@pytest.fixture
def box(resume_sandbox: RunningSandbox) -> RunningSandbox:
    resume_sandbox.control("POST", "reset")
    return resume_sandbox


@pytest.fixture(scope="module")
def catalog(discovered: Dict[str, Any]) -> Dict[str, Any]:
    return configured_catalog(discovered, STREAMS, incremental=True)


def _sends_position(message: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    if message["type"] == "STATE" and message["state"]["stream"]["stream_descriptor"]["name"] == "sends":
        return (message["state"]["stream"].get("stream_state") or {}).get("pass")
    return None


def _kill_after_a_page_of_sends_is_checkpointed(run: StreamingRun, message: Dict[str, Any]) -> None:
    if _sends_position(message):
        run.kill()


def _kill_once_a_page_past_the_checkpoint_is_out(run: StreamingRun, message: Dict[str, Any]) -> None:
    """Kills when the records of a page past the last checkpoint of sends are out: a page read
    ahead of one still in flight, which the restarted sync reads again."""
    positions = [p for p in map(_sends_position, run.messages) if p]
    if positions and message["type"] == "RECORD" and message["record"]["stream"] == "sends":
        out = sum(1 for m in run.messages if m["type"] == "RECORD" and m["record"]["stream"] == "sends")
        if out > (positions[-1]["next_page"] - 1) * PER_PAGE:
            run.kill()


def _pages_of_sends(box: RunningSandbox) -> Dict[Any, int]:
    """The page each send is on in Sendoso's listing now, asked of the sandbox directly."""
    pages: Dict[Any, int] = {}
    page = 1
    while True:
        response = requests.get(
            f"{box.url}/api/v3/send",
            params={"page": page, "per_page": PER_PAGE},
            headers={"Authorization": f"Bearer {box.info['access_token']}"},
            timeout=30,
        )
        response.raise_for_status()
        sends = response.json()["sends"]
        pages.update((send["id"], page) for send in sends)
        if len(sends) < PER_PAGE:
            return pages
        page += 1


def _checkpointed_sends(run: ConnectorRun, pages: Dict[Any, int]) -> List[Dict[str, Any]]:
    """The sends a killed run emitted from the pages before its last checkpoint of sends."""
    positions = [p for p in map(_sends_position, run.messages) if p]
    reached = positions[-1]["next_page"] if positions else 1
    return [send for send in run.records_of("sends") if pages[send["id"]] < reached]


def _read_killed(
    box: RunningSandbox,
    catalog: Dict[str, Any],
    state: Optional[List[Dict[str, Any]]] = None,
    settings: Optional[Dict[str, Any]] = None,
    faults: Any = HOLD_SENDS_ALL_ALONG,
    kill_when: Callable[[StreamingRun, Dict[str, Any]], None] = _kill_after_a_page_of_sends_is_checkpointed,
) -> ConnectorRun:
    box.control("POST", "faults", faults)
    config = box.config(**(settings or {}))
    streaming = StreamingRun(config, catalog, state=state, on_message=kill_when, timeout=120).run()
    box.control("DELETE", "faults")
    assert streaming.killed, "the sync ended before it could be killed"
    _let_requests_in_flight_end()
    run = streaming.as_run()
    assert_no_secrets(run, config, [box.info["access_token"]])
    return run


def _last_sends_state_index(run: ConnectorRun) -> int:
    return max(index for index, message in enumerate(run.messages) if _sends_position(message))


def _let_requests_in_flight_end() -> None:
    """The sandbox counts a request once it has answered it: the held page a killed sync had
    asked for must be counted before the requests of the restarted sync are."""
    time.sleep(HOLD_SENDS["seconds"] + 0.5)


def _pages_read_again(killed: ConnectorRun, resumed: ConnectorRun, pages: Dict[Any, int]) -> set:
    again = {send["id"] for send in killed.records_of("sends")} & {send["id"] for send in resumed.records_of("sends")}
    return {pages[send_id] for send_id in again}


def _merged(earlier: List[Dict[str, Any]], later: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Per stream, the later state wins: what the platform keeps across attempts."""
    by_stream = {s["stream"]["stream_descriptor"]["name"]: s for s in earlier}
    by_stream.update({s["stream"]["stream_descriptor"]["name"]: s for s in later})
    return list(by_stream.values())


def _stream_state(state: List[Dict[str, Any]], stream: str) -> Dict[str, Any]:
    for entry in state:
        if entry["stream"]["stream_descriptor"]["name"] == stream:
            return entry["stream"].get("stream_state") or {}
    return {}


def _cursor(state: List[Dict[str, Any]], stream: str) -> Optional[str]:
    return _stream_state(state, stream).get("updated_at")


def _pass(state: List[Dict[str, Any]], stream: str) -> Optional[Dict[str, Any]]:
    return _stream_state(state, stream).get("pass")


def _sends_requests(box: RunningSandbox, backend: str = "sendoso") -> int:
    path = "/api/v3/send" if backend == "sendoso" else "/elements/api-v2/hubs/rewards/sent-gifts"
    return box.stats()["requests"].get(f"GET {path} 200", 0)


@pytest.mark.parametrize("settings", CONCURRENCIES)
def test_sends_is_checkpointed_after_every_page_with_the_page_it_reached(
    box: RunningSandbox, catalog: Dict[str, Any], settings: Dict[str, Any]
) -> None:
    run = guarded_run("read", config=box.config(**settings), catalog=catalog, known_secrets=[box.info["access_token"]])

    assert run.returncode == 0, run.errors
    held = box.stats()["records"]["sends"]
    pages = _pages_of_sends(box)
    out, positions = set(), []
    for message in run.messages:
        if message["type"] == "RECORD" and message["record"]["stream"] == "sends":
            out.add(message["record"]["data"]["id"])
        elif _sends_position(message):
            position = _sends_position(message)
            # Every record of the pages before the position is out before the state is.
            owed = {send_id for send_id, page in pages.items() if page < position["next_page"]}
            assert owed <= out, f"checkpoint at page {position['next_page']} ahead of {len(owed - out)} records"
            if settings == ONE_AT_A_TIME:
                assert len(out) == (position["next_page"] - 1) * PER_PAGE, position  # and of no page after it
            positions.append(position["next_page"])
    if settings == ONE_AT_A_TIME:
        assert positions == list(range(2, held // PER_PAGE + 2))
    else:
        # Pages read at once move the position by several pages at a time, never back. The pass
        # may end in the same move as its last pages (the empty page after the list came back
        # before them): the final state, without a position, then stands for the last one.
        assert positions == sorted(set(positions)) and positions[-1] <= held // PER_PAGE + 1, positions
    assert len(out) == held == len(run.records_of("sends"))
    final = [s for s in last_states(run) if s["stream"]["stream_descriptor"]["name"] == "sends"][0]["stream"]["stream_state"]
    assert "pass" not in final
    assert final["updated_at"] == max(r["updated_at"] for r in run.records_of("sends"))


@pytest.mark.parametrize(
    "settings, faults, kill_when, in_flight",
    [
        pytest.param(ONE_AT_A_TIME, HOLD_SENDS, _kill_after_a_page_of_sends_is_checkpointed, 1, id="one-page-at-a-time"),
        pytest.param({}, HOLD_SENDS, _kill_after_a_page_of_sends_is_checkpointed, DEFAULT_CONCURRENCY, id="pages-at-once"),
        # Three pages at a time behind a quarter second of latency, one of them held: killed
        # once pages past the checkpoint are out, which the restarted sync reads again.
        pytest.param(
            {"max_concurrent_requests": 3},
            [LATENCY, HOLD_SENDS],
            _kill_once_a_page_past_the_checkpoint_is_out,
            3,
            id="three-at-once-at-250-ms",
        ),
    ],
)
def test_first_sync_killed_mid_sends_resumes_at_the_page_it_reached(
    box: RunningSandbox,
    catalog: Dict[str, Any],
    settings: Dict[str, Any],
    faults: Any,
    kill_when: Callable[[StreamingRun, Dict[str, Any]], None],
    in_flight: int,
) -> None:
    pages = _pages_of_sends(box)
    killed = _read_killed(box, catalog, settings=settings, faults=faults, kill_when=kill_when)
    first_states = last_states(killed)
    position = _pass(first_states, "sends")
    assert position is not None, "killed before sends checkpointed a page"
    delivered_before = records_by_stream(killed)
    requests_before = _sends_requests(box)

    resumed = guarded_run(
        "read", config=box.config(**settings), catalog=catalog, state=first_states, known_secrets=[box.info["access_token"]]
    )

    assert resumed.returncode == 0, resumed.errors
    held = box.stats()["records"]
    skipped = (position["next_page"] - 1) * PER_PAGE
    # The pages before the position are not read again: not asked for, not delivered.
    assert len(resumed.records_of("sends")) == held["sends"] - skipped
    assert _sends_requests(box) - requests_before == held["sends"] // PER_PAGE + 1 - (position["next_page"] - 1)
    delivered_after = records_by_stream(resumed)
    for stream in STREAMS:
        union = {key_of(stream, r) for r in delivered_before.get(stream, []) + delivered_after.get(stream, [])}
        assert len(union) == held[stream], f"{stream}: {held[stream] - len(union)} records never delivered"
    # Read again: only pages that were in flight at the kill, from the position on.
    read_again = _pages_read_again(killed, resumed, pages)
    assert len(read_again) <= in_flight and all(page >= position["next_page"] for page in read_again), read_again
    final_states = _merged(first_states, last_states(resumed))
    assert _pass(final_states, "sends") is None
    # The cursor ends at the highest value read before the kill, never past it.
    assert _cursor(final_states, "sends") == position["highest_seen"]
    checkpointed = [
        message["record"]["data"]
        for message in killed.messages[: _last_sends_state_index(killed)]
        if message["type"] == "RECORD" and message["record"]["stream"] == "sends"
    ]
    assert position["highest_seen"] == max(r["updated_at"] for r in checkpointed)


def test_incremental_sync_killed_mid_sends_then_resumed_delivers_every_change(box: RunningSandbox, catalog: Dict[str, Any]) -> None:
    """Every change, and nothing older than the state."""
    baseline = guarded_run("read", config=box.config(), catalog=catalog, known_secrets=[box.info["access_token"]])
    assert baseline.returncode == 0, baseline.errors
    checkpoint = last_states(baseline)
    sends_checkpoint = _cursor(checkpoint, "sends")
    assert sends_checkpoint
    changed = set(box.control("POST", "mutate", {"resource": "sends", "count": 40})["ids"])
    changed |= set(box.control("POST", "mutate", {"resource": "sends", "create": 5})["ids"])
    box.control("POST", "mutate", {"resource": "groups", "count": 1})
    pages = _pages_of_sends(box)

    killed = _read_killed(box, catalog, state=checkpoint)
    resume_state = _merged(checkpoint, last_states(killed))
    assert _pass(resume_state, "sends") is not None
    assert _cursor(resume_state, "sends") == sends_checkpoint  # the lower bound holds until the pass ends
    resumed = guarded_run("read", config=box.config(), catalog=catalog, state=resume_state, known_secrets=[box.info["access_token"]])

    assert resumed.returncode == 0, resumed.errors
    sends_before, sends_after = killed.records_of("sends"), resumed.records_of("sends")
    delivered = {r["id"] for r in sends_before + sends_after}
    assert changed <= delivered, f"changed sends never delivered: {sorted(changed - delivered)}"
    for stream in INCREMENTAL:
        given = _cursor(resume_state, stream)
        older = [r for r in resumed.records_of(stream) if r["updated_at"] < given]
        assert not older, f"{stream}: {len(older)} records older than the checkpoint {given} re-delivered"
    # Only what changed since the checkpoint comes back (and the records exactly at the
    # checkpoint: the cursor is inclusive), and none of it twice.
    unchanged = [r["id"] for r in sends_after if r["id"] not in changed and r["updated_at"] != sends_checkpoint]
    assert not unchanged, f"sends re-delivered although unchanged since the checkpoint: {unchanged}"
    # The pages checkpointed before the kill are not read again (those read after it may be).
    read_again = {r["id"] for r in _checkpointed_sends(killed, pages)} & {r["id"] for r in sends_after}
    assert not read_again, f"sends of checkpointed pages read again: {sorted(read_again)}"
    final = last_states(resumed)
    assert _pass(final, "sends") is None
    assert _cursor(final, "sends") == max(sends_checkpoint, _pass(resume_state, "sends")["highest_seen"] or sends_checkpoint)


def test_a_change_to_an_already_read_page_while_no_sync_runs_is_not_skipped(box: RunningSandbox, catalog: Dict[str, Any]) -> None:
    """Killed after a page of sends; before the restart a send on the first page changes, then
    a send on the last page. The restarted sync reads the last page, not the first: its cursor
    must not pass the first page's change, so that the sync after it delivers that change."""
    pages = _pages_of_sends(box)
    on_last_page = next(send_id for send_id, page in pages.items() if page == max(pages.values()))
    killed = _read_killed(box, catalog)
    first_states = last_states(killed)
    assert _pass(first_states, "sends") is not None
    on_first_page = _checkpointed_sends(killed, pages)[0]["id"]
    box.control("POST", "mutate", {"resource": "sends", "ids": [on_first_page]})
    box.control("POST", "mutate", {"resource": "sends", "ids": [on_last_page]})

    resumed = guarded_run("read", config=box.config(), catalog=catalog, state=first_states, known_secrets=[box.info["access_token"]])
    assert resumed.returncode == 0, resumed.errors
    assert on_last_page in {r["id"] for r in resumed.records_of("sends")}
    after = guarded_run("read", config=box.config(), catalog=catalog, state=last_states(resumed), known_secrets=[box.info["access_token"]])

    assert after.returncode == 0, after.errors
    assert on_first_page in {r["id"] for r in after.records_of("sends")}, "the change to an already read page was skipped"


def test_hub_sync_killed_mid_sends_resumes_at_the_page_it_reached(box: RunningSandbox, catalog: Dict[str, Any]) -> None:
    # One pass: with more, the hub's sends are read in windows of their cursor (the next test).
    config = box.config("cloud_elements", **ONE_AT_A_TIME)
    page_size = config["backend"].get("page_size", 200)
    box.control("POST", "faults", {**HOLD_SENDS, "path_prefix": "/elements/api-v2/hubs/rewards/sent-gifts", "every": 2})
    killed = StreamingRun(config, catalog, on_message=_kill_after_a_page_of_sends_is_checkpointed, timeout=120).run()
    box.control("DELETE", "faults")
    assert killed.killed, "the sync ended before it could be killed"
    _let_requests_in_flight_end()
    first_states = last_states(killed.as_run())
    position = _pass(first_states, "sends")
    assert position is not None and position["backend"] == "cloud_elements"
    requests_before = _sends_requests(box, "cloud_elements")

    resumed = guarded_run("read", config=config, catalog=catalog, state=first_states, known_secrets=[box.info["access_token"]])

    assert resumed.returncode == 0, resumed.errors
    held = box.stats()["records"]["sends"]
    skipped = (position["next_page"] - 1) * page_size
    assert len(resumed.records_of("sends")) == held - skipped
    # From the page reached to the empty page that ends the list.
    assert _sends_requests(box, "cloud_elements") - requests_before == -(-(held - skipped) // page_size) + 1
    delivered = {r["id"] for r in killed.as_run().records_of("sends") + resumed.records_of("sends")}
    assert len(delivered) == held


def _windows_read(message: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    if message["type"] == "STATE" and message["state"]["stream"]["stream_descriptor"]["name"] == "sends":
        return (message["state"]["stream"].get("stream_state") or {}).get("windows")
    return None


def _kill_after_a_window_of_sends_beyond_one_still_read(run: StreamingRun, message: Dict[str, Any]) -> None:
    windows = _windows_read(message)
    if windows and any(window["highest_seen"] for window in windows["read"]):
        run.kill()


def _hub_config_in_windows(box: RunningSandbox) -> Dict[str, Any]:
    """The sandbox's 500 sends in pages of 50: long enough to be read in windows when the hub's
    answers are far (`HUB_LATENCY`; in the default pages of 200 they are read in one pass)."""
    config = box.config("cloud_elements")
    config["backend"]["page_size"] = 50
    return config


HUB_LATENCY = {**LATENCY, "path_prefix": "/elements/api-v2"}


def test_hub_windows_killed_mid_sends_read_again_only_unfinished_windows(box: RunningSandbox, catalog: Dict[str, Any]) -> None:
    """Only the windows not read whole are read again."""
    config = _hub_config_in_windows(box)
    # Holds the first window (from the start of time to the oldest send): the windows after it
    # are read whole before it, and the kill lands with it unfinished.
    first_window = {"where_contains": "updated_at >= '1970-01-01T00:00:00.000Z' AND updated_at <= "}
    hold = {**HOLD_SENDS, "path_prefix": "/elements/api-v2/hubs/rewards/sent-gifts", "every": 1, **first_window}
    box.control("POST", "faults", [HUB_LATENCY, hold])
    killed = StreamingRun(config, catalog, on_message=_kill_after_a_window_of_sends_beyond_one_still_read, timeout=120).run()
    box.control("DELETE", "faults")
    assert killed.killed, "the sync ended before a window of sends was read whole beyond one still being read"
    _let_requests_in_flight_end()
    first_states = last_states(killed.as_run())
    cursor, windows = _cursor(first_states, "sends"), _stream_state(first_states, "sends")["windows"]
    assert cursor is not None and windows["read"] and windows["where"] == ""

    resumed = guarded_run("read", config=config, catalog=catalog, state=first_states, known_secrets=[box.info["access_token"]])

    assert resumed.returncode == 0, resumed.errors
    assert all(send["updated_at"] >= cursor for send in resumed.records_of("sends")), "a send older than the state came back"
    read_again = [
        send["id"]
        for send in resumed.records_of("sends")
        if any(window["start"] <= send["updated_at"] <= window["end"] for window in windows["read"])
    ]
    assert read_again == [], "a send of a window read whole before the kill was read again"
    delivered = {r["id"] for r in killed.as_run().records_of("sends") + resumed.records_of("sends")}
    assert len(delivered) == box.stats()["records"]["sends"]
    assert set(_stream_state(last_states(resumed), "sends")) == {"updated_at"}


FAR_HUB_SENDS = 1200


@pytest.fixture(scope="module")
def far_hub() -> Iterator[RunningSandbox]:
    """A hub whose every answer comes 250 ms late, at Sendoso's 10 requests a second, with sends
    enough to be read in windows in pages of 50."""
    with start_isolated_sandbox("--seed", "11", "--scale", str(FAR_HUB_SENDS), "--rate-limit", "10", "--latency", "250") as running:
        yield running


def _kill_at_the_state_past_a_third(states: int) -> Callable[[StreamingRun, Dict[str, Any]], None]:
    """SIGKILL, as when the platform loses the pod, at the `states`-th state of sends written
    once a third of the sends is out."""
    seen: List[Dict[str, Any]] = []

    def kill(run: StreamingRun, message: Dict[str, Any]) -> None:
        if message["type"] == "STATE" and message["state"]["stream"]["stream_descriptor"]["name"] == "sends":
            out = sum(1 for m in run.messages if m["type"] == "RECORD" and m["record"]["stream"] == "sends")
            if out >= FAR_HUB_SENDS / 3:
                seen.append(message)
                if len(seen) == states:
                    run.kill()

    return kill


@pytest.mark.parametrize("states", [pytest.param(1, id="first-state-past-a-third"), pytest.param(3, id="third-state-past-a-third")])
def test_hub_sync_in_windows_killed_past_a_third_of_its_sends_reads_again_at_most_a_quarter_of_them(
    far_hub: RunningSandbox, discovered: Dict[str, Any], states: int
) -> None:
    config = far_hub.config("cloud_elements")
    config["backend"]["page_size"] = 50
    sends_only = configured_catalog(discovered, ["sends"], incremental=True)
    far_hub.control("POST", "reset")
    streaming = StreamingRun(config, sends_only, on_message=_kill_at_the_state_past_a_third(states), timeout=120).run()
    assert streaming.killed, "the sync ended before it could be killed"
    killed = streaming.as_run()
    assert any("updated_at <= " in where for where in far_hub.stats()["where"]), "sends were not read in windows"
    state = last_states(killed)

    resumed = guarded_run("read", config=config, catalog=sends_only, state=state, known_secrets=[far_hub.info["access_token"]])

    assert resumed.returncode == 0, resumed.errors
    before, after = {r["id"] for r in killed.records_of("sends")}, [r["id"] for r in resumed.records_of("sends")]
    assert len(before | set(after)) == FAR_HUB_SENDS
    read_again = before.intersection(after)
    assert len(read_again) <= FAR_HUB_SENDS / 4, f"{len(read_again)} of {len(before)} sends delivered before the kill came again"
    assert set(_stream_state(last_states(resumed), "sends")) == {"updated_at"}


def test_hub_state_with_windows_read_is_read_from_its_cursor_by_a_sync_in_one_pass(box: RunningSandbox, catalog: Dict[str, Any]) -> None:
    """What a version without windows does with the state (and this one with `max_concurrent_requests:
    1`): the entry is ignored and the stream read from its cursor, nothing skipped."""
    cursor = "2023-06-01T00:00:00.000Z"
    windows = {"where": "", "read": [{"start": "2024-01-01T00:00:00.000Z", "end": "2024-06-30T23:59:59.999Z", "highest_seen": None}]}
    state = [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "sends"}, "stream_state": {"updated_at": cursor, "windows": windows}}}
    ]
    config = box.config("cloud_elements", **ONE_AT_A_TIME)
    everything = guarded_run("read", config=config, catalog=catalog, known_secrets=[box.info["access_token"]]).records_of("sends")

    run = guarded_run("read", config=config, catalog=catalog, state=state, known_secrets=[box.info["access_token"]])

    assert run.returncode == 0, run.errors
    assert {r["id"] for r in run.records_of("sends")} == {r["id"] for r in everything if r["updated_at"] >= cursor}
    assert set(_stream_state(last_states(run), "sends")) == {"updated_at"}


def test_hub_state_of_an_interrupted_pass_is_read_by_a_sync_in_windows(box: RunningSandbox, catalog: Dict[str, Any]) -> None:
    """A state the previous version left mid-pass (`pass` beside the cursor) restarts the pass from
    its cursor, in windows: every send at or after it, the `pass` entry gone."""
    cursor = "2023-06-01T00:00:00.000Z"
    pass_position = {"next_page": 2, "per_page": 200, "backend": "cloud_elements", "where": "", "highest_seen": "2024-01-01T00:00:00.000Z"}
    state = [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "sends"}, "stream_state": {"updated_at": cursor, "pass": pass_position}},
        }
    ]
    expected = {
        r["id"]
        for r in guarded_run(
            "read", config=box.config("cloud_elements", **ONE_AT_A_TIME), catalog=catalog, known_secrets=[box.info["access_token"]]
        ).records_of("sends")
        if r["updated_at"] >= cursor
    }

    box.control("POST", "faults", HUB_LATENCY)
    run = guarded_run("read", config=_hub_config_in_windows(box), catalog=catalog, state=state, known_secrets=[box.info["access_token"]])
    box.control("DELETE", "faults")

    assert run.returncode == 0, run.errors
    assert any("updated_at <= " in where for where in box.stats()["where"]), "sends were not read in windows"
    assert {r["id"] for r in run.records_of("sends")} == expected
    assert set(_stream_state(last_states(run), "sends")) == {"updated_at"}
