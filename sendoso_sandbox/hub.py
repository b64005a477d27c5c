"""The Cloud Elements / SAP Open Connectors "Sendoso element" under ``/elements/api-v2``.

Auth: ``Authorization: User <secret>, Organization <secret>, Element <token>``
(parts in any order, any case for the three words, blanks tolerated); anything
else -> 401 ``{"message", "requestId"}``.  Then the provider's rate limit, per
element token -> 429 with ``Retry-After: 1`` (the hub passes the 429 on).

Lists (``/hubs/rewards/<resource>``) answer a plain JSON array of the same
records as the direct API and take:

* ``pageSize`` (default 200, 1..500, else 400) and ``nextPage=<token>`` (or ``page``
  from 1).  ``Elements-Next-Page-Token`` is on EVERY page, the last one too: a
  client stops on an empty page.  ``Elements-Returned-Count`` always,
  ``Elements-Total-Count`` only with ``returnCount=true``.  Tokens are opaque
  (base64url JSON of the keyset position + a hash of path/where/orderBy); a token
  that does not decode or belongs to another query -> 400.
* ``where=<CEQL>`` evaluated in SQLite (``ceql_sql``); an unknown field or a
  malformed clause -> 400 ``Invalid where clause: ...``.  Sent gifts also accept
  the derived ``updated_at`` (latest status update, else created_at).
* ``orderBy=<field> [asc|desc]`` (default: id ascending; ties by id).

Quirk modelled: ``return-addresses`` filtered to nothing answers 404
``No return addresses found`` (some elements report an empty result as an error).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import re
import threading
import uuid
from dataclasses import dataclass, replace

from . import ceql_parse, ceql_sql
from .ceql_parse import CeqlError
from .ceql_sql import Binder, FieldRef, json_field
from .ratelimit import SlidingWindowLimiter
from .resources import BY_HUB_PATH, BY_OBJECT_NAME, MEMBERS, TOUCHES, Resource, field_paths
from .stats import Stats
from .store import Store
from .timefmt import format_utc_z, now_ms
from .web import Request, Response, json_response, raw_json

HUB_PREFIX = "/elements/api-v2"
RESOURCE_PREFIX = HUB_PREFIX + "/hubs/rewards"
DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 500
_DIGITS = re.compile(r"[0-9]{1,18}")
_ARRAYS_OF_SCALARS = {("ship_to_countries",)}


@dataclass(frozen=True)
class HubCredentials:
    user_secret: str
    organization_secret: str
    element_token: str


class RequestIds:
    """uuid-shaped request ids, deterministic in the order they are handed out."""

    def __init__(self, seed: int):
        self._seed = seed
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            n = next(self._counter)
        return str(uuid.UUID(bytes=hashlib.md5(f"{self._seed}/{n}".encode()).digest()))


def parse_authorization(value: str | None) -> dict[str, str] | None:
    if not value:
        return None
    found: dict[str, str] = {}
    for part in value.split(","):
        words = part.split(None, 1)
        if len(words) != 2:
            return None
        key, secret = words[0].lower(), words[1].strip()
        if key not in ("user", "organization", "element") or key in found or not secret:
            return None
        found[key] = secret
    return found if len(found) == 3 else None


class HubError(Exception):
    def __init__(self, status: int, message: str, provider_message: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.provider_message = provider_message


def make_resolver(resource: Resource):
    """Field path -> how to read it in SQL; unknown fields are an error (400)."""
    known = field_paths(resource)

    def resolve(path: tuple, bind: Binder) -> FieldRef:
        if path not in known:
            raise CeqlError(f"unknown field {'.'.join(path)!r} for {resource.object_name or resource.table}")
        if path in resource.virtual:
            column = resource.virtual[path]
            return FieldRef(
                value=column, type="'text'", real_text=column,
                ms_column=resource.ms_columns.get(path), always_text=True,
            )
        ref = json_field(path, bind)
        if path == ("id",):
            ref = replace(ref, int_column="id")
        if path in resource.ms_columns:
            ref = replace(ref, ms_column=resource.ms_columns[path])
        return ref

    return resolve


def _display_name(path: tuple) -> str:
    return " ".join(word.capitalize() for part in path for word in part.split("_"))


def metadata(resource: Resource) -> dict:
    fields = []
    for path, kind in field_paths(resource).items():
        fields.append(
            {
                "vendorPath": ".".join(path),
                "type": kind,
                "vendorDisplayName": _display_name(path),
                "vendorReadOnly": path[0] in resource.read_only,
                "vendorRequired": len(path) == 1 and path[0] in resource.required,
                "filterable": kind in ("string", "number", "boolean", "date") or path in _ARRAYS_OF_SCALARS,
            }
        )
    return {"fields": fields}


def _encode_token(payload: dict) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise HubError(400, "Invalid nextPage token") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int) or "q" not in payload:
        raise HubError(400, "Invalid nextPage token")
    value = payload.get("v")
    if value is not None and not isinstance(value, (int, float, str)):
        raise HubError(400, "Invalid nextPage token")
    return payload


def _keyset_condition(position: dict | None, sort_sql: str, descending: bool, bind: Binder) -> str:
    """SQL selecting the rows after the token's (sort value, id) position.

    Row values let SQLite range-scan an (s, id) index.  SQLite sorts NULL first, so
    ascending pages pass the NULLs first and descending ones last."""
    if position is None:
        return "1"
    if position.get("end"):
        return "0"
    last_v, last_id = position.get("v"), bind(position["i"])
    if sort_sql == "id":
        return f"id {'<' if descending else '>'} {last_id}"
    if descending:
        if last_v is None:
            return f"(s IS NULL AND id < {last_id})"
        return f"((s, id) < ({bind(last_v)}, {last_id}) OR s IS NULL)"
    if last_v is None:
        return f"((s IS NULL AND id > {last_id}) OR s IS NOT NULL)"
    return f"((s, id) > ({bind(last_v)}, {last_id}))"


class HubApi:
    def __init__(self, store: Store, credentials: HubCredentials, limiter: SlidingWindowLimiter,
                 stats: Stats, request_ids: RequestIds):
        self.store = store
        self.credentials = credentials
        self.limiter = limiter
        self.stats = stats
        self.request_ids = request_ids
        self._resolvers = {r.table: make_resolver(r) for r in BY_OBJECT_NAME.values()}

    def error(self, status: int, message: str, provider_message: str | None = None, headers=None) -> Response:
        body = {"message": message, "requestId": self.request_ids.next()}
        if provider_message is not None:
            body["providerMessage"] = provider_message
        return json_response(status, body, headers)

    def handle(self, req: Request) -> Response:
        auth = parse_authorization(req.header("authorization"))
        c = self.credentials
        if (
            auth is None
            or auth["user"] != c.user_secret
            or auth["organization"] != c.organization_secret
            or auth["element"] != c.element_token
        ):
            return self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
        admitted, _ = self.limiter.admit("element:" + auth["element"])
        if not admitted:
            return self.error(429, "Too many requests", "Too many requests", [("Retry-After", "1")])
        if req.method != "GET":
            return self.error(405, f"Method {req.method} not supported for this resource")
        if not req.path.startswith(RESOURCE_PREFIX + "/"):
            return self.error(404, "No resource found at this path")
        rel = req.path[len(RESOURCE_PREFIX) + 1:].strip("/")
        try:
            return self._route(req, rel)
        except HubError as exc:
            return self.error(exc.status, exc.message, exc.provider_message)

    def _route(self, req: Request, rel: str) -> Response:
        if rel == "ping":
            return json_response(200, {"dateTime": format_utc_z(now_ms()), "endpoint": "sendoso", "valid": True})
        if rel == "objects":
            return json_response(200, list(BY_OBJECT_NAME))
        if rel.startswith("objects/") and rel.endswith("/metadata"):
            resource = BY_OBJECT_NAME.get(rel[len("objects/"):-len("/metadata")])
            if resource is None:
                raise HubError(404, "No metadata found for this object")
            return json_response(200, metadata(resource))
        if rel == "me":
            return raw_json(200, self.store.page("me", 0, 1)[0])
        if rel in BY_HUB_PATH:
            return self._list(req, BY_HUB_PATH[rel], rel)
        parts = rel.split("/")
        if len(parts) == 3 and parts[0] == "groups" and parts[2] in ("members", "touches"):
            if not _DIGITS.fullmatch(parts[1]) or self.store.doc("groups", int(parts[1])) is None:
                raise HubError(404, "Group not found!", "Group not found!")
            resource = MEMBERS if parts[2] == "members" else TOUCHES
            return self._list(req, resource, rel, parent_id=int(parts[1]))
        for hub_path, resource in BY_HUB_PATH.items():
            if rel.startswith(hub_path + "/") and resource.table != "me":
                record_id = rel[len(hub_path) + 1:]
                if _DIGITS.fullmatch(record_id):
                    doc = self.store.doc(resource.table, int(record_id))  # as the provider answers
                    if doc is None:
                        name = resource.object_name.split("/")[-1].replace("-", " ").rstrip("s")
                        raise HubError(404, f"No {name} found with id {record_id}", "Not found")
                    return raw_json(200, doc)
        raise HubError(404, "No resource found at this path")

    # ---- lists ---------------------------------------------------------------------------
    def _page_size(self, req: Request) -> int:
        raw = req.arg("pageSize")
        if raw is None or raw == "":
            return DEFAULT_PAGE_SIZE
        if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise HubError(400, f"Invalid pageSize: must be an integer between 1 and {MAX_PAGE_SIZE}")
        return int(raw)

    def _list(self, req: Request, resource: Resource, rel: str, parent_id: int | None = None) -> Response:
        page_size = self._page_size(req)
        where = req.arg("where") or ""
        order_by = req.arg("orderBy") or ""
        if where:
            self.stats.record_where(where)
        bind = Binder()
        resolve = self._resolvers[resource.table]
        conditions = []
        if resource.table == "touches":
            conditions.append("pos IS NOT NULL")  # inactive touches are never listed
        if parent_id is not None:
            conditions.append(f"parent_id = {bind(parent_id)}")
        if where.strip():
            try:
                conditions.append(ceql_sql.translate(where, resolve, bind).sql)
            except CeqlError as exc:
                raise HubError(400, f"Invalid where clause: {exc}") from None
        sort_sql, descending = "id", False
        if order_by.strip():
            try:
                path, descending = ceql_parse.parse_order_by(order_by)
                ref = resolve(path, bind)
            except CeqlError as exc:
                raise HubError(400, f"Invalid orderBy: {exc}") from None
            sort_sql = ref.ms_column or ref.int_column or ref.value
        query_hash = hashlib.sha1("\0".join((rel, where, order_by)).encode()).hexdigest()[:16]
        filters = " AND ".join(conditions) or "1"
        token = req.arg("nextPage")
        position = None
        offset = 0
        if token:
            position = _decode_token(token)
            if position["q"] != query_hash:
                raise HubError(400, "Invalid nextPage token")
        elif req.arg("page"):
            raw_page = req.arg("page")
            if not _DIGITS.fullmatch(raw_page) or int(raw_page) < 1:
                raise HubError(400, "Invalid page: must be an integer >= 1")
            offset = (int(raw_page) - 1) * page_size
        keyset = _keyset_condition(position, sort_sql, descending, bind)
        direction = "DESC" if descending else "ASC"
        sql = (
            f"SELECT id, s, doc FROM (SELECT id, {sort_sql} AS s, doc FROM {resource.table} WHERE {filters})"
            f" WHERE {keyset} ORDER BY s {direction}, id {direction} LIMIT {bind(page_size)} OFFSET {bind(offset)}"
        )
        if sort_sql == "id":
            sql = (
                f"SELECT id, id, doc FROM {resource.table} WHERE {filters} AND {keyset}"
                f" ORDER BY id {direction} LIMIT {bind(page_size)} OFFSET {bind(offset)}"
            )
        rows = self.store.query_docs(sql, bind.params)
        if rows:
            last = rows[-1]
            next_token = _encode_token({"q": query_hash, "v": last[1], "i": last[0]})
        elif position is not None:
            next_token = token  # asking again gives the same empty page
        else:
            next_token = _encode_token({"q": query_hash, "i": 0, "end": True})
        if not rows and resource.table == "return_addresses" and where.strip() and position is None:
            raise HubError(404, "No return addresses found", "No return addresses found")
        headers = [("Elements-Next-Page-Token", next_token), ("Elements-Returned-Count", str(len(rows)))]
        if (req.arg("returnCount") or "").lower() == "true":
            total = self.store.scalar(f"SELECT count(*) FROM {resource.table} WHERE {filters}", bind.params)
            headers.append(("Elements-Total-Count", str(total)))
        response = raw_json(200, "[" + ",".join(r[2] for r in rows) + "]", headers)
        response.page_key = req.path
        return response
