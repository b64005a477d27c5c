"""Config errors that name the field to fix.

- `check_config`: the CDK checks the config against the spec before anything else runs, and
  reports the first jsonschema message it meets ("0 is less than the minimum of 1", or, inside
  the backend's oneOf, the other backend's `backend_type`). This reports instead the error of
  the backend the user chose, with the field's path, and never a secret's value. A credential
  that is empty or only whitespace passes the spec but can only fail later, at the token
  endpoint or the hub, where the answer no longer says which one: it is refused here, by the
  title the form shows.
- `token_endpoint_refusal`: an answer of Sendoso's OAuth token endpoint, mapped by its OAuth
  error code (RFC 6749 section 5.2) to the credential it is about.
- `hub_refusal`: the hub's 401 and 403, mapped to which of its three secrets to fix.
- `shorten`: how every message here (and elsewhere in the connector) quotes a value.

Each credential message ends with where to get a right value (`_WHERE`), the same text
whichever way the credential turned out to be wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

import requests
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

# --- quoting a value ------------------------------------------------------------------------

# Long enough for a date, a URL or a server's one-line explanation; a pasted document or an
# HTML error page is cut.
READABLE_LENGTH = 120


def shorten(value: Any, limit: int = READABLE_LENGTH) -> str:
    """`value` as text fit to quote in a message: on one line, any secret of the config masked,
    and cut to `limit` characters ("..." marks the cut)."""
    # Masked before the cut: a secret cut in half would no longer be recognised.
    text = " ".join(filter_secrets(str(value)).splitlines())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def unreadable_state_entry(stream_name: str, entry: str, value: Any, *, should_hold: str, removing_it: str) -> AirbyteTracedException:
    """The config error for an entry of a saved state that cannot be read: what it holds, what it
    should hold, and what removing it does (the way on, short of a reset)."""
    message = (
        f"The saved state of stream '{stream_name}' has a '{entry}' entry this connector cannot read: {shorten(value)}. "
        f"It should hold {should_hold}. Remove the '{entry}' entry to {removing_it}, or reset the stream."
    )
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)


# --- where each credential comes from ------------------------------------------------------

_HUB_CONSOLE = "the Cloud Elements / SAP Open Connectors console"
_WHERE: Dict[str, str] = {
    "client_id": "Enter the API key (client id) Sendoso issued to you; developers@sendoso.com issues them.",
    "client_secret": "Enter the API secret (client secret) Sendoso issued with your API key.",
    "refresh_token": (
        "Authenticate your Sendoso account again in the source's settings, or exchange a new authorization "
        "code for a refresh token (setup guide: Get OAuth credentials for the Sendoso API)."
    ),
    "user_secret": f"Copy your user secret from the profile menu of {_HUB_CONSOLE}.",
    "organization_secret": f"Copy your organization secret from the profile menu of {_HUB_CONSOLE}.",
    "element_token": (
        f"Copy the token of your Sendoso element instance from the Instances page of {_HUB_CONSOLE} "
        "(the Token column, or View Token on the instance's card)."
    ),
}
# Said once for two credentials that come from the same place.
_WHERE_TOGETHER: Dict[Tuple[str, str], str] = {
    ("client_id", "client_secret"): (
        "Enter the API key (client id) and API secret (client secret) exactly as Sendoso issued them; developers@sendoso.com issues them."
    ),
    ("user_secret", "organization_secret"): (f"Copy your user secret and organization secret from the profile menu of {_HUB_CONSOLE}."),
}
_TOKEN_URL = "https://app.sendoso.com/oauth/token"


@lru_cache(maxsize=1)
def _backend_branches() -> list[Mapping[str, Any]]:
    # The backend's fields are the spine's (manifest.yaml), which the package only adds to.
    spine = yaml.safe_load((resources.files("source_sendoso") / "manifest.yaml").read_text(encoding="utf-8"))
    return list(spine["spec"]["connection_specification"]["properties"]["backend"]["oneOf"])


def title(name: str) -> str:
    """The form's title of a backend field ("API Secret (OAuth client secret)")."""
    for branch in _backend_branches():
        field = branch["properties"].get(name)
        if field and field.get("title"):
            return str(field["title"])
    return name


def _where(names: Iterable[str]) -> str:
    """Where to get a right value of each of these credentials."""
    remaining = list(dict.fromkeys(names))
    sentences = []
    for pair, sentence in _WHERE_TOGETHER.items():
        if set(pair) <= set(remaining):
            sentences.append(sentence)
            remaining = [name for name in remaining if name not in pair]
    return " ".join(sentences + [_WHERE[name] for name in remaining])


