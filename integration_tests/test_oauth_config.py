"""The config Airbyte's OAuth flow writes, and every form of the stored token's expiry, through
the real `source-sendoso check` against the sandbox's OAuth server.

`platform_oauth_output` is what Airbyte's declarative OAuth flow (airbyte-platform,
airbyte-oauth: `DeclarativeOAuthSpecHandler.processOAuthOutput` and
`BaseOAuthFlow.formatOAuthOutput`) does with the token answer, as far as the config is concerned:

- each `extract_output` path is read from the answer as text (Jackson's `asText`: 7200 becomes
  "7200"); a path the answer lacks fails the flow;
- the path whose last key is the `token_expiry_key` (default `expires_in`) also yields the output
  `token_expiry_date`: the time of the answer plus that many seconds, as `java.time.Instant`
  prints it (`2026-12-01T12:00:00.123456Z`);
- only the outputs `complete_oauth_output_specification` names are kept, they must validate
  against it, and each is written at its `path_in_connector_config`.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Mapping, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit

import jsonschema
import pytest
import requests
from sandbox import RunningSandbox, run_connector, start_sandbox

REDIRECT_URI = "https://cloud.airbyte.com/auth_flow"
ABSENT = object()


def java_instant(moment: datetime) -> str:
    text = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}" if moment.microsecond % 1000 == 0 else f".{moment.microsecond:06d}"
    return text + "Z"


def _text(value: Any) -> str:
    """Jackson's JsonNode.asText() for the scalars a token answer holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


def platform_oauth_output(oauth: Mapping[str, Any], answer: Mapping[str, Any], now: datetime) -> List[Tuple[List[str], Any]]:
    """(path_in_connector_config, value) for each output the platform writes into the config."""
    declared = oauth["oauth_connector_input_specification"]
    expiry_key = declared.get("token_expiry_key", "expires_in")
    outputs: Dict[str, Any] = {}
    for path in declared["extract_output"]:
        node: Any = answer
        for key in path.split("."):
            if not isinstance(node, Mapping) or key not in node:
                raise AssertionError(f"the platform fails the flow: missing '{key}' in the token answer {sorted(answer)}")
            node = node[key]
        key = path.split(".")[-1]
        if key == expiry_key:
            outputs["token_expiry_date"] = java_instant(now + timedelta(seconds=int(_text(node))))
        outputs[key] = _text(node)
    specification = oauth["complete_oauth_output_specification"]
    kept = {key: value for key, value in outputs.items() if key in specification["properties"]}
    jsonschema.validate(kept, specification, format_checker=jsonschema.FormatChecker())
    return [(specification["properties"][key]["path_in_connector_config"], value) for key, value in kept.items()]


def _render(template: str, values: Mapping[str, str]) -> str:
    """The `{{ name }}` substitutions `access_token_params` use."""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda match: values[match.group(1)], template)


@pytest.fixture(scope="module")
def oauth_sandbox() -> Iterator[RunningSandbox]:
    """A sandbox of its own: its tokens_issued counts this module's token requests only."""
    with start_sandbox("--seed", "3", "--scale", "5", "--rate-limit", "0") as running:
        yield running


@pytest.fixture(scope="module")
def spec() -> Dict[str, Any]:
    run = run_connector("spec")
    assert run.returncode == 0, run.stderr
    return run.of_type("SPEC")[0]["spec"]


def _tokens_issued(sandbox: RunningSandbox) -> int:
    return sandbox.stats()["tokens_issued"]


def authenticate_as_the_platform(sandbox: RunningSandbox, spec: Mapping[str, Any]) -> Dict[str, Any]:
    """The UI's "Authenticate" button against the sandbox: consent, code exchange as the manifest's
    `advanced_auth` declares it, and the config the platform then saves."""
    oauth = spec["advanced_auth"]["oauth_config_specification"]
    declared = oauth["oauth_connector_input_specification"]
    client_id = sandbox.config()["backend"]["client_id"]
    client_secret = sandbox.config()["backend"]["client_secret"]

    consent = requests.get(
        f"{sandbox.url}/oauth/authorize",
        params={
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "state": "abcdefg",
            "response_type": "code",
            "scope": declared["scope"],
        },
        allow_redirects=False,
        timeout=30,
    )
    assert consent.status_code == 302, consent.text
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]

    values = {
        "auth_code_key": "code", "auth_code_value": code,
        "client_id_key": "client_id", "client_id_value": client_id,
        "client_secret_key": "client_secret", "client_secret_value": client_secret,
        "redirect_uri_key": "redirect_uri", "redirect_uri_value": REDIRECT_URI,
    }  # fmt: skip
    body = {_render(key, values): _render(value, values) for key, value in declared["access_token_params"].items()}
    headers = {_render(key, values): _render(value, values) for key, value in declared["access_token_headers"].items()}
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    exchange = requests.post(f"{sandbox.url}/oauth/token", data=urlencode(body), headers=headers, timeout=30)
    assert exchange.status_code == 200, exchange.text
    answered_at = datetime.now(timezone.utc)

    config = sandbox.config()
    backend = {key: config["backend"][key] for key in ("backend_type", "client_id", "client_secret", "api_url", "token_url")}
    config["backend"] = backend
    for path, value in platform_oauth_output(oauth, exchange.json(), answered_at):
        node = config
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return config


