"""What the connector does when Sendoso, the hub or the token endpoint misbehave in ways the
CDK would otherwise take for success, or wait on for minutes.

- `ResponseGuard`: first in every requester's error handlers. A 200 whose body is not JSON
  (cut short, or empty) is read by the CDK's JSON decoder as a page without records, which
  ends paging: every later page would be silently lost. A page that is not the page asked
  for (a Sendoso page whose `current_page` says another; a hub page byte for byte the page
  before it: a server or proxy serving a stale page) would deliver its records twice. Both
  are retried instead. And a hub 404 that only says "No <things> found" is an
  empty result, not a failure.
- `bound_token_refresh()` (applied by `SourceSendoso.__init__`): the CDK waits on the OAuth token endpoint without a timeout,
  retries a failing one for up to 300 s and then fails with an unexplained system error.
  Here an attempt gets 30 s, failures are retried a few times over about a minute at most,
  then the sync fails as a transient error that names the endpoint. An answer that refuses
  the request (a 4xx other than 429) is not retried: it fails as the config error that
  names the credential its OAuth error code is about (`config_errors.token_endpoint_refusal`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import time
from dataclasses import InitVar, dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import parse_qsl, urlencode, urlsplit

import backoff
import orjson
import requests

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeSingleUseRefreshTokenOauth2Authenticator
from airbyte_cdk.sources.declarative.requesters.error_handlers.error_handler import DeclarativeErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.sources.streams.http.exceptions import DefaultBackoffException
from airbyte_cdk.sources.types import Config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso.cdk_seams import replace_token_request
from source_sendoso.config_errors import token_endpoint_refusal

logger = logging.getLogger("airbyte")

# The query parameters that choose a page: Sendoso's `page`, the marketplace's `after`,
# the hub's `nextPage`. Two requests that differ only in these read the same list.
_PAGING_PARAMETERS = frozenset({"page", "after", "nextPage"})


@dataclass
class ResponseGuard(DeclarativeErrorHandler):
    """Retries a 200 that is not a readable page, or that is a page already sent.

    Leaves every other answer to the error handler after it (returns no resolution). A
    repeated page is retried `repeat_retries` times, then fails the stream as a transient
    error before its records are read: a server that ignores the page number would
    otherwise keep answering it.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    max_retries: Optional[int] = 8
    max_time: Optional[int] = None
    repeat_retries: int = 2

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._lock = threading.Lock()
        # Per list (URL without its paging parameters): the paging value and the body of
        # the last readable page; and per request URL, how often it answered a repeat.
        self._last_page: Dict[str, Tuple[Optional[str], bytes]] = {}
        self._repeats: Dict[str, int] = {}
        # And per thread, the last readable page it read: (list, paging value, body).
        self._thread_page = threading.local()

    def interpret_response(self, response_or_exception: Optional[Union[requests.Response, Exception]]) -> Optional[ErrorResolution]:  # type: ignore[override]
        response = response_or_exception
        if isinstance(response, requests.RequestException):
            # Decided by the next handler (a timeout or a dropped connection is retried); the
            # CDK's own retry log does not say what went wrong, this does.
            request = response.request
            path = f" (GET {urlsplit(str(request.url)).path})" if request is not None and request.url else ""
            logger.warning(f"A request to Sendoso failed before a complete answer came back{path}: {type(response).__name__}.")
            return None
        if not isinstance(response, requests.Response):
            return None
        if response.status_code == 404:
            return _empty_result(response)
        if response.status_code != 200:
            return None
        where = _shown_url(response)
        body = response.content
        if not body.strip():
            return _retry(f"Sendoso answered {where} with HTTP 200 and an empty body; retrying.")
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            return _retry(f"Sendoso answered {where} with HTTP 200 and a body that is not valid JSON ({error}); retrying.")
        return self._check_repeat(response, body, parsed, where)

    def _check_repeat(self, response: requests.Response, body: bytes, parsed: Any, where: str) -> Optional[ErrorResolution]:
        url = str(response.request.url if response.request is not None else response.url)
        list_key, page = _list_and_page(url)
        answered = parsed.get("current_page") if isinstance(parsed, dict) else None
        with self._lock:
            if answered is not None:
                # A Sendoso page says which page it is. The pages of a list are read several at
                # a time (pages.py) and come back in any order, so which of two identical
                # bodies was the page asked for can only be told this way.
                repeated = None if str(answered) == (page or "1") else str(answered)
            else:
                # The body itself is kept, not a hash of it: two pages differ within their
                # first bytes, while hashing reads all of it and releases the GIL, which the
                # worker thread then waits to get back (milliseconds per page, measured).
                repeated = _repeat_of(self._last_page.get(list_key), page, body)
                # The pages of a list read several at a time each come in their own thread, and
                # by the time a thread reads on, the list's last page may be another thread's:
                # its own page before is compared too.
                mine = getattr(self._thread_page, "last", None)
                if repeated is None and mine is not None and mine[0] == list_key:
                    repeated = _repeat_of(mine[1:], page, body)
                if repeated is None:
                    self._last_page[list_key] = (page, body)
                    self._thread_page.last = (list_key, page, body)
            if repeated is None:
                self._repeats.pop(url, None)
                return None
            repeats = self._repeats[url] = self._repeats.get(url, 0) + 1
        message = f"Sendoso answered {where} (page {page or 1}) with a page it had already sent (page {repeated})"
        if repeats <= self.repeat_retries:
            return _retry(f"{message}; retrying so that no record is read twice.")
        # Raised, not returned as FAIL: the CDK's composite handler passes a FAIL on to the next
        # handler, which takes the 200 for a success, and the page's records go out twice.
        failure = (
            f"{message}, {repeats} times in a row, so paging cannot make progress. "
            "Retry the sync later; if it persists, contact Sendoso support."
        )
        raise AirbyteTracedException(message=failure, internal_message=failure, failure_type=FailureType.transient_error)