def _config_error(message: str, internal: Optional[str] = None) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=internal or message, failure_type=FailureType.config_error)


# --- the config against the spec -------------------------------------------------------------


def check_config(config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    """Raises a config error naming the first invalid field, or returns."""
    error = _first_error(config, spec)
    if error is not None:
        path = ".".join(str(part) for part in error.absolute_path) or "(the config itself)"
        raise _config_error(f"Config field '{path}' is invalid: {_describe(error)}")
    _check_credentials_filled_in(config, spec)


def _chosen_branch(config: Mapping[str, Any], spec: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    backend = config.get("backend")
    chosen = backend.get("backend_type") if isinstance(backend, Mapping) else None
    for branch in spec["properties"]["backend"]["oneOf"]:
        if branch["properties"]["backend_type"].get("const") == chosen:
            return branch
    return None


def _check_credentials_filled_in(config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    """An empty or blank credential is named before any request: the token endpoint would call
    an empty refresh token a bad request, and the hub any empty secret "invalid"."""
    branch = _chosen_branch(config, spec)
    if branch is None:
        return
    backend = config["backend"]
    for name in branch.get("required", ()):
        field = branch["properties"].get(name, {})
        value = backend.get(name)
        if not field.get("airbyte_secret") or not isinstance(value, str) or value.strip():
            continue
        state = "is empty" if not value else "is blank (it holds only whitespace)"
        raise _config_error(f"{field.get('title', name)} {state} (config field 'backend.{name}'). {_WHERE.get(name, 'Fill it in.')}")


def _first_error(config: Mapping[str, Any], spec: Mapping[str, Any]) -> Optional[ValidationError]:
    errors: List[ValidationError] = sorted(Draft7Validator(spec).iter_errors(config), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    if error.validator == "oneOf" and list(error.absolute_path) == ["backend"]:
        return _error_in_chosen_backend(config, spec, error) or error
    return error


def _error_in_chosen_backend(config: Mapping[str, Any], spec: Mapping[str, Any], error: ValidationError) -> Optional[ValidationError]:
    branch = _chosen_branch(config, spec)
    if branch is not None:
        nested = sorted(Draft7Validator(branch).iter_errors(config["backend"]), key=lambda e: list(e.absolute_path))
        if nested:
            # Re-anchor the branch's error under `backend` so its path is the config's.
            nested[0].path.appendleft("backend")
            return nested[0]
        return None
    backend = config.get("backend")
    chosen = backend.get("backend_type") if isinstance(backend, Mapping) else None
    kinds = ", ".join(repr(branch["properties"]["backend_type"]["const"]) for branch in spec["properties"]["backend"]["oneOf"])
    return ValidationError(
        f"{shorten(repr(chosen))} is not a backend; use one of {kinds}", path=["backend", "backend_type"], validator="enum"
    )


def _describe(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if schema.get("airbyte_secret"):
        return f"this secret does not satisfy '{error.validator}'."
    quoted = shorten(repr(error.instance))
    if error.validator == "pattern":
        expected = schema.get("pattern_descriptor") or f"text matching {schema.get('pattern')}"
        return f"{quoted} is not of the form {expected}."
    if error.validator == "required":
        return f"{error.message}; add it."
    # jsonschema's messages open with the whole value ("{...} is not of type 'array'"): quoted short.
    whole = repr(error.instance)
    message = quoted + error.message[len(whole) :] if error.message.startswith(whole) else shorten(error.message)
    return f"{message}."


# --- Sendoso's OAuth token endpoint ----------------------------------------------------------

# A parameter an `invalid_request` may name ("Missing required parameter: refresh_token.").
_TOKEN_PARAMETER = re.compile(r"\b(client_id|client_secret|refresh_token)\b")


def token_endpoint_refusal(response: requests.Response) -> AirbyteTracedException:
    """The config error for a 4xx of the token endpoint, naming the credential its OAuth error
    code is about; an answer without a known code is quoted with its status."""
    body = _json_object(response)
    code = body.get("error") if isinstance(body.get("error"), str) else None
    description = next((str(body[key]) for key in ("error_description", "message") if isinstance(body.get(key), str)), "")
    # The code says which credential; the description is quoted only where it says more
    # than the code (which parameter is missing, which scope).
    said = f"OAuth error {code}"
    detailed = f"{said}: {shorten(description)}" if description else said
    internal = f"The OAuth token endpoint answered HTTP {response.status_code}: {shorten(response.text, 500)}"
    api_key, api_secret, refresh_token = title("client_id"), title("client_secret"), title("refresh_token")

    if code == "invalid_client":
        return _config_error(
            f"Sendoso did not accept the {api_key} and {api_secret} ({said}): one of the two is wrong, or the key is "
            f"no longer active. {_where(['client_id', 'client_secret'])} If both are right, ask them whether the key is "
            "still active.",
            internal,
        )
    if code == "unauthorized_client":
        return _config_error(
            f"Sendoso does not let this {api_key} use refresh tokens ({said}). Ask developers@sendoso.com to enable the "
            "refresh_token grant for your API key.",
            internal,
        )
    if code == "invalid_grant":
        return _config_error(
            f"Sendoso rejected the {refresh_token} ({said}): it has expired, was revoked, was already used once (when "
            "Sendoso issues a new one on every refresh), or was issued for another API key. Re-authenticate to get a "
            f"new one. {_WHERE['refresh_token']}",
            internal,
        )
    if code in ("invalid_scope", "insufficient_scope"):
        return _config_error(
            f"Sendoso refused the scopes of the grant behind the {refresh_token} ({detailed}). Re-authenticate, granting "
            f"the `public` scope (and `marketplace` to sync marketplace_products). {_WHERE['refresh_token']}",
            internal,
        )
    if code == "invalid_request":
        named = _TOKEN_PARAMETER.search(description)
        if named:
            return _config_error(
                f"Sendoso's token endpoint says the request lacks the {title(named.group(1))} ({detailed}). {_WHERE[named.group(1)]}",
                internal,
            )
        return _config_error(
            f"Sendoso's token endpoint says the token request is incomplete or malformed ({detailed}). Check the OAuth "
            f"Token URL (config field 'backend.token_url'): Sendoso's is {_TOKEN_URL}.",
            internal,
        )
    if not code:
        detailed = shorten(description) if description else "an answer that is not an OAuth error"
    reason = f" {response.reason}" if response.reason else ""
    return _config_error(
        f"Sendoso's OAuth token endpoint ({_shown_url(response)}) answered HTTP {response.status_code}{reason}: {detailed}. "
        f"Check the OAuth Token URL (config field 'backend.token_url'): Sendoso's is {_TOKEN_URL}. If it is right, "
        "contact Sendoso support with this message.",
        internal,
    )


def _json_object(response: requests.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _shown_url(response: requests.Response) -> str:
    # Without the query string: it is never needed to say what failed.
    parts = urlsplit(str(response.url or ""))
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


# --- the hub's 401 and 403 -------------------------------------------------------------------

# The words by which a hub message names one of the three secrets. Cloud Elements answers any
# of them wrong with one message naming all three ("Invalid Organization or User secret, or
# invalid Element token provided."); a message naming fewer is taken at its word.
_HUB_SECRET_WORDS = {
    "user_secret": re.compile(r"\buser\b", re.IGNORECASE),
    "organization_secret": re.compile(r"\borgani[sz]ation\b", re.IGNORECASE),
    "element_token": re.compile(r"\b(element|instance)\b", re.IGNORECASE),
}


def hub_refusal(response: requests.Response) -> AirbyteTracedException:
    """The config error for a hub 401 or 403, naming the secrets its message names."""
    body = _json_object(response)
    said_message = body.get("message")
    message = said_message if isinstance(said_message, str) else ""
    said = f"HTTP {response.status_code}" + (f": {shorten(message)}" if message else "")
    named = [name for name, words in _HUB_SECRET_WORDS.items() if words.search(message)]
    internal = f"The hub answered HTTP {response.status_code}: {shorten(response.text, 500)}"

    if response.status_code == 403 and (not named or "element_token" in named):
        # The platform accepted the secrets; Sendoso, behind it, refused the element instance.
        return _config_error(
            f"The hub accepted the secrets, but Sendoso refused the element instance of the {title('element_token')} "
            f"({said}). Re-authenticate that Sendoso element instance in {_HUB_CONSOLE}, granting the `public` "
            f"scope, or use the token of an instance that is authenticated. {_WHERE['element_token']}",
            internal,
        )
    if not named or len(named) == len(_HUB_SECRET_WORDS):
        names = list(_HUB_SECRET_WORDS)
        return _config_error(
            f"The hub refused the credentials ({said}): the {title('user_secret')}, {title('organization_secret')} or "
            f"{title('element_token')} is wrong (the hub does not say which). {_where(names)} Secrets of one platform do "
            "not work on another: the Hub API Base URL (config field 'backend.base_url') must be your platform's.",
            internal,
        )
    return _config_error(f"The hub refused the {_join(title(name) for name in named)} ({said}). {_where(named)}", internal)


def _join(words: Iterable[str]) -> str:
    listed = list(words)
    return listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} and {listed[-1]}"
