"""Resume after a crash: `read` killed with SIGKILL after its first state checkpoint, then
restarted with the last state it emitted.

What holds, measured here: every stream emits its state when its slice completes. `sends` is
one slice (Sendoso's list has no date filter and no documented order, so there is nothing to
slice it by and no page after which every older record is known to be read): its only
checkpoint comes after its last page, and a sync killed while it reads sends restarts sends
from the checkpoint it had before that sync. The page "in flight" is therefore the whole of
sends. What must hold, and is asserted: every record of the source is delivered at least once
across the two runs, and the restarted run delivers no record older than a checkpoint it was
given.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional

import pytest

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

STREAMS = ["users", "groups", "sends"]
INCREMENTAL = {"groups", "sends"}
# Holds the third page of sends, so that the kill lands while sends is being read.
HOLD_SENDS = {"kind": "slow", "path_prefix": "/api/v3/send", "every": 3, "times": 1, "seconds": 3}


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


def _kill_after_first_checkpoint_mid_sends(run: StreamingRun, message: Dict[str, Any]) -> None:
    seen = run.messages
    checkpointed = any(m["type"] == "STATE" for m in seen)
    reading_sends = any(m["type"] == "RECORD" and m["record"]["stream"] == "sends" for m in seen)
    if checkpointed and reading_sends:
        run.kill()


def _read_killed(box: RunningSandbox, catalog: Dict[str, Any], state: Optional[List[Dict[str, Any]]] = None) -> ConnectorRun:
    box.control("POST", "faults", HOLD_SENDS)
    config = box.config()
    streaming = StreamingRun(config, catalog, state=state, on_message=_kill_after_first_checkpoint_mid_sends, timeout=120).run()
    box.control("DELETE", "faults")
    assert streaming.killed, "the sync ended before it could be killed"
    run = streaming.as_run()
    assert_no_secrets(run, config, [box.info["access_token"]])
    return run


def _merged(earlier: List[Dict[str, Any]], later: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Per stream, the later state wins: what the platform keeps across attempts."""
    by_stream = {s["stream"]["stream_descriptor"]["name"]: s for s in earlier}
    by_stream.update({s["stream"]["stream_descriptor"]["name"]: s for s in later})
    return list(by_stream.values())


def _cursor(state: List[Dict[str, Any]], stream: str) -> Optional[str]:
    for entry in state:
        if entry["stream"]["stream_descriptor"]["name"] == stream:
            return (entry["stream"].get("stream_state") or {}).get("updated_at")
    return None


def _positions(run: ConnectorRun, stream: str) -> Dict[str, List[int]]:
    records = [i for i, m in enumerate(run.messages) if m["type"] == "RECORD" and m["record"]["stream"] == stream]
    states = [
        i
        for i, m in enumerate(run.messages)
        if m["type"] == "STATE" and m["state"].get("stream", {}).get("stream_descriptor", {}).get("name") == stream
    ]
    return {"records": records, "states": states}


def test_every_stream_checkpoints_only_after_its_last_record(box: RunningSandbox, catalog: Dict[str, Any]) -> None:
    """The measurement the resume design rests on: no stream has a mid-stream checkpoint."""
    run = guarded_run("read", config=box.config(), catalog=catalog, known_secrets=[box.info["access_token"]])

    assert run.returncode == 0, run.errors
    for stream in STREAMS:
        where = _positions(run, stream)
        assert where["records"] and where["states"], stream
        assert min(where["states"]) > max(where["records"]), f"{stream} checkpointed before its last record"
    assert len(run.records_of("sends")) == box.stats()["records"]["sends"]


def test_first_sync_killed_after_a_checkpoint_then_resumed_delivers_every_record(
    box: RunningSandbox, catalog: Dict[str, Any]
) -> None:
    killed = _read_killed(box, catalog)
    first_states = last_states(killed)
    assert first_states, "killed before any checkpoint"
    assert _cursor(first_states, "sends") is None  # sends was in flight: no checkpoint of its own
    delivered_before = records_by_stream(killed)
    assert delivered_before.get("sends"), "the kill did not land while sends was read"

    resumed = guarded_run("read", config=box.config(), catalog=catalog, state=first_states, known_secrets=[box.info["access_token"]])

    assert resumed.returncode == 0, resumed.errors
    held = box.stats()["records"]
    delivered_after = records_by_stream(resumed)
    for stream in STREAMS:
        union = {key_of(stream, r) for r in delivered_before.get(stream, []) + delivered_after.get(stream, [])}
        assert len(union) == held[stream], f"{stream}: {held[stream] - len(union)} records never delivered"
    for stream in INCREMENTAL:
        checkpoint = _cursor(first_states, stream)
        if checkpoint is not None:
            older = [r for r in delivered_after.get(stream, []) if r["updated_at"] < checkpoint]
            assert not older, f"{stream}: {len(older)} records older than the checkpoint {checkpoint} re-delivered"


def test_incremental_sync_killed_mid_sends_then_resumed_redelivers_nothing_older_than_the_checkpoint(
    box: RunningSandbox, catalog: Dict[str, Any]
) -> None:
    baseline = guarded_run("read", config=box.config(), catalog=catalog, known_secrets=[box.info["access_token"]])
    assert baseline.returncode == 0, baseline.errors
    checkpoint = last_states(baseline)
    sends_checkpoint = _cursor(checkpoint, "sends")
    assert sends_checkpoint
    changed = set(box.control("POST", "mutate", {"resource": "sends", "count": 40})["ids"])
    changed |= set(box.control("POST", "mutate", {"resource": "sends", "create": 5})["ids"])
    box.control("POST", "mutate", {"resource": "groups", "count": 1})

    killed = _read_killed(box, catalog, state=checkpoint)
    resume_state = _merged(checkpoint, last_states(killed))
    assert _cursor(resume_state, "sends") == sends_checkpoint  # sends did not checkpoint before the kill
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
    # checkpoint: the cursor is inclusive): the page in flight is sends' changes, not its history.
    unchanged = [r["id"] for r in sends_after if r["id"] not in changed and r["updated_at"] != sends_checkpoint]
    assert not unchanged, f"sends re-delivered although unchanged since the checkpoint: {unchanged}"
    final = _cursor(last_states(resumed), "sends")
    assert final is not None and final > sends_checkpoint
