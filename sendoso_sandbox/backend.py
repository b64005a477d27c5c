"""The Sendoso account every surface serves (moto's ``models.py``): its records, its OAuth
grants, the hub element in front of it, its rate limits and its request accounting.

The surfaces (direct.py, hub.py, control.py) parse a request, call methods of a
``SendosoBackend`` and shape the answer; the backend knows nothing of HTTP. Its records
live in the ``Store`` (all SQL is there and in ceql_sql.py).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import uuid
from dataclasses import dataclass, replace

from . import ceql_parse, ceql_sql
from .ceql_parse import CeqlError
from .ceql_sql import Binder, FieldRef, json_field
from .core.ratelimit import SlidingWindowLimiter
from .core.web import plain_number
from .data import PRODUCT_CATEGORIES, dumps
from .oauth import Client, OAuthServer, derive_secret
from .options import SandboxOptions
from .resources import BY_OBJECT_NAME, Resource, field_paths
from .stats import Stats
from .store import ListQuery, Position, Store, StoreError


@dataclass(frozen=True)
class HubCredentials:
    user_secret: str
    organization_secret: str
    element_token: str

    @property
    def authorization(self) -> str:
        """The hub's Authorization header for this element."""
        return f"User {self.user_secret}, Organization {self.organization_secret}, Element {self.element_token}"


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


class InvalidQuery(ValueError):
    """A hub ``where`` or ``orderBy`` the hub refuses; ``part`` says which."""

    def __init__(self, part: str, problem: CeqlError):
        super().__init__(str(problem))
        self.part = part


def make_resolver(resource: Resource):
    """Field path -> how to read it in SQL; unknown fields are an error (400)."""
    known = field_paths(resource)

    def resolve(path: tuple, bind: Binder) -> FieldRef:
        if path not in known:
            raise CeqlError(f"unknown field {'.'.join(path)!r} for {resource.object_name or resource.table}")
        if path in resource.virtual:
            column = resource.virtual[path]
            return FieldRef(
                value=column,
                type="'text'",
                real_text=column,
                ms_column=resource.ms_columns.get(path),
                always_text=True,
            )
        ref = json_field(path, bind)
        if path == ("id",):
            ref = replace(ref, int_column="id")
        if path in resource.ms_columns:
            ref = replace(ref, ms_column=resource.ms_columns[path])
        return ref

    return resolve


