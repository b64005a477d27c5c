"""When the stored access token expires (`backend.token_expiry_date`), in every form it arrives in.

Who writes the field:

- Airbyte's OAuth flow, when a user authenticates in the UI. The platform reads the token
  answer's `expires_in` (7200), adds that many seconds to the time of the answer and writes the
  instant as Java prints one: `2026-12-01T12:00:00.123456Z` (its DeclarativeOAuthFlow does this
  for the output named `token_expiry_date`, which is why the manifest's `advanced_auth` names it
  so). Platforms that predate that conversion write nothing there.
- The connector itself, after each token refresh: `2026-12-01T12:00:00.123456+00:00`.
- Whoever fills a config by hand or by script (the Airbyte API, Terraform, a `secrets/config.json`),
  who may copy the token answer's `expires_in` as it is: `7200`, `"7200"`.

A bare number of seconds does not say from when it counts: read at the next sync, hours or
months later, it could mean any instant. The safe reading is that the stored token's expiry is
unknown, so the connector gets a new access token before its first request (one request to the
token endpoint), instead of sending a token that may have expired. An empty value, a null, and an
expiry stored without an access token mean the same. Before the CDK's authenticator reads the
config, an instant is rewritten in the one form it parses (UTC, `...Z`) and an unknown expiry is
removed, which the authenticator takes as expired. Any other value is a config error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, MutableMapping, Optional

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.transformations.config_transformations.config_transformation import ConfigTransformation
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso.ceql.instants import utc_text_of

FIELD = "token_expiry_date"
_SECONDS = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_JSON_KINDS = {bool: "a boolean", dict: "an object", list: "an array"}


def stored_expiry(value: Any) -> Optional[str]:
    """The instant a stored expiry names, in UTC, or None when it names none (expired).

    Raises a config error for a value that is neither an instant nor a number of seconds."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text or _SECONDS.fullmatch(text):
            return None
        in_utc = utc_text_of(text)
        if in_utc is not None:
            return in_utc
        shown = repr(text if len(text) <= 40 else text[:40] + "...")
    else:
        shown = _JSON_KINDS.get(type(value), "a value of another kind")
    message = (
        f"Config field 'backend.{FIELD}' is invalid: {shown} is neither a date-time (as Airbyte's OAuth flow "
        "writes it, e.g. 2026-01-01T12:00:00Z) nor a number of seconds. Authenticate again, or remove the "
        "field: the connector then gets a new access token before its first request."
    )
    raise AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)


@dataclass
class StoredTokenExpiry(ConfigTransformation):
    """The direct backend's `token_expiry_date` as the CDK's OAuth authenticator reads it.

    The backend is copied, not edited in place: the caller's config stays as it was given, and
    the CDK writes the tokens of its next refresh into this copy, which it then sends back to
    the platform (with a fresh expiry) as a config control message.
    """

    def transform(self, config: MutableMapping[str, Any]) -> None:
        backend = config.get("backend")
        if not isinstance(backend, dict) or backend.get("backend_type") != "sendoso" or FIELD not in backend:
            return
        expiry = stored_expiry(backend[FIELD])
        backend = dict(backend)
        if expiry is None or not backend.get("access_token"):
            del backend[FIELD]
        else:
            backend[FIELD] = expiry
        config["backend"] = backend
