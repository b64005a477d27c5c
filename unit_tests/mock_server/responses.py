from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional

from airbyte_cdk.test.mock_http import HttpResponse

from .requests import ACCESS_TOKEN

# Each paged list names its records and its total differently (reference, "Pagination").
LIST_KEYS = {
    "/users": ("users", "total_users"),
    "/groups": ("groups", "total_groups"),
    "/touches": ("touches", "total_posts"),
    "/send": ("sends", "total_count"),
}


def token_response(access_token: str = ACCESS_TOKEN, expires_in: int = 7200, refresh_token: Optional[str] = None) -> HttpResponse:
    body: Dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": "public marketplace",
        "created_at": 1_700_000_000,
    }
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    return HttpResponse(json.dumps(body), 200)


def page_response(
    path: str, records: List[Mapping[str, Any]], page: int = 1, per_page: int = 100, total: Optional[int] = None
) -> HttpResponse:
    records_key, total_key = LIST_KEYS[path]
    body = {
        "current_page": page,
        "per_page": per_page,
        total_key: total if total is not None else len(records),
        records_key: list(records),
    }
    return HttpResponse(json.dumps(body), 200)


def json_response(body: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
    return HttpResponse(json.dumps(body), status, headers or {})


def error_response(status: int, message: str) -> HttpResponse:
    """Sendoso's error shape."""
    return json_response({"success": False, "message": message}, status)


def members_response(members: List[Mapping[str, Any]]) -> HttpResponse:
    """`/groups/{id}/members` answers with a plain JSON array."""
    return json_response(list(members))


def products_response(products: List[Mapping[str, Any]], after: Optional[str] = None) -> HttpResponse:
    """A marketplace page: `pagination.after` and `next_page` only when another page follows."""
    pagination: Dict[str, Any] = {"after": after, "next_page": None}
    if after is not None:
        pagination["next_page"] = {"url": f"https://app.sendoso.com/api/v3/marketplace/products?after={after}"}
    return json_response({"pagination": pagination, "categories": [{"id": 1, "name": "Snacks"}], "products": list(products)})


def token_error_response(
    error: str = "invalid_grant", status: int = 400, description: str = "The provided authorization grant is invalid, expired, revoked."
) -> HttpResponse:
    """The token endpoint's OAuth error shape (RFC 6749 section 5.2)."""
    return json_response({"error": error, "error_description": description}, status)
