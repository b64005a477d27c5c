"""OAuth: the stored token's expiry in every form a config holds it, and a token endpoint
that misbehaves.

The stored expiry (`backend.token_expiry_date`). Who writes the field:

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

The token request (`bound_token_refresh`, applied by `SourceSendoso.__init__`): the CDK waits on
the endpoint without a timeout, retries a failing one for up to 300 s and then fails with an
unexplained system error. Here an attempt gets 30 s, failures are retried a few times over about
a minute at most, then the sync fails as a transient error that names the endpoint. An answer
that refuses the request (a 4xx other than 429) is not retried: it fails as the config error
that names the credential its OAuth error code is about (`config_errors.token_endpoint_refusal`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, MutableMapping, Optional

import backoff
import requests

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeSingleUseRefreshTokenOauth2Authenticator
from airbyte_cdk.sources.declarative.transformations.config_transformations.config_transformation import ConfigTransformation
from airbyte_cdk.sources.streams.http.exceptions import DefaultBackoffException
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso.cdk_seams import replace_token_request
from source_sendoso.ceql.instants import utc_text_of
from source_sendoso.config_errors import token_endpoint_refusal

logger = logging.getLogger("airbyte")

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


# --- the OAuth token endpoint ------------------------------------------------------------

TOKEN_MAX_TRIES = 6
TOKEN_MAX_TIME_SECONDS = 60
# A token answer is small and quick; the API's own requests wait 60 s for a page.
TOKEN_ATTEMPT_TIMEOUT_SECONDS = 30

_TOKEN_TRANSIENT = (
    DefaultBackoffException,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
)


def _describe(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, requests.Response):
        return f"HTTP {response.status_code}"
    if isinstance(error, TokenRequestTimedOut):
        return str(error)
    return type(error).__name__


class TokenRequestTimedOut(requests.exceptions.ReadTimeout):
    """The token endpoint did not answer one attempt in time."""


def _within(seconds: float, request_once: Callable[[Any], Any], authenticator: Any) -> Any:
    """`request_once(authenticator)`, or a Timeout once `seconds` have passed.

    The CDK sends the token request with no timeout at all: an endpoint that accepts the
    connection and never answers would hold the sync forever. The request runs in a daemon
    thread; one that is given up on is left to end on its own (it holds a socket, nothing else).
    """
    outcome: Dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["token"] = request_once(authenticator)
        except BaseException as error:  # handed to the caller's thread as it is
            outcome["error"] = error

    worker = threading.Thread(target=attempt, name="oauth-token-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TokenRequestTimedOut(f"no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["token"]


def _again(failure: AirbyteTracedException) -> AirbyteTracedException:
    return AirbyteTracedException(message=failure.message, internal_message=failure.internal_message, failure_type=failure.failure_type)


def bound_token_refresh(
    authenticator_class: type[DeclarativeSingleUseRefreshTokenOauth2Authenticator] = DeclarativeSingleUseRefreshTokenOauth2Authenticator,
    max_tries: int = TOKEN_MAX_TRIES,
    max_time: float = TOKEN_MAX_TIME_SECONDS,
    attempt_timeout: float = TOKEN_ATTEMPT_TIMEOUT_SECONDS,
) -> None:
    """Replaces the token request's retry loop (300 s, then a system error) for this class.

    The request itself is the CDK's, unchanged: only how long one attempt may take, how long
    it is retried, and what the failure says when the endpoint stays down or refuses the
    credentials. Applied once, from `SourceSendoso.__init__`; a CDK whose token request is not
    what `cdk_seams.replace_token_request` relies on is left as it is.
    """
    replace_token_request(
        authenticator_class, functools.partial(_bounded, max_tries=max_tries, max_time=max_time, attempt_timeout=attempt_timeout)
    )


def _bounded(request_once: Callable[[Any], Any], *, max_tries: int, max_time: float, attempt_timeout: float) -> Callable[[Any], Any]:
    """The token request: `request_once` (one attempt of the CDK's), within these bounds."""

    def log_retry(details: Mapping[str, Any]) -> None:
        logger.info(
            f"The OAuth token endpoint failed ({_describe(details['exception'])}) after {details['tries']} tries; "
            f"waiting {details['wait']:.1f} s then retrying."
        )

    retried = backoff.on_exception(
        backoff.expo,
        _TOKEN_TRANSIENT,
        max_tries=max_tries,
        max_time=max_time,
        on_backoff=log_retry,
        logger=None,
    )(functools.partial(_within, attempt_timeout, request_once))

    @functools.wraps(request_once)
    def make_handled_request(self: Any) -> Any:
        # The threads reading a stream's pages at once (pages.py) share its authenticator, and
        # each would ask for a token again after another one's refresh failed: a rejected refresh
        # token is not sent again, and an endpoint that kept failing is not tried again for as
        # long as it was tried.
        endpoint = self.get_token_refresh_endpoint()
        refresh_token = getattr(self, "get_refresh_token", lambda: None)()
        rejected_key = ("rejected", hashlib.sha256(str(refresh_token).encode()).hexdigest())
        given_ups = self.__dict__.setdefault("_sendoso_given_up", {})
        for key in (rejected_key, ("down", endpoint)):
            given_up = given_ups.get(key)
            if given_up is not None and time.monotonic() < given_up[0]:
                raise _again(given_up[1])
        try:
            return retried(self)
        except _TOKEN_TRANSIENT as error:
            failure = AirbyteTracedException(
                message=(
                    f"Sendoso's OAuth token endpoint ({endpoint}) kept failing ({_describe(error)}), so no access "
                    f"token could be obtained in {max_tries} attempts over at most {max_time:.0f} s. "
                    "Sendoso may be down: retry the sync later. "
                    "If the token URL was changed in the config, check it."
                ),
                internal_message=f"Token refresh failed after retries: {error!r}",
                failure_type=FailureType.transient_error,
            )
            given_ups[("down", endpoint)] = (time.monotonic() + max_time, failure)
            raise failure from error
        except (requests.exceptions.HTTPError, AirbyteTracedException) as error:
            # A refusal reaches here as it came, or (for the codes of the CDK's
            # `refresh_token_error_*`) as the CDK's "refresh token rejected" error around it,
            # which is what a wrong API secret would be called too. Both are read here only.
            refused = error if isinstance(error, requests.exceptions.HTTPError) else error.__cause__
            response = getattr(refused, "response", None)
            refusal = token_endpoint_refusal(response) if isinstance(response, requests.Response) else error
            if isinstance(refusal, AirbyteTracedException) and refusal.failure_type == FailureType.config_error:
                given_ups[rejected_key] = (float("inf"), refusal)
            if refusal is error:
                raise
            raise refusal from error

    return make_handled_request
