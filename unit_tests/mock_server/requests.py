from __future__ import annotations

from typing import Any, Dict, Optional
from urllib.parse import urlencode

from airbyte_cdk.test.mock_http import HttpRequest

from .config import API_URL, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, TOKEN_URL

ACCESS_TOKEN = "test-access-token"


def token_request(refresh_token: str = REFRESH_TOKEN, url: str = TOKEN_URL) -> HttpRequest:
    """The refresh-token grant, form-encoded, exactly as Sendoso's token endpoint takes it."""
    body = urlencode(
        {
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh_token,
        }
    )
    return HttpRequest(url=url, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})


class SendosoRequestBuilder:
    """A GET on the Sendoso API v3, with the query and headers the connector must send."""

    @classmethod
    def endpoint(cls, path: str) -> "SendosoRequestBuilder":
        return cls(path)

    def __init__(self, path: str) -> None:
        self._path = path
        self._query: Dict[str, Any] = {}
        self._access_token = ACCESS_TOKEN
        self._base_url = API_URL

    def with_base_url(self, base_url: str) -> "SendosoRequestBuilder":
        """Config `backend.api_url` (Sendoso's staging host, a local sandbox)."""
        self._base_url = base_url
        return self

    def with_page(self, page: Optional[int]) -> "SendosoRequestBuilder":
        if page is not None:
            self._query["page"] = str(page)
        return self

    def with_per_page(self, per_page: int) -> "SendosoRequestBuilder":
        self._query["per_page"] = str(per_page)
        return self

    def with_query(self, **params: Any) -> "SendosoRequestBuilder":
        self._query.update({key: str(value) for key, value in params.items()})
        return self

    def with_access_token(self, access_token: str) -> "SendosoRequestBuilder":
        self._access_token = access_token
        return self

    def build(self) -> HttpRequest:
        return HttpRequest(
            url=f"{self._base_url}{self._path}",
            query_params=self._query or None,
            headers={"Authorization": f"Bearer {self._access_token}"},
        )


def list_request(path: str, page: Optional[int] = None, per_page: int = 100) -> HttpRequest:
    """A page of a paged list; the first page is asked for without `page`."""
    return SendosoRequestBuilder.endpoint(path).with_per_page(per_page).with_page(page).build()


def me_request() -> HttpRequest:
    """`GET /me`: a single object, no paging parameters."""
    return SendosoRequestBuilder.endpoint("/me").build()


def members_request(group_id: int) -> HttpRequest:
    """`GET /groups/{id}/members`: a plain array, no paging parameters."""
    return SendosoRequestBuilder.endpoint(f"/groups/{group_id}/members").build()


def products_request(after: Optional[str] = None) -> HttpRequest:
    """`GET /marketplace/products`, cursor-paged with `after` from the second page on."""
    builder = SendosoRequestBuilder.endpoint("/marketplace/products")
    if after is not None:
        builder.with_query(after=after)
    return builder.build()
