"""Secrets: none of the config's secrets, nor a token the connector obtains, in stdout or
stderr, `--debug` included, on success and on failure; CONTROL messages alone carry them, as
the protocol requires (see reliability.py). And a CEQL value pushed down to the hub cannot
break out of its quotes.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest
from reliability import guarded_run, secret_values, start_isolated_sandbox
from sandbox import RunningSandbox, configured_catalog, run_connector


@pytest.fixture(scope="module")
def rotating() -> Iterator[RunningSandbox]:
    """Refresh tokens rotate on every refresh: the new one must stay out of the logs too."""
    with start_isolated_sandbox("--seed", "9", "--scale", "300", "--rate-limit", "0", "--rotate-refresh-tokens") as running:
        yield running


def test_debug_read_of_every_stream_with_rotating_refresh_tokens_shows_no_secret(
    rotating: RunningSandbox, discovered: Dict[str, Any]
) -> None:
    config = rotating.config()
    run = guarded_run(
        "read",
        config=config,
        catalog=configured_catalog(discovered, incremental=True),
        extra_args=["--debug"],
        known_secrets=[rotating.info["access_token"]],
    )

    assert run.returncode == 0, run.errors
    assert any(m["type"] == "DEBUG" for m in run.messages), "--debug printed no debug output"
    (control,) = run.of_type("CONTROL")
    handed = control["control"]["connectorConfig"]["config"]["backend"]
    assert handed["refresh_token"] != config["backend"]["refresh_token"]  # rotated, handed to the platform
    assert handed["refresh_token"] in secret_values(config, run.messages)  # and checked like the others


def test_debug_failures_show_no_secret(rotating: RunningSandbox, discovered: Dict[str, Any]) -> None:
    config = rotating.config()
    config["backend"]["client_secret"] = "wrong-" + config["backend"]["client_secret"]
    check = guarded_run("check", config=config, extra_args=["--debug"], known_secrets=[rotating.config()["backend"]["client_secret"]])
    assert check.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "FAILED"

    rotating.control("POST", "faults", [{"action": "revoke_refresh_tokens"}])
    try:
        read = guarded_run("read", config=rotating.config(), catalog=configured_catalog(discovered, ["users"]), extra_args=["--debug"])
    finally:
        rotating.control("POST", "reset")
    assert read.returncode != 0 and read.errors


def test_debug_hub_read_and_failure_show_no_hub_secret(sandbox: RunningSandbox) -> None:
    config = sandbox.config("cloud_elements")
    discovered = guarded_run("discover", config=config, extra_args=["--debug"])
    catalog = configured_catalog(discovered.of_type("CATALOG")[0]["catalog"], ["users", "sends"])

    read = guarded_run("read", config=config, catalog=catalog, extra_args=["--debug"])
    assert read.returncode == 0, read.errors

    wrong = sandbox.config("cloud_elements")
    wrong["backend"]["element_token"] = "not-the-" + wrong["backend"]["element_token"]
    failed = guarded_run("read", config=wrong, catalog=catalog, extra_args=["--debug"], known_secrets=[config["backend"]["element_token"]])
    assert failed.returncode != 0
    assert any(e["failure_type"] == "config_error" for e in failed.errors)


@pytest.mark.parametrize(
    "value",
    [
        "x' OR status != 'x",
        "O''Brien') OR (1 = 1",
        "\\' OR 1 = 1 --",
        "`status` = 'Delivered",
    ],
)
def test_a_ceql_value_cannot_break_out_of_its_quotes_when_pushed_down(fresh_sandbox: RunningSandbox, value: str) -> None:
    """The filter compares with one text value; whatever it holds, the hub is sent exactly one
    comparison with that value, so nothing matches (no recipient has such a name)."""
    from sendoso_sandbox.ceql_parse import parse as sandbox_parse

    config = fresh_sandbox.config("cloud_elements")
    where = "recipient.name = '" + value.replace("'", "''") + "'"
    config["stream_filters"] = [{"stream": "sends", "where": where}]
    discovered = run_connector("discover", config=config)
    assert discovered.returncode == 0, discovered.errors
    catalog = configured_catalog(discovered.of_type("CATALOG")[0]["catalog"], ["sends"])

    run = guarded_run("read", config=config, catalog=catalog)

    assert run.returncode == 0, run.errors
    assert run.records_of("sends") == []
    sent = [w for w in fresh_sandbox.stats()["where"] if "recipient.name" in w]
    assert sent, "the filter was not pushed down"
    # Read back by the sandbox's own parser (which shares no code with the connector's): the
    # cursor condition AND one comparison of recipient.name with exactly this value, no OR.
    tree = sandbox_parse(sent[-1])
    conditions = list(tree.items) if type(tree).__name__ == "And" else [tree]
    assert all(type(c).__name__ == "Compare" for c in conditions), tree
    on_name = [c for c in conditions if c.field == ("recipient", "name")]
    assert len(on_name) == 1 and on_name[0].op == "=" and on_name[0].value.text == value, tree
    assert {c.field for c in conditions} <= {("recipient", "name"), ("updated_at",)}, tree
