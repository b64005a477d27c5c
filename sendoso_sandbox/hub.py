"""The Cloud Elements / SAP Open Connectors "Sendoso element" under ``/elements/api-v2``:
parse the request, ask the backend, shape the answer. Paths: urls.HUB_ROUTES.

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
import json

from . import params
from .backend import InvalidQuery, Position, SendosoBackend
from .core.routing import RouteTable
from .core.web import Request, Response, json_response, raw_json
from .params import BadArgument
from .resources import BY_HUB_PATH, BY_OBJECT_NAME, MEMBERS, TOUCHES, Resource, field_paths
from .timefmt import format_utc_z, now_ms

PREFIX = "/elements/api-v2"
RESOURCE_PREFIX = PREFIX + "/hubs/rewards"
_ARRAYS_OF_SCALARS = {("ship_to_countries",)}


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


class HubApi:
    def __init__(self, backend: SendosoBackend, routes: RouteTable):
        self.backend = backend
        self.routes = routes

    def error(self, status: int, message: str, provider_message: str | None = None, headers=None) -> Response:
        body = {"message": message, "requestId": self.backend.request_ids.next()}
        if provider_message is not None:
            body["providerMessage"] = provider_message
        return json_response(status, body, headers)

    def fault_answer(self, status: int, phrase: str) -> Response:
        """An injected error status, in the hub's error shape (a 429 says when to retry)."""
        headers = [("Retry-After", "1")] if status == 429 else []
        return self.error(status, phrase, phrase, headers)

    def dispatch(self, req: Request) -> Response:
        auth = parse_authorization(req.header("authorization"))
        if auth is None or not self.backend.is_hub_element(auth["user"], auth["organization"], auth["element"]):
            return self.error(401, "Invalid Organization or User secret, or invalid Element token provided.")
        if not self.backend.admit("element:" + auth["element"]):
            return self.error(429, "Too many requests", "Too many requests", [("Retry-After", "1")])
        if req.method != "GET":
            return self.error(405, f"Method {req.method} not supported for this resource")
        found = None
        if req.path.startswith(RESOURCE_PREFIX + "/"):
            found = self.routes.find(req.method, req.path[len(RESOURCE_PREFIX) + 1 :].strip("/"))
        if found is None:
            return self.error(404, "No resource found at this path")
        handler, args = found
        try:
            return handler(self, req, **args)
        except BadArgument as exc:
            return self.error(400, str(exc))
        except HubError as exc:
            return self.error(exc.status, exc.message, exc.provider_message)

    # ---- handlers (urls.HUB_ROUTES) ------------------------------------------------------
    def ping(self, req: Request) -> Response:
        return json_response(200, {"dateTime": format_utc_z(now_ms()), "endpoint": "sendoso", "valid": True})

    def objects(self, req: Request) -> Response:
        return json_response(200, list(BY_OBJECT_NAME))

    def object_metadata(self, req: Request, name: str | None) -> Response:
        resource = BY_OBJECT_NAME.get(name or "")
        if resource is None:
            raise HubError(404, "No metadata found for this object")
        return json_response(200, metadata(resource))

    def me(self, req: Request) -> Response:
        return raw_json(200, self.backend.me())

    def records(self, req: Request, hub_path: str) -> Response:
        return self._list(req, BY_HUB_PATH[hub_path], hub_path)

    def group_records(self, req: Request, group_id: str, child: str) -> Response:
        group = params.record_id(group_id)
        if group is None or self.backend.record("groups", group) is None:
            raise HubError(404, "Group not found!", "Group not found!")
        resource = MEMBERS if child == "members" else TOUCHES
        return self._list(req, resource, f"groups/{group_id}/{child}", parent_id=group)

    def record(self, req: Request, hub_path: str, record_id: str) -> Response:
        resource = BY_HUB_PATH[hub_path]
        doc = self.backend.record(resource.table, int(record_id))  # as the provider answers
        if doc is None:
            name = (resource.object_name or resource.table).split("/")[-1].replace("-", " ").rstrip("s")
            raise HubError(404, f"No {name} found with id {record_id}", "Not found")
        return raw_json(200, doc)

    def _list(self, req: Request, resource: Resource, rel: str, parent_id: int | None = None) -> Response:
        page_size = params.hub_page_size(req)
        where = req.arg("where") or ""
        order_by = req.arg("orderBy") or ""
        try:
            query = self.backend.hub_query(resource, where, order_by, parent_id)
        except InvalidQuery as exc:
            part = "where clause" if exc.part == "where" else "orderBy"
            raise HubError(400, f"Invalid {part}: {exc}") from None
        query_hash = hashlib.sha1("\0".join((rel, where, order_by)).encode()).hexdigest()[:16]
        token = req.arg("nextPage") or ""
        position = None
        offset = 0
        if token:
            payload = _decode_token(token)
            if payload["q"] != query_hash:
                raise HubError(400, "Invalid nextPage token")
            position = Position(payload.get("v"), payload["i"], bool(payload.get("end")))
        else:
            offset = params.hub_page_offset(req, page_size)
        rows = self.backend.hub_rows(query, position, offset, page_size)
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
            headers.append(("Elements-Total-Count", str(self.backend.hub_total(query))))
        response = raw_json(200, "[" + ",".join(r[2] for r in rows) + "]", headers)
        response.page_key = req.path
        return response
