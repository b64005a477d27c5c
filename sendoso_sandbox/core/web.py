"""The values passed between the HTTP wire (server.py) and everything behind it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base_url: str  # http://host:port, for absolute links (marketplace next_page) and the connector configs
    client_ip: str = "127.0.0.1"

    @classmethod
    def build(cls, method: str, target: str, headers: dict[str, str], body: bytes, base_url: str, client_ip: str):
        path, _, query = target.partition("?")
        return cls(method, path, parse_qs(query, keep_blank_values=True), headers, body, base_url, client_ip)

    def arg(self, name: str) -> str | None:
        """Last value of a query parameter (Rails semantics), None when absent."""
        values = self.query.get(name)
        return values[-1] if values else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = JSON_TYPE
    # Set on list pages: repeat_page faults replay the last page served under this key.
    page_key: str | None = None
    # What the fault layer asks of the wire: hold the answer this long before sending it
    # (latency, slow faults), and send only half of the body before hanging up (drop faults).
    hold_seconds: float = 0.0
    cut_mid_body: bool = False


def plain_number(value: float):
    """A number as JSON shows it to people: 10, not 10.0."""
    return int(value) if float(value).is_integer() else value


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def json_response(status: int, payload, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, _ENCODE(payload).encode("utf-8"), list(headers or []))


def raw_json(status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
    """A body assembled from pre-serialised JSON fragments."""
    return Response(status, text.encode("utf-8"), list(headers or []))