def _repeat_of(previous: Optional[Tuple[Optional[str], bytes]], page: Optional[str], body: bytes) -> Optional[str]:
    """The page that `body` repeats: `previous` (its paging value and body) when it is another page with the same body."""
    if previous is None or previous[1] != body or previous[0] == page:
        return None
    return previous[0] or "1"


# Some hub elements answer an empty result as an error: 404 "No return addresses found".
_NO_RESULTS = re.compile(r"No [\w /-]+ found")


def _empty_result(response: requests.Response) -> Optional[ErrorResolution]:
    """A 404 that only says there is nothing to list is an empty page, not a failure; any
    other 404 ("Group not found!") is left to the next handler."""
    try:
        message = orjson.loads(response.content).get("message")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    if not isinstance(message, str) or _NO_RESULTS.fullmatch(message) is None:
        return None
    return ErrorResolution(response_action=ResponseAction.IGNORE, failure_type=None, error_message=f"{message}: nothing to read.")


def _retry(message: str) -> ErrorResolution:
    # The CDK's retry log says only "Retrying in N seconds": this says why.
    logger.warning(message)
    return ErrorResolution(response_action=ResponseAction.RETRY, failure_type=FailureType.transient_error, error_message=message)


def _list_and_page(url: Any) -> Tuple[str, Optional[str]]:
    parts = urlsplit(str(url))
    query = parse_qsl(parts.query, keep_blank_values=True)
    page = next((value for name, value in query if name in _PAGING_PARAMETERS), None)
    rest = urlencode(sorted((name, value) for name, value in query if name not in _PAGING_PARAMETERS))
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{rest}", page


def _shown_url(response: requests.Response) -> str:
    # The path only: a query string could carry a user's filter, never needed to say what failed.
    parts = urlsplit(str(response.request.url if response.request is not None else response.url))
    return f"GET {parts.path}"


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
