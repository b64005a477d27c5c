"""Sendoso Core API v3 under ``/api/v3``: parse the request, ask the backend, shape the answer.

Order of checks for every request: bearer token (401), then the per-client rate
limit (429, only admitted requests count), then the method (405: the API is
read-only here), then the route (urls.DIRECT_ROUTES; 404 when none).  Lists page
with ``page`` (from 1) and ``per_page`` (default 25, at most 100): anything else is a
400, a page past the end is an empty list.  Bodies carry ``current_page``,
``per_page`` and the endpoint's own total name.  ``/send`` lists newest first
(created_at desc, id desc); everything else by id.
"""

from __future__ import annotations

import base64
import binascii
import time

from . import params
from .backend import SendosoBackend
from .core.routing import RouteTable
from .core.web import Request, Response, json_response, raw_json
from .oauth import Client
from .params import BadArgument

PREFIX = "/api/v3"
MARKETPLACE_PAGE_SIZE = 20
_CURSOR_PREFIX = "product:"


def error(status: int, message: str, headers=None) -> Response:
    return json_response(status, {"success": False, "message": message}, headers)


def fault_answer(status: int, phrase: str) -> Response:
    """An injected error status, in this API's error shape."""
    return error(status, phrase)


class DirectApi:
    def __init__(self, backend: SendosoBackend, routes: RouteTable):
        self.backend = backend
        self.routes = routes

    def dispatch(self, req: Request) -> Response:
        client, problem = self.backend.bearer_client(req.header("authorization"))
        if client is None:
            return error(401, problem or "The access token is invalid")
        if not self.backend.admit(client.client_id):
            return error(429, "Too many requests")  # no Retry-After: none documented
        if req.method != "GET":
            return error(405, "Method not allowed")
        found = self.routes.find(req.method, req.path[len(PREFIX) :].rstrip("/") or "/")
        if found is None:
            return error(404, "Not found")
        handler, args = found
        try:
            return handler(self, req, client, **args)
        except BadArgument as exc:
            return error(400, str(exc))

    # ---- handlers (urls.DIRECT_ROUTES) -------------------------------------------------------
    def me(self, req: Request, client: Client) -> Response:
        return raw_json(200, self.backend.me())

    def users(self, req: Request, client: Client) -> Response:
        return self._list(req, "users", "total_users", "users")

    def groups(self, req: Request, client: Client) -> Response:
        return self._list(req, "groups", "total_groups", "groups")

    def touches(self, req: Request, client: Client) -> Response:
        return self._list(req, "touches", "total_posts", "touches", by_field="delivery_type")

    def sends(self, req: Request, client: Client) -> Response:
        return self._list(req, "sends", "total_count", "sends")

    def _list(self, req: Request, table: str, total_name: str, list_name: str, by_field: str | None = None) -> Response:
        page, per_page = params.direct_paging(req)
        offset = (page - 1) * per_page
        wanted = req.arg(by_field) if by_field else None
        if by_field and wanted is not None:
            total, docs = self.backend.listed_matching(table, by_field, wanted, offset, per_page)
        else:
            total, docs = self.backend.listed(table, offset, per_page)
        body = f'{{"current_page":{page},"per_page":{per_page},"{total_name}":{total},"{list_name}":[{",".join(docs)}]}}'
        response = raw_json(200, body)
        response.page_key = req.path
        return response

    def group_members(self, req: Request, client: Client, group_id: str) -> Response:
        group = params.record_id(group_id)
        members = self.backend.group_members(group) if group is not None else None
        if members is None:
            return json_response(404, {"message": "Group not found!"})
        return raw_json(200, "[" + ",".join(members) + "]")

    def touch(self, req: Request, client: Client, touch_id: str) -> Response:
        record = params.record_id(touch_id)
        doc = self.backend.record("touches", record) if record is not None else None
        if doc is None:
            return error(404, "Touch not found")
        return raw_json(200, f'{{"success":true,"touch":{doc}}}')

    # ---- marketplace (cursor paging, own scope and rate limit) ---------------------------
    def marketplace_products(self, req: Request, client: Client) -> Response:
        if "marketplace" not in client.scopes:
            return error(403, "The access token does not have the required scope: marketplace")
        admitted, reset_in = self.backend.admit_marketplace(client.client_id)
        # X-Rate-Limit-Reset: the epoch second at which the current window frees up.
        reset_header = [("X-Rate-Limit-Reset", str(int(time.time() + reset_in + 0.999)))]
        if not admitted:
            return error(429, "Too many requests", reset_header)
        after_id = 0
        cursor = req.arg("after")
        if cursor:
            decoded = _decode_cursor(cursor)
            if decoded is None:
                return error(400, "Invalid cursor", reset_header)
            after_id = decoded
        rows = self.backend.products_after(after_id, MARKETPLACE_PAGE_SIZE + 1)
        more = len(rows) > MARKETPLACE_PAGE_SIZE
        rows = rows[:MARKETPLACE_PAGE_SIZE]
        if more:
            next_cursor = _encode_cursor(rows[-1][0])
            pagination = (
                f'{{"after":"{next_cursor}","next_page":{{"url":"{req.base_url}{PREFIX}/marketplace/products?after={next_cursor}"}}}}'
            )
        else:
            pagination = '{"after":null,"next_page":null}'
        categories = self.backend.product_categories()
        body = f'{{"pagination":{pagination},"categories":{categories},"products":[{",".join(r[1] for r in rows)}]}}'
        response = raw_json(200, body, reset_header)
        response.page_key = req.path
        return response


def _encode_cursor(product_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{product_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not decoded.startswith(_CURSOR_PREFIX):
        return None
    return params.record_id(decoded[len(_CURSOR_PREFIX) :])