class SendosoBackend:
    def __init__(self, options: SandboxOptions):
        self.options = options
        self.store = Store(options.seed, options.scale, options.db_path)
        self.stats = Stats()
        self.oauth = OAuthServer(options.seed, options.token_ttl, options.rotate_refresh_tokens)
        self.oauth.on_token_issued = self.stats.record_token
        self.limiter = SlidingWindowLimiter(options.rate_limit)
        self.marketplace_limiter = SlidingWindowLimiter(options.marketplace_rate_limit, window_seconds=60.0)
        self.hub_credentials = HubCredentials(
            derive_secret(options.seed, "hub_user_secret"),
            derive_secret(options.seed, "hub_organization_secret"),
            derive_secret(options.seed, "hub_element_token"),
        )
        self.request_ids = RequestIds(options.seed)
        self._resolvers = {r.table: make_resolver(r) for r in BY_OBJECT_NAME.values()}

    def close(self) -> None:
        self.store.close()

    def reset(self) -> None:
        """Seeded records, no stats, the start-up grant, empty rate-limit windows."""
        self.store.reset()
        self.stats.clear()
        self.oauth.reset()
        self.limiter.clear()
        self.marketplace_limiter.clear()

    # ---- what a connector needs to reach this account ----------------------------------
    def info(self, url: str) -> dict:
        """The JSON line ``serve`` prints: the URL, a live access token and connector configs."""
        rps = plain_number(self.options.rate_limit)
        c = self.hub_credentials
        configs = {
            "sendoso": {
                "backend": {
                    "backend_type": "sendoso",
                    "client_id": self.oauth.client.client_id,
                    "client_secret": self.oauth.client.secret,
                    "refresh_token": self.oauth.initial_refresh_token,
                    "api_url": f"{url}/api/v3",
                    "token_url": f"{url}/oauth/token",
                },
                "requests_per_second": rps,
            },
            "cloud_elements": {
                "backend": {
                    "backend_type": "cloud_elements",
                    "base_url": f"{url}/elements/api-v2",
                    "user_secret": c.user_secret,
                    "organization_secret": c.organization_secret,
                    "element_token": c.element_token,
                },
                "requests_per_second": rps,
            },
        }
        return {"url": url, "access_token": self.oauth.initial_access_token, "configs": configs}

    # ---- who is asking ------------------------------------------------------------------------
    def bearer_client(self, authorization: str | None) -> tuple[Client | None, str | None]:
        """(client, None) for a live access token, else (None, why not)."""
        return self.oauth.authenticate(authorization)

    def is_hub_element(self, user: str, organization: str, element: str) -> bool:
        c = self.hub_credentials
        return (user, organization, element) == (c.user_secret, c.organization_secret, c.element_token)

    def admit(self, client_key: str) -> bool:
        """Counts a request against the client's rate limit; False when over it."""
        return self.limiter.admit(client_key)[0]

    def admit_marketplace(self, client_id: str) -> tuple[bool, float]:
        """(admitted, seconds until the marketplace window frees a slot)."""
        return self.marketplace_limiter.admit(client_id)

    # ---- records ------------------------------------------------------------------------------
    def me(self) -> str:
        return self.store.page("me", 0, 1)[0]

    def listed(self, table: str, offset: int, limit: int) -> tuple[int, list[str]]:
        """(how many records the table lists, the docs at [offset, offset + limit))."""
        total = self.store.counts[table]
        return total, (self.store.page(table, offset, limit) if offset < total else [])

    def listed_matching(self, table: str, field: str, value: str, offset: int, limit: int) -> tuple[int, list[str]]:
        return self.store.listed_matching(table, field, value, offset, limit)

    def record(self, table: str, record_id: int) -> str | None:
        return self.store.doc(table, record_id)

    def group_members(self, group_id: int) -> list[str] | None:
        """The members of a group, by id; None when there is no such group."""
        if self.store.doc("groups", group_id) is None:
            return None
        return self.store.children("members", group_id)

    def products_after(self, after_id: int, limit: int) -> list[tuple[int, str]]:
        return self.store.after_id("products", after_id, limit)

    def product_categories(self) -> str:
        """The marketplace's categories, as JSON."""
        return dumps(list(PRODUCT_CATEGORIES))

    # ---- hub lists ----------------------------------------------------------------------------
    def hub_query(self, resource: Resource, where: str, order_by: str, parent_id: int | None = None) -> ListQuery:
        """The rows a hub list shows; ``InvalidQuery`` for a where or orderBy the hub refuses."""
        if where:
            self.stats.record_where(where)
        bind = Binder()
        resolve = self._resolvers[resource.table]
        query = ListQuery(resource.table, [], bind)
        if resource.table == "touches":
            query.conditions.append("pos IS NOT NULL")  # inactive touches are never listed
        if parent_id is not None:
            query.conditions.append(f"parent_id = {bind(parent_id)}")
        if where.strip():
            try:
                query.conditions.append(ceql_sql.translate(where, resolve, bind).sql)
            except CeqlError as exc:
                raise InvalidQuery("where", exc) from None
        if order_by.strip():
            try:
                path, query.descending = ceql_parse.parse_order_by(order_by)
                ref = resolve(path, bind)
            except CeqlError as exc:
                raise InvalidQuery("orderBy", exc) from None
            query.sort = ref.ms_column or ref.int_column or ref.value
        return query

    def hub_rows(self, query: ListQuery, after: Position | None, offset: int, limit: int) -> list[tuple]:
        """(id, sort value, doc) of one page."""
        return self.store.list_rows(query, after, offset, limit)

    def hub_total(self, query: ListQuery) -> int:
        return self.store.count_rows(query)

    # ---- changes made through the control surface --------------------------------------------
    def record_counts(self) -> dict[str, int]:
        return self.store.record_counts()

    def is_sends(self, resource: str) -> bool:
        """Whether a resource name (table, hub path or stream name) means the sends; StoreError if unknown."""
        return self.store.resolve_table(resource) == "sends"

    def mutate(self, resource: str, count: int = 1, ids: list[int] | None = None) -> list[int]:
        return self.store.mutate(resource, count, ids=ids)

    def create_sends(self, count: int) -> list[int]:
        return self.store.create_sends(count)

    def revoke_access_tokens(self) -> None:
        self.oauth.revoke_access_tokens()

    def revoke_refresh_tokens(self) -> None:
        self.oauth.revoke_refresh_tokens()

    def set_scopes(self, scopes: list[str]) -> None:
        self.oauth.set_scopes(scopes)


__all__ = ["HubCredentials", "InvalidQuery", "Position", "RequestIds", "SendosoBackend", "StoreError"]
