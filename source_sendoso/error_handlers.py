"""The error handlers the manifest names: answers the CDK would take for success, or misname.

- `ResponseGuard`, first in every requester's chain. A 200 whose body is not JSON (cut short,
  empty) would be read as a page without records, which ends paging: every later page lost. A
  page that is not the one asked for (a Sendoso page whose `current_page` says another; a hub
  page byte for byte the one before it) would deliver its records twice. Both are retried. A
  hub 404 that only says "No <things> found" is an empty result, not a failure. The body it
  parsed to check a page is kept with the response (`checked_body`), so that the page's
  records are read from that one parse.
- `HubCredentialErrors`: a hub 401 or 403 as the config error that names the secret to fix.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import InitVar, dataclass
from typing import Any, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson
import requests

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.error_handlers.error_handler import DeclarativeErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.sources.types import Config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso.config_errors import hub_refusal

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
        resolution = self._check_repeat(response, body, parsed, where)
        if resolution is None:
            setattr(response, _CHECKED_BODY, parsed)
        return resolution

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


# The attribute of a response that holds the body the guard parsed, once it let the page through.
_CHECKED_BODY = "sendoso_checked_body"
NOT_CHECKED: Any = object()


def checked_body(response: requests.Response, *, take: bool = False) -> Any:
    """The JSON body `ResponseGuard` parsed from `response` and let through, or `NOT_CHECKED`.

    Parsing a page costs as much as reading its records (orjson builds every object), so the
    records are read from this parse instead of a second one. `take` hands it over: the records
    are then changed in place (derived fields, one form per field), and whoever asks after
    that gets `NOT_CHECKED` and parses the body as it came.
    """
    body = getattr(response, _CHECKED_BODY, NOT_CHECKED)
    if take and body is not NOT_CHECKED:
        delattr(response, _CHECKED_BODY)
    return body


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


@dataclass
class HubCredentialErrors(DeclarativeErrorHandler):
    """Fails a hub request answered 401 or 403 with `config_errors.hub_refusal`; leaves any other
    answer to the error handler after it (returns no resolution).

    Raised, not returned as FAIL: the CDK's composite handler passes a FAIL on to the next
    handler, whose own resolution of the status would replace this one.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    max_retries: Optional[int] = None
    max_time: Optional[int] = None

    def interpret_response(self, response_or_exception: Optional[Union[requests.Response, Exception]]) -> Optional[ErrorResolution]:  # type: ignore[override]
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code in (401, 403):
            raise hub_refusal(response_or_exception)
        return None
