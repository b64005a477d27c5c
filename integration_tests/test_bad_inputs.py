"""Bad inputs: each a clear error, and the exit Airbyte expects.

`read` (and `discover`) answer a bad input with an ERROR trace of type config_error that names
what to fix, and exit non-zero; `check` answers with a FAILED connection status and exits 0.
Nothing is read, and no secret is shown. The cases are independent subprocesses: they run side
by side.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from reliability import assert_no_secrets, guarded_run, run_raw, start_isolated_sandbox
from sandbox import ConnectorRun, RunningSandbox, configured_catalog


@pytest.fixture(scope="module")
def box() -> Iterator[RunningSandbox]:
    with start_isolated_sandbox("--seed", "5", "--scale", "300", "--rate-limit", "0") as running:
        yield running


@pytest.fixture(scope="module")
def users_catalog(discovered: Dict[str, Any]) -> Dict[str, Any]:
    return configured_catalog(discovered, ["users"])


def _config_error(run: ConnectorRun) -> str:
    """The one config_error of a failed read; its message."""
    assert run.returncode != 0, "a bad input must not exit 0"
    assert not run.records
    errors = run.errors
    assert errors, f"no error trace: {run.stdout[-500:]}"
    assert errors[0]["failure_type"] == "config_error", errors[0]
    return errors[0]["message"]


def _failed_check(run: ConnectorRun) -> str:
    assert run.returncode == 0
    (status,) = [m["connectionStatus"] for m in run.of_type("CONNECTION_STATUS")]
    assert status["status"] == "FAILED"
    return status["message"]


# --- config -----------------------------------------------------------------------------------


def test_config_that_is_not_json(tmp_path: Path, box: RunningSandbox, users_catalog: Dict[str, Any]) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"backend": {"backend_type": "sendoso", ')
    catalog = tmp_path / "catalog.json"
    catalog.write_text(__import__("json").dumps(users_catalog))

    read = run_raw(["read", "--config", str(config), "--catalog", str(catalog)])
    check = run_raw(["check", "--config", str(config)])

    message = _config_error(read)
    assert str(config) in message and "valid JSON" in message
    assert "valid JSON" in _failed_check(check)


CONFIG_CASES = [
    (lambda c: c["backend"].pop("client_secret"), "'backend'"),
    (lambda c: c["backend"].pop("refresh_token"), "refresh_token"),
    (lambda c: c.pop("backend"), "backend"),
    (lambda c: c["backend"].__setitem__("backend_type", "salesforce"), "backend.backend_type"),
    (lambda c: c.__setitem__("per_page", "ten"), "per_page"),
    (lambda c: c.__setitem__("per_page", 0), "per_page"),
    (lambda c: c.__setitem__("requests_per_second", "fast"), "requests_per_second"),
    (lambda c: c.__setitem__("max_concurrent_requests", 0), "max_concurrent_requests"),
    (lambda c: c.__setitem__("max_concurrent_requests", "many"), "max_concurrent_requests"),
    (lambda c: c.__setitem__("start_date", 20250101), "start_date"),
    (lambda c: c.__setitem__("start_date", "last tuesday"), "start_date"),
    (lambda c: c.__setitem__("lookback_window_days", -1), "lookback_window_days"),
    (lambda c: c.__setitem__("stream_filters", {"sends": "status = 'x'"}), "stream_filters"),
    (lambda c: c.__setitem__("stream_filters", [{"stream": "sends"}]), "where"),
    (lambda c: c["backend"].__setitem__("api_url", "http://sendoso.example.com/api/v3"), "backend.api_url"),
    (lambda c: c["backend"].__setitem__("token_url", "http://10.0.0.8/oauth/token"), "backend.token_url"),
]
CONFIG_IDS = [
    "missing-client-secret",
    "missing-refresh-token",
    "missing-backend",
    "unknown-backend",
    "per-page-text",
    "per-page-zero",
    "rate-text",
    "concurrency-zero",
    "concurrency-text",
    "start-date-number",
    "start-date-words",
    "negative-lookback",
    "filters-not-a-list",
    "filter-without-where",
    "plain-http-api-url",
    "plain-http-token-url",
]


@pytest.fixture(scope="module")
def config_runs(box: RunningSandbox, users_catalog: Dict[str, Any]) -> Dict[str, ConnectorRun]:
    def read_with(change: Callable[[Dict[str, Any]], Any]) -> ConnectorRun:
        config = box.config()
        change(config)
        return guarded_run("read", config=config, catalog=users_catalog, known_secrets=[box.info["access_token"]])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(CONFIG_IDS, pool.map(read_with, [change for change, _ in CONFIG_CASES])))


@pytest.mark.parametrize("case, names", [(i, n) for i, (_, n) in zip(CONFIG_IDS, CONFIG_CASES)], ids=CONFIG_IDS)
def test_config_with_a_missing_or_mistyped_field_names_the_field(
    box: RunningSandbox, config_runs: Dict[str, ConnectorRun], case: str, names: str
) -> None:
    message = _config_error(config_runs[case])
    assert names in message, message
    assert box.config()["backend"]["client_secret"] not in message


def test_plain_http_is_accepted_on_loopback_only(box: RunningSandbox) -> None:
    """A base URL that is not https is refused unless its host is loopback (127.0.0.0/8, localhost, [::1])."""
    port = box.url.rsplit(":", 1)[1]
    for host in ("127.0.0.1", "localhost"):
        config = box.config()
        config["backend"]["api_url"] = f"http://{host}:{port}/api/v3"
        config["backend"]["token_url"] = f"http://{host}:{port}/oauth/token"
        check = guarded_run("check", config=config, known_secrets=[box.info["access_token"]])
        assert check.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED", host
    for url in (
        "http://example.com/api/v3",
        "http://127.0.0.1.example.com/api/v3",
        "http://localhost.example.com/api/v3",
        "http://[::2]/api/v3",
        "ftp://127.0.0.1/api/v3",
    ):
        config = box.config()
        config["backend"]["api_url"] = url
        message = _failed_check(guarded_run("check", config=config))
        assert "backend.api_url" in message and "https" in message, (url, message)
    hub = box.config("cloud_elements")
    hub["backend"]["base_url"] = "http://hub.example.com/elements/api-v2"
    message = _failed_check(guarded_run("check", config=hub))
    assert "backend.base_url" in message


# --- credentials: empty, blank or wrong, each named by the title the form shows -----------------

CREDENTIALS = [
    ("sendoso", "client_id", "API Key (OAuth client id)"),
    ("sendoso", "client_secret", "API Secret (OAuth client secret)"),
    ("sendoso", "refresh_token", "Refresh Token"),
    ("cloud_elements", "user_secret", "User Secret"),
    ("cloud_elements", "organization_secret", "Organization Secret"),
    ("cloud_elements", "element_token", "Element Token"),
]
# The credential a message about this one must not send the user to. (The hub names all three
# of its secrets in one message, so none is excluded there.)
NOT_ABOUT = {"client_id": "Refresh Token", "client_secret": "Refresh Token", "refresh_token": "API Secret"}
# How each kind of bad value is made from the right one, and what the message says of it. A
# wrong value reaches the token endpoint or the hub, whose refusal names the field.
BAD_VALUES: Dict[str, Tuple[Callable[[str], str], str]] = {
    "empty": (lambda right: "", "is empty (config field 'backend.{field}')"),
    "blank": (lambda right: "  \t ", "is blank (it holds only whitespace) (config field 'backend.{field}')"),
    "wrong": (lambda right: "not-the-" + right[::-1], ""),
}
CREDENTIAL_CASES = [(backend, field, title, kind) for backend, field, title in CREDENTIALS for kind in BAD_VALUES]
CREDENTIAL_IDS = [f"{field}-{kind}" for _, field, _, kind in CREDENTIAL_CASES]
# `read` too where its path differs from `check`'s: every wrong value, which fails mid-sync at
# the token endpoint or the hub; and an empty value on each backend, to show that the check
# before any request guards `read` as well (it is the same check for every field and for a
# blank value, which `check` covers).
READ_CASES = [
    case for case in CREDENTIAL_CASES if case[3] == "wrong" or (case[3] == "empty" and case[1] in ("client_secret", "element_token"))
]


@pytest.fixture(scope="module")
def credential_runs(box: RunningSandbox, users_catalog: Dict[str, Any]) -> Dict[Tuple[str, str], ConnectorRun]:
    """(command, case id) -> the run of `check`, or `read` of `users` (a stream of both backends),
    with one bad credential."""
    jobs = [("check", case) for case in CREDENTIAL_CASES] + [("read", case) for case in READ_CASES]

    def run(job: Tuple[str, Tuple[str, str, str, str]]) -> ConnectorRun:
        command, (backend, field, _, kind) = job
        config = box.config(backend)
        right = config["backend"][field]
        config["backend"][field] = BAD_VALUES[kind][0](right)
        catalog = users_catalog if command == "read" else None
        return guarded_run(command, config=config, catalog=catalog, known_secrets=[right, box.info["access_token"]])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return {(command, f"{case[1]}-{case[3]}"): done for (command, case), done in zip(jobs, pool.map(run, jobs))}


def _names_the_field(message: str, field: str, title: str, kind: str) -> None:
    assert title in message, message
    assert BAD_VALUES[kind][1].format(field=field) in message, message
    assert field not in NOT_ABOUT or NOT_ABOUT[field] not in message, message


@pytest.mark.parametrize("backend, field, title, kind", CREDENTIAL_CASES, ids=CREDENTIAL_IDS)
def test_a_bad_credential_fails_check_naming_its_field(
    credential_runs: Dict[Tuple[str, str], ConnectorRun], backend: str, field: str, title: str, kind: str
) -> None:
    _names_the_field(_failed_check(credential_runs["check", f"{field}-{kind}"]), field, title, kind)


@pytest.mark.parametrize("backend, field, title, kind", READ_CASES, ids=[f"{c[1]}-{c[3]}" for c in READ_CASES])
def test_a_bad_credential_fails_read_with_a_config_error_naming_its_field(
    credential_runs: Dict[Tuple[str, str], ConnectorRun], backend: str, field: str, title: str, kind: str
) -> None:
    _names_the_field(_config_error(credential_runs["read", f"{field}-{kind}"]), field, title, kind)


# --- CEQL filters: every kind of syntax error ---------------------------------------------------

# Every kind the lexer and parser report. End to end, one subprocess each, a kind of each
# family runs here; unit_tests/test_ceql_fuzz_config.py runs all of them through the same
# config validation in-process, and fuzzes it.
CEQL_ERRORS: List[Tuple[str, str, str]] = [
    ("empty", "", "empty expression"),
    ("unterminated-string", "status = 'Delivered", "unterminated string"),
    ("unterminated-name", "`status = 'x'", "unterminated name"),
    ("empty-backticks", "`` = 'x'", "empty name in backticks"),
    ("empty-quoted-name", "'' = 'x'", "empty field name"),
    ("unknown-operator", "status == 'x'", "unknown operator '=='"),
    ("malformed-number", "cost > 1.2.3", "malformed number"),
    ("sign-without-digits", "cost > -", "expected digits after '-'"),
    ("double-quotes", 'status = "x"', "double quotes are not CEQL"),
    ("stray-character", "status = 'x' $", "unexpected character '$'"),
    ("unclosed-parenthesis", "(status = 'x'", "expected ')'"),
    ("unmatched-parenthesis", "status = 'x')", "unmatched ')'"),
    ("empty-parentheses", "()", "empty parentheses"),
    ("too-deep", "(" * 101 + "status = 'x'" + ")" * 101, "nested more than"),
    ("like-without-pattern", "status LIKE 5", "LIKE needs a quoted pattern"),
    ("is-without-null", "status IS 'x'", "expected NULL after IS"),
    ("leading-not", "NOT status = 'x'", "found the keyword NOT"),
    ("dangling-and", "status = 'x' AND", "expected a condition after AND"),
    ("double-or", "status = 'x' OR OR status = 'y'", "after OR, found the keyword OR"),
    ("empty-in", "status IN ()", "IN needs at least one value"),
    ("unclosed-in", "status IN ('a',", "expected a value after ','"),
    ("null-as-value", "status = NULL", "IS NULL"),
    ("backticks-as-value", "status = `x`", "backticks are for field names"),
    ("missing-value", "status =", "expected a value after '='"),
    ("missing-field", "= 'x'", "expected a field name"),
]


END_TO_END_KINDS = {
    "unterminated-string",
    "double-quotes",
    "stray-character",
    "unknown-operator",
    "unclosed-parenthesis",
    "too-deep",
    "dangling-and",
    "empty-in",
}
CEQL_END_TO_END = [case for case in CEQL_ERRORS if case[0] in END_TO_END_KINDS]


@pytest.fixture(scope="module")
def ceql_runs(box: RunningSandbox, users_catalog: Dict[str, Any]) -> Dict[str, ConnectorRun]:
    def read_with(where: str) -> ConnectorRun:
        config = box.config(stream_filters=[{"stream": "sends", "where": where}])
        return guarded_run("read", config=config, catalog=users_catalog, known_secrets=[box.info["access_token"]])

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = pool.map(read_with, [where for _, where, _ in CEQL_END_TO_END])
        return {kind: run for (kind, _, _), run in zip(CEQL_END_TO_END, runs)}


@pytest.mark.parametrize("kind, where, says", CEQL_END_TO_END, ids=[kind for kind, _, _ in CEQL_END_TO_END])
def test_ceql_filter_with_a_syntax_error_is_a_config_error_that_points_at_it(
    ceql_runs: Dict[str, ConnectorRun], kind: str, where: str, says: str
) -> None:
    message = _config_error(ceql_runs[kind])
    assert "The filter for stream 'sends' is not valid CEQL" in message
    assert says in message, message
    assert " at column " in message and "^" in message


def test_ceql_filter_errors_fail_check_with_the_same_message(box: RunningSandbox) -> None:
    config = box.config(stream_filters=[{"stream": "sends", "where": "status = 'x' AND"}])
    message = _failed_check(guarded_run("check", config=config, known_secrets=[box.info["access_token"]]))
    assert "expected a condition after AND" in message and "column 17" in message


@pytest.mark.parametrize(
    "entry, says",
    [
        ({"stream": "sends", "where": "colour = 'red'"}, "names the field 'colour'"),
        ({"stream": "campaigns", "where": "status = 'x'"}, "names the stream 'campaigns', which does not exist"),
    ],
    ids=["unknown-field", "unknown-stream"],
)
def test_filter_naming_what_does_not_exist_is_a_config_error(box: RunningSandbox, users_catalog: Dict[str, Any], entry, says) -> None:
    read = guarded_run("read", config=box.config(stream_filters=[entry]), catalog=users_catalog)
    assert says in _config_error(read)


# --- catalog --------------------------------------------------------------------------------------


def test_catalog_with_an_unknown_stream(box: RunningSandbox, users_catalog: Dict[str, Any]) -> None:
    catalog = copy.deepcopy(users_catalog)
    ghost = copy.deepcopy(catalog["streams"][0])
    ghost["stream"]["name"] = "campaigns"
    catalog["streams"].append(ghost)

    message = _config_error(guarded_run("read", config=box.config(), catalog=catalog))

    assert "the stream 'campaigns' does not exist" in message
    assert "Refresh the source schema" in message


def test_catalog_that_is_not_a_catalog(box: RunningSandbox) -> None:
    message = _config_error(guarded_run("read", config=box.config(), catalog={"streams": [{"name": "users"}]}))
    assert "catalog" in message.lower() or "stream" in message.lower()


# --- state ----------------------------------------------------------------------------------------


def test_state_that_is_not_json(tmp_path: Path, box: RunningSandbox, users_catalog: Dict[str, Any]) -> None:
    import json

    paths = {}
    for name, text in (("config", json.dumps(box.config())), ("catalog", json.dumps(users_catalog)), ("state", "[{oops")):
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(text)

    run = run_raw(["read", "--config", str(paths["config"]), "--catalog", str(paths["catalog"]), "--state", str(paths["state"])])

    assert_no_secrets(run, box.config())
    message = _config_error(run)
    assert str(paths["state"]) in message and "valid JSON" in message


@pytest.mark.parametrize(
    "state, says",
    [
        ({"type": "STREAM"}, "Schema validation failed"),
        ([{"type": "STREAM", "stream": {"stream_state": {}}}], "stream_descriptor"),
    ],
    ids=["object-not-list", "no-descriptor"],
)
def test_state_of_the_wrong_shape(box: RunningSandbox, users_catalog: Dict[str, Any], state, says) -> None:
    message = _config_error(guarded_run("read", config=box.config(), catalog=users_catalog, state=state))
    assert says in message


@pytest.mark.parametrize("stream", ["groups", "sends"])
def test_state_whose_cursor_is_not_a_timestamp(box: RunningSandbox, discovered: Dict[str, Any], stream: str) -> None:
    catalog = configured_catalog(discovered, [stream], incremental=True)
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"updated_at": "yesterday"}}}]

    message = _config_error(guarded_run("read", config=box.config(), catalog=catalog, state=state))

    assert f"The saved state of stream '{stream}' has updated_at = 'yesterday', which is not a timestamp" in message
    assert "Reset the stream" in message


def test_state_for_a_stream_that_no_longer_exists_is_ignored_with_a_log_line(box: RunningSandbox, users_catalog: Dict[str, Any]) -> None:
    state = [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "campaigns"}, "stream_state": {"updated_at": "2024-01-01T00:00:00.000Z"}},
        }
    ]

    run = guarded_run("read", config=box.config(), catalog=users_catalog, state=state, known_secrets=[box.info["access_token"]])

    assert run.returncode == 0, run.errors
    assert len(run.records_of("users")) == box.stats()["records"]["users"]
    warnings = [m["log"]["message"] for m in run.of_type("LOG") if m["log"]["level"] == "WARN"]
    assert any("'campaigns'" in line and "ignored" in line for line in warnings), warnings
