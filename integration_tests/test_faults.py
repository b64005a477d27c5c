"""The fault matrix: the real connector against the sandbox's fault controls, one test per row.

Each row gets a sandbox of its own (same seed and scale, so the same records), its faults, and
one `source-sendoso read --debug`. The rows run side by side in threads (the connector spends
most of a faulty sync waiting out its backoff), so the matrix takes about as long as its
slowest row, the read timeout, instead of the sum. They cannot share a sandbox: faults, token
revocations, scopes and the request counts a row asserts are the whole sandbox's, and a sandbox
starts in a fraction of a second. Only the rows selected run: the read timeout's row, a
minute long, is marked `slow`, and without it the matrix takes as long as the server errors'
backoffs. Each row's test then asserts either a
complete, duplicate-free result (the very records of the clean row) or a failure with the
right Airbyte failure type and a message that names the cause. No row may show a secret in
stdout or stderr, `--debug` output included. The matrix is printed as a table at the end.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import pytest
from reliability import (
    StreamingRun,
    key_of,
    records_by_stream,
    secret_leaks,
    secret_values,
    start_isolated_sandbox,
)
from sandbox import ConnectorRun, RunningSandbox, configured_catalog, run_connector
from summary import print_at_the_end

from source_sendoso.oauth import TOKEN_MAX_TRIES

# Each row waits out its backoffs and holds: `make test-fast` leaves the matrix out.
pytestmark = pytest.mark.slow

SCALE = 400
SANDBOX_ARGS = ("--seed", "7", "--scale", str(SCALE), "--rate-limit", "0")
DIRECT_STREAMS = ["me", "users", "groups", "group_members", "touches", "sends", "marketplace_products"]
HUB_STREAMS = ["users", "groups", "sends"]
READ_TIMEOUT_SECONDS = 60  # read_timeout_in_seconds of the requesters in manifest.yaml

Hook = Callable[[RunningSandbox, StreamingRun, Dict[str, Any]], None]


@dataclass
class Row:
    test: str
    label: str
    faults: Sequence[Dict[str, Any]] = ()
    streams: Optional[Sequence[str]] = None
    backend: str = "sendoso"
    on_message: Optional[Hook] = None
    skipped: Sequence[str] = ()  # streams the row's fault makes the connector skip, by design


@dataclass
class RowResult:
    row: Row
    run: ConnectorRun
    stats: Dict[str, Any]
    elapsed: float
    leaks: List[str]
    records: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)

    @property
    def retries(self) -> int:
        """Requests the connector sent again: CDK backoff retries and token endpoint retries."""
        pattern = re.compile(r"Retrying in \d|Caught retryable error|The OAuth token endpoint failed")
        return sum(1 for m in self.run.of_type("LOG") if pattern.search(m["log"]["message"]))

    @property
    def stream_errors(self) -> List[Dict[str, Any]]:
        return [error for error in self.run.errors if error.get("stream_descriptor")]

    def statuses(self, stream: str) -> List[str]:
        return [
            m["trace"]["stream_status"]["status"]
            for m in self.run.of_type("TRACE")
            if m["trace"]["type"] == "STREAM_STATUS" and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
        ]

    def duplicates(self, stream: str) -> int:
        keys = Counter(key_of(stream, record) for record in self.records.get(stream, []))
        return sum(count - 1 for count in keys.values())

    def outcome(self, clean: Optional["RowResult"]) -> str:
        if self.run.returncode == 0 and not self.run.errors:
            streams = [s for s in (self.row.streams or list(clean.records) if clean else []) if s not in self.row.skipped]
            complete = clean is not None and all(
                _keys(self.records, s) == _keys(clean.records, s) and not self.duplicates(s) for s in streams
            )
            skipped = f" ({', '.join(self.row.skipped)} skipped)" if self.row.skipped else ""
            return ("complete" if complete else "INCOMPLETE") + skipped
        types = sorted({e["failure_type"] for e in self.stream_errors}) or sorted({e["failure_type"] for e in self.run.errors})
        return f"failed ({', '.join(types)})"


def _keys(records: Dict[str, List[Dict[str, Any]]], stream: str) -> set:
    return {key_of(stream, record) for record in records.get(stream, [])}


# --- hooks -------------------------------------------------------------------------------


def _once_on_first_send(actions: List[Dict[str, Any]]) -> Hook:
    fired = []

    def hook(sandbox: RunningSandbox, run: StreamingRun, message: Dict[str, Any]) -> None:
        if not fired and message.get("type") == "RECORD" and message["record"]["stream"] == "sends":
            fired.append(True)
            sandbox.control("POST", "faults", actions)

    return hook


# Holds the third page of sends for two seconds, so that a token revoked after the first
# page is revoked while the sync is still reading.
HOLD_A_PAGE = {"kind": "slow", "path_prefix": "/api/v3/send", "every": 3, "times": 1, "seconds": 2}

ROWS = [
    Row("test_clean_sync", "no fault (reference)"),
    Row(
        "test_429_burst",
        "429 burst: 3 in a row on sends",
        [{"kind": "status", "status": 429, "path_prefix": "/api/v3/send", "times": 3}],
        streams=["users", "sends"],
    ),
    Row(
        "test_server_errors_every_nth_request",
        "500 every 4th, 502 every 6th, 503 every 9th request",
        [
            {"kind": "status", "status": 500, "path_prefix": "/api/v3", "every": 4},
            {"kind": "status", "status": 502, "path_prefix": "/api/v3", "every": 6},
            {"kind": "status", "status": 503, "path_prefix": "/api/v3", "every": 9},
        ],
    ),
    Row(
        "test_connection_dropped_mid_body",
        "connection dropped mid-body (2 pages)",
        [{"kind": "drop", "path_prefix": "/api/v3/send", "every": 2, "times": 2}],
        streams=["users", "sends"],
    ),
    Row(
        "test_response_slower_than_the_read_timeout",
        f"page answered after {READ_TIMEOUT_SECONDS + 1} s (read timeout {READ_TIMEOUT_SECONDS} s)",
        [{"kind": "slow", "path_prefix": "/api/v3/send", "every": 2, "times": 1, "seconds": READ_TIMEOUT_SECONDS + 1}],
        streams=["users", "sends"],
    ),
    Row(
        "test_malformed_json_body",
        "200 with a body cut in half (invalid JSON)",
        [{"kind": "malformed", "path_prefix": "/api/v3/send", "every": 2, "times": 1}],
        streams=["users", "sends"],
    ),
    Row(
        "test_empty_body_with_200",
        "200 with an empty body",
        [{"kind": "empty", "path_prefix": "/api/v3/send", "every": 3, "times": 1}],
        streams=["users", "sends"],
    ),
    Row(
        "test_page_repeated_by_the_server",
        "page 3 answered with page 2 again",
        [{"kind": "repeat_page", "path_prefix": "/api/v3/send", "every": 3, "times": 1}],
        streams=["users", "sends"],
    ),
    Row(
        "test_access_token_revoked_mid_sync",
        "access token revoked mid-sync",
        [HOLD_A_PAGE],
        streams=["users", "sends"],
        on_message=_once_on_first_send([{"action": "revoke_access_tokens"}]),
    ),
    Row(
        "test_refresh_token_revoked_mid_sync",
        "access and refresh tokens revoked mid-sync",
        [HOLD_A_PAGE],
        streams=["sends"],
        on_message=_once_on_first_send([{"action": "revoke_access_tokens"}, {"action": "revoke_refresh_tokens"}]),
    ),
    Row(
        "test_token_endpoint_down",
        "token endpoint answers 503, always",
        [{"kind": "status", "status": 503, "path_prefix": "/oauth/token"}],
        streams=["users"],
    ),
    Row(
        "test_403_on_one_stream",
        "403 on touches",
        [{"kind": "status", "status": 403, "path_prefix": "/api/v3/touches"}],
    ),
    Row(
        "test_marketplace_scope_missing",
        "grant without the marketplace scope (403)",
        [{"action": "set_scopes", "scopes": ["public"]}],
        skipped=["marketplace_products"],
    ),
    Row(
        "test_hub_faults",
        "hub: 429, 502, cut body, empty body, repeated page",
        [
            {"kind": "status", "status": 429, "path_prefix": "/elements/api-v2/hubs/rewards/sent-gifts", "every": 2, "times": 1},
            {"kind": "status", "status": 502, "path_prefix": "/elements/api-v2/hubs/rewards/users", "times": 1},
            {"kind": "malformed", "path_prefix": "/elements/api-v2/hubs/rewards/sent-gifts", "every": 3, "times": 1},
            {"kind": "empty", "path_prefix": "/elements/api-v2/hubs/rewards/groups", "times": 1},
            {"kind": "repeat_page", "path_prefix": "/elements/api-v2/hubs/rewards/sent-gifts", "every": 5, "times": 1},
        ],
        streams=HUB_STREAMS,
        backend="cloud_elements",
    ),
]
ROW_BY_TEST = {row.test: row for row in ROWS}


def _run_row(row: Row, catalog: Dict[str, Any]) -> RowResult:
    sandbox = start_isolated_sandbox(*SANDBOX_ARGS)
    try:
        if row.faults:
            sandbox.control("POST", "faults", list(row.faults))
        config = sandbox.config(row.backend)
        hook = row.on_message
        streaming = StreamingRun(
            config=config,
            catalog=catalog,
            extra_args=["--debug"],
            on_message=(lambda run, message: hook(sandbox, run, message)) if hook else None,
            timeout=240,
        ).run()
        stats = sandbox.stats()
        assert not streaming.unparsed, f"{row.test}: stdout lines that are not JSON: {[line[:200] for line in streaming.unparsed[:3]]}"
        run = streaming.as_run()
        secrets = secret_values(config, run.messages, [sandbox.info["access_token"]])
        result = RowResult(row, run, stats, streaming.elapsed, secret_leaks(run.stdout, run.stderr, secrets))
        result.records = records_by_stream(run)
        return result
    finally:
        sandbox.stop()


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest, discovered: Dict[str, Any], sandbox: RunningSandbox) -> Dict[str, RowResult]:
    selected = {item.originalname for item in request.session.items if item.module is sys.modules[__name__]}
    rows = [row for row in ROWS if row.test in selected or row.test == "test_clean_sync"]
    hub = run_connector("discover", config=sandbox.config("cloud_elements"))
    assert hub.returncode == 0, hub.errors
    catalogs = {"sendoso": discovered, "cloud_elements": hub.of_type("CATALOG")[0]["catalog"]}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(rows)) as pool:
        futures = {row.test: pool.submit(_run_row, row, configured_catalog(catalogs[row.backend], row.streams or None)) for row in rows}
        results = {test: future.result() for test, future in futures.items()}
    wall = time.monotonic() - started
    yield results
    _print_table(request, results, wall)


def _print_table(request: pytest.FixtureRequest, results: Dict[str, RowResult], wall: float) -> None:
    clean = results.get("test_clean_sync")
    header = ("row", "outcome", "records", "dups", "retries", "time")
    lines = []
    for row in ROWS:
        result = results.get(row.test)
        if result is None:
            continue
        records = sum(len(v) for v in result.records.values())
        dups = sum(result.duplicates(s) for s in result.records)
        lines.append((row.label, result.outcome(clean), str(records), str(dups), str(result.retries), f"{result.elapsed:.1f} s"))
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    rule = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    text = [f"fault matrix ({len(lines)} rows side by side, {wall:.0f} s wall clock)", rule]
    for cells in [header, *lines]:
        text.append("| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |")
        if cells is header:
            text.append(rule)
    text.append(rule)
    print_at_the_end(request.config, "\n".join(text))


# --- shared assertions ---------------------------------------------------------------------


def _no_secret_shown(result: RowResult) -> None:
    assert not result.leaks, "secrets in stdout/stderr:\n" + "\n".join(result.leaks)


def _complete_and_duplicate_free(result: RowResult, clean: RowResult, streams: Sequence[str]) -> None:
    assert result.run.returncode == 0, result.run.errors
    assert not result.run.errors
    for stream in streams:
        expected = _keys(clean.records, stream)
        assert expected, f"the clean run read no {stream}"
        assert _keys(result.records, stream) == expected, f"{stream}: records lost or foreign"
        assert result.duplicates(stream) == 0, f"{stream}: {result.duplicates(stream)} duplicates"
        assert result.statuses(stream)[-1:] == ["COMPLETE"], stream
    _no_secret_shown(result)


def _the_stream_error(result: RowResult, stream: str) -> Dict[str, Any]:
    errors = [e for e in result.stream_errors if e["stream_descriptor"]["name"] == stream]
    assert errors, f"no error trace for {stream}: {result.run.errors}"
    return errors[0]


def _failed(result: RowResult) -> None:
    assert result.run.returncode != 0
    assert result.run.errors
    _no_secret_shown(result)


def _faults(result: RowResult, kind: str) -> int:
    return result.stats["faults_injected"].get(kind, 0)


def _answers(result: RowResult, suffix: str) -> int:
    return sum(count for key, count in result.stats["requests"].items() if key.endswith(suffix))


# --- one test per row ------------------------------------------------------------------------


def test_clean_sync(matrix: Dict[str, RowResult]) -> None:
    clean = matrix["test_clean_sync"]
    _complete_and_duplicate_free(clean, clean, DIRECT_STREAMS)
    held = clean.stats["records"]
    for stream in DIRECT_STREAMS:
        expected = 1 if stream == "me" else held[stream]
        assert len(clean.records[stream]) == expected, stream
    assert clean.retries == 0


def test_429_burst(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_429_burst"]
    _complete_and_duplicate_free(result, matrix["test_clean_sync"], ["users", "sends"])
    assert _answers(result, " 429") == 3
    assert result.retries == 3


def test_server_errors_every_nth_request(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_server_errors_every_nth_request"]
    _complete_and_duplicate_free(result, matrix["test_clean_sync"], DIRECT_STREAMS)
    served = {status: _answers(result, f" {status}") for status in (500, 502, 503)}
    assert all(served.values()), served
    assert result.retries == sum(served.values())


def test_connection_dropped_mid_body(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_connection_dropped_mid_body"]
    _complete_and_duplicate_free(result, matrix["test_clean_sync"], ["users", "sends"])
    assert _faults(result, "drop") == 2
    assert result.retries == 2
    assert any("ChunkedEncodingError" in m["log"]["message"] for m in result.run.of_type("LOG"))


def test_response_slower_than_the_read_timeout(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_response_slower_than_the_read_timeout"]
    _complete_and_duplicate_free(result, matrix["test_clean_sync"], ["users", "sends"])
    assert _faults(result, "slow") == 1
    assert result.retries == 1
    assert _answers(result, "GET /api/v3/send 200") == 6  # five pages, one of them twice
    # Gave up on the slow answer at the read timeout and asked again.
    assert result.elapsed >= READ_TIMEOUT_SECONDS
    assert any("(GET /api/v3/send): ReadTimeout" in m["log"]["message"] for m in result.run.of_type("LOG"))


def test_malformed_json_body(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_malformed_json_body"]
    _complete_and_duplicate_free(result, matrix["test_clean_sync"], ["users", "sends"])
    assert _faults(result, "malformed") == 1
    assert result.retries == 1
    assert any("not valid JSON" in m["log"]["message"] for m in result.run.of_type("LOG"))


def test_empty_body_with_200(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_empty_body_with_200"]
    _complete_and_duplicate_free(result, matrix["test_clean_sync"], ["users", "sends"])
    assert _faults(result, "empty") == 1
    assert result.retries == 1
    assert any("empty body" in m["log"]["message"] for m in result.run.of_type("LOG"))


def test_page_repeated_by_the_server(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_page_repeated_by_the_server"]
    _complete_and_duplicate_free(result, matrix["test_clean_sync"], ["users", "sends"])
    assert _faults(result, "repeat_page") == 1
    assert result.retries == 1
    assert any("with a page it had already sent" in m["log"]["message"] for m in result.run.of_type("LOG"))


def test_access_token_revoked_mid_sync(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_access_token_revoked_mid_sync"]
    _complete_and_duplicate_free(result, matrix["test_clean_sync"], ["users", "sends"])
    assert _answers(result, " 401") >= 1
    assert result.stats["tokens_issued"] == 2  # the first token, then one refresh
    controls = result.run.of_type("CONTROL")
    assert len(controls) == 2
    tokens = [c["control"]["connectorConfig"]["config"]["backend"]["access_token"] for c in controls]
    assert tokens[0] != tokens[1]


def test_refresh_token_revoked_mid_sync(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_refresh_token_revoked_mid_sync"]
    _failed(result)
    error = _the_stream_error(result, "sends")
    assert error["failure_type"] == "config_error"
    assert "refresh token" in error["message"].lower()
    assert "re-authenticate" in error["message"].lower()
    assert result.statuses("sends")[-1:] == ["INCOMPLETE"]
    assert _answers(result, "POST /oauth/token 400") == 1  # no retry of a rejected grant


def test_token_endpoint_down(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_token_endpoint_down"]
    _failed(result)
    error = _the_stream_error(result, "users")
    assert error["failure_type"] == "transient_error"
    assert "token endpoint" in error["message"]
    assert "/oauth/token" in error["message"] and "503" in error["message"]
    attempts = _answers(result, "POST /oauth/token 503")
    assert attempts > 1, "the token endpoint was not retried"
    assert result.retries == attempts - 1
    # Bounded: the CDK alone would go on retrying for 300 s (8 or more attempts).
    assert attempts <= TOKEN_MAX_TRIES


def test_403_on_one_stream(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_403_on_one_stream"]
    _failed(result)
    error = _the_stream_error(result, "touches")
    assert error["failure_type"] == "config_error"
    assert "403" in error["message"]
    assert result.statuses("touches")[-1:] == ["INCOMPLETE"]
    assert "touches" not in result.records
    clean = matrix["test_clean_sync"]
    for stream in set(DIRECT_STREAMS) - {"touches"}:
        assert _keys(result.records, stream) == _keys(clean.records, stream), stream
        assert result.duplicates(stream) == 0, stream
        assert result.statuses(stream)[-1:] == ["COMPLETE"], stream


def test_marketplace_scope_missing(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_marketplace_scope_missing"]
    clean = matrix["test_clean_sync"]
    _complete_and_duplicate_free(result, clean, set(DIRECT_STREAMS) - {"marketplace_products"})
    assert "marketplace_products" not in result.records
    assert result.statuses("marketplace_products")[-1:] == ["COMPLETE"]
    logs = [m["log"]["message"] for m in result.run.of_type("LOG")]
    assert any("Skipping marketplace_products" in line and "`marketplace` scope" in line for line in logs)


def test_hub_faults(matrix: Dict[str, RowResult]) -> None:
    result = matrix["test_hub_faults"]
    assert result.run.returncode == 0, result.run.errors
    held = result.stats["records"]
    for stream in HUB_STREAMS:
        assert len(_keys(result.records, stream)) == held[stream], stream
        assert result.duplicates(stream) == 0, stream
    # The hub reads the same records as the direct API.
    clean = matrix["test_clean_sync"]
    for stream in HUB_STREAMS:
        assert _keys(result.records, stream) == _keys(clean.records, stream), stream
    assert all(result.stats["faults_injected"].get(kind) for kind in ("status", "malformed", "empty", "repeat_page")), result.stats[
        "faults_injected"
    ]
    assert result.retries == sum(result.stats["faults_injected"].values())
    _no_secret_shown(result)
