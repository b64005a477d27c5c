"""Sendoso Core API v3 under ``/api/v3``.

Order of checks for every request: bearer token (401), then the per-client rate
limit (429, only admitted requests count), then the route.  Lists page with
``page`` (from 1) and ``per_page`` (default 25, at most 100): anything else is a
400, a page past the end is an empty list.  Bodies carry ``current_page``,
``per_page`` and the endpoint's own total name.  ``/send`` lists newest first
(created_at desc, id desc); everything else by id.
"""

from __future__ import annotations

import base64
import binascii
import re
import time

from .data import PRODUCT_CATEGORIES, dumps
from .oauth import OAuthServer
from .ratelimit import SlidingWindowLimiter
from .store import Store
from .web import Request, Response, json_response, raw_json

PREFIX = "/api/v3"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MARKETPLACE_PAGE_SIZE = 20
_DIGITS = re.compile(r"[0-9]{1,18}")

# path -> (table, total field, list field)
LISTS = {
    "/users": ("users", "total_users", "users"),
    "/groups": ("groups", "total_groups", "groups"),
    "/touches": ("touches", "total_posts", "touches"),
    "/send": ("sends", "total_count", "sends"),
}


def error(status: int, message: str, headers=None) -> Response:
    return json_response(status, {"success": False, "message": message}, headers)


class BadRequest(Exception):
    pass


def _positive_int(raw: str | None, name: str, default: int, maximum: int | None = None) -> int:
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw):
        raise BadRequest(f"{name} must be a positive integer")
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" between 1 and {maximum}" if maximum else " >= 1"
        raise BadRequest(f"{name} must be an integer{limit}")
    return value


class DirectApi:
    def __init__(
        self,
        store: Store,
        oauth: OAuthServer,
        limiter: SlidingWindowLimiter,
        marketplace_limiter: SlidingWindowLimiter,
    ):
        self.store = store
        self.oauth = oauth
        self.limiter = limiter
        self.marketplace_limiter = marketplace_limiter

    def handle(self, req: Request) -> Response:
        client, problem = self.oauth.authenticate(req.header("authorization"))
        if client is None:
            return error(401, problem)
        admitted, _ = self.limiter.admit(client.client_id)
        if not admitted:
            return error(429, "Too many requests")  # no Retry-After: none documented
        path = req.path[len(PREFIX):].rstrip("/") or "/"
        if req.method != "GET":
            return error(405, "Method not allowed")
        try:
            if path == "/me":
                return raw_json(200, self.store.page("me", 0, 1)[0])
            if path in LISTS:
                return self._list(req, path)
            parts = path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "groups" and parts[2] == "members":
                return self._members(parts[1])
            if len(parts) == 2 and parts[0] == "touches":
                return self._touch(parts[1])
            if path == "/marketplace/products":
                return self._products(req, client)
        except BadRequest as exc:
            return error(400, str(exc))
        return error(404, "Not found")

    def _list(self, req: Request, path: str) -> Response:
        table, total_name, list_name = LISTS[path]
        page = _positive_int(req.arg("page"), "page", 1)
        per_page = _positive_int(req.arg("per_page"), "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
        offset = (page - 1) * per_page
        delivery_type = req.arg("delivery_type") if path == "/touches" else None
        if delivery_type is not None:
            total = self.store.scalar(
                "SELECT count(*) FROM touches WHERE pos IS NOT NULL AND json_extract(doc, '$.delivery_type') = ?",
                (delivery_type,),
            )
            docs = [
                r[0]
                for r in self.store.query_docs(
                    "SELECT doc FROM touches WHERE pos IS NOT NULL AND json_extract(doc, '$.delivery_type') = ?"
                    " ORDER BY pos LIMIT ? OFFSET ?",
                    (delivery_type, per_page, offset),
                )
            ] if offset < total else []
        else:
            total = self.store.counts[table]
            docs = self.store.page(table, offset, per_page) if offset < total else []
        body = (
            f'{{"current_page":{page},"per_page":{per_page},"{total_name}":{total},'
            f'"{list_name}":[{",".join(docs)}]}}'
        )
        response = raw_json(200, body)
        response.page_key = req.path
        return response

    def _members(self, raw_id: str) -> Response:
        if not _DIGITS.fullmatch(raw_id) or self.store.doc("groups", int(raw_id)) is None:
            return json_response(404, {"message": "Group not found!"})
        rows = self.store.query_docs("SELECT doc FROM members WHERE parent_id = ? ORDER BY id", (int(raw_id),))
        return raw_json(200, "[" + ",".join(r[0] for r in rows) + "]")

    def _touch(self, raw_id: str) -> Response:
        doc = self.store.doc("touches", int(raw_id)) if _DIGITS.fullmatch(raw_id) else None
        if doc is None:
            return error(404, "Touch not found")
        return raw_json(200, f'{{"success":true,"touch":{doc}}}')

    # ---- marketplace (cursor paging, own scope and rate limit) ---------------------------
    def _products(self, req: Request, client) -> Response:
        if "marketplace" not in client.scopes:
            return error(403, "The access token does not have the required scope: marketplace")
        admitted, reset_in = self.marketplace_limiter.admit(client.client_id)
        # X-Rate-Limit-Reset: the epoch second at which the current window frees up.
        reset_header = [("X-Rate-Limit-Reset", str(int(time.time() + reset_in + 0.999)))]
        if not admitted:
            return error(429, "Too many requests", reset_header)
        after_id = 0
        cursor = req.arg("after")
        if cursor:
            try:
                decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            except (binascii.Error, ValueError, UnicodeDecodeError):
                decoded = ""
            if not decoded.startswith("product:") or not _DIGITS.fullmatch(decoded[8:]):
                return error(400, "Invalid cursor", reset_header)
            after_id = int(decoded[8:])
        rows = self.store.query_docs(
            "SELECT id, doc FROM products WHERE id > ? ORDER BY id LIMIT ?", (after_id, MARKETPLACE_PAGE_SIZE + 1)
        )
        more = len(rows) > MARKETPLACE_PAGE_SIZE
        rows = rows[:MARKETPLACE_PAGE_SIZE]
        if more:
            next_cursor = base64.urlsafe_b64encode(f"product:{rows[-1][0]}".encode()).decode().rstrip("=")
            pagination = (
                f'{{"after":"{next_cursor}","next_page":{{"url":"{req.base_url}{PREFIX}/marketplace/products'
                f'?after={next_cursor}"}}}}'
            )
        else:
            pagination = '{"after":null,"next_page":null}'
        body = f'{{"pagination":{pagination},"categories":{dumps(list(PRODUCT_CATEGORIES))},"products":[{",".join(r[1] for r in rows)}]}}'
        response = raw_json(200, body, reset_header)
        response.page_key = req.path
        return response