def _check(config: Mapping[str, Any]) -> Dict[str, Any]:
    run = run_connector("check", config=dict(config))
    assert run.returncode == 0, run.stderr[-3000:]
    (status,) = [message["connectionStatus"] for message in run.of_type("CONNECTION_STATUS")]
    return status


def test_the_platform_writes_a_date_time_and_check_uses_the_stored_token(oauth_sandbox: RunningSandbox, spec: Dict[str, Any]) -> None:
    """The platform turns `expires_in` into a date-time in the config, and check then uses the stored token."""
    config = authenticate_as_the_platform(oauth_sandbox, spec)
    backend = config["backend"]
    assert set(backend) >= {"access_token", "refresh_token", "token_expiry_date"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z", backend["token_expiry_date"])
    jsonschema.validate(config, spec["connectionSpecification"])
    issued = _tokens_issued(oauth_sandbox)

    status = _check(config)

    assert status["status"] == "SUCCEEDED", status
    assert _tokens_issued(oauth_sandbox) == issued, "check asked for a new token although the stored one is valid"


@pytest.mark.parametrize(
    "expiry",
    [
        pytest.param(7200, id="expires-in-as-an-integer"),
        pytest.param("7200", id="expires-in-as-text"),
        pytest.param(7200.0, id="expires-in-as-a-float"),
        pytest.param("", id="empty"),
        pytest.param(None, id="null"),
        pytest.param(ABSENT, id="absent"),
        pytest.param(java_instant(datetime.now(timezone.utc) - timedelta(hours=3)), id="passed"),
    ],
)
def test_check_accepts_an_expiry_that_names_no_instant_ahead_and_gets_a_new_token(
    oauth_sandbox: RunningSandbox, spec: Dict[str, Any], expiry: Any
) -> None:
    config = copy.deepcopy(authenticate_as_the_platform(oauth_sandbox, spec))
    if expiry is ABSENT:
        del config["backend"]["token_expiry_date"]
    else:
        config["backend"]["token_expiry_date"] = expiry
    jsonschema.validate(config, spec["connectionSpecification"])
    issued = _tokens_issued(oauth_sandbox)

    status = _check(config)

    assert status["status"] == "SUCCEEDED", status
    assert _tokens_issued(oauth_sandbox) == issued + 1


def test_check_names_the_field_when_the_expiry_is_neither_an_instant_nor_seconds(
    oauth_sandbox: RunningSandbox, spec: Dict[str, Any]
) -> None:
    config = authenticate_as_the_platform(oauth_sandbox, spec)
    config["backend"]["token_expiry_date"] = "next tuesday"
    issued = _tokens_issued(oauth_sandbox)

    status = _check(config)

    assert status["status"] == "FAILED"
    assert status["message"].startswith("Config field 'backend.token_expiry_date' is invalid: 'next tuesday' is neither a date-time")
    assert _tokens_issued(oauth_sandbox) == issued


def test_an_expiry_named_otherwise_would_reach_the_config_as_seconds(spec: Dict[str, Any]) -> None:
    # Why the manifest's output entry is named `token_expiry_date`: under another name the platform
    # copies the raw seconds ("7200"), which the connector then reads as an unknown expiry.
    oauth = copy.deepcopy(spec["advanced_auth"]["oauth_config_specification"])
    properties = oauth["complete_oauth_output_specification"]["properties"]
    assert properties["token_expiry_date"]["path_in_oauth_response"] == ["expires_in"]
    answer = {"access_token": "a", "refresh_token": "r", "expires_in": 7200}
    now = datetime(2026, 12, 1, 12, 0, 0, 250000, tzinfo=timezone.utc)

    written = dict((tuple(path), value) for path, value in platform_oauth_output(oauth, answer, now))
    assert written[("backend", "token_expiry_date")] == "2026-12-01T14:00:00.250Z"

    entry = properties.pop("token_expiry_date")
    entry.pop("format")
    properties["expires_in"] = entry
    renamed = dict((tuple(path), value) for path, value in platform_oauth_output(oauth, answer, now))
    assert renamed[("backend", "token_expiry_date")] == "7200"
