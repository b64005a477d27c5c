"""Builders for the Sendoso element of Cloud Elements / SAP Open Connectors (the hub)."""

from __future__ import annotations

import copy
import json
from typing import Any, Dict, List, Mapping, Optional

from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse

HUB_URL = "https://api.cloud-elements.com/elements/api-v2"
USER_SECRET = "test-user-secret"
ORGANIZATION_SECRET = "test-org-secret"
ELEMENT_TOKEN = "test-element-token"
AUTHORIZATION = f"User {USER_SECRET}, Organization {ORGANIZATION_SECRET}, Element {ELEMENT_TOKEN}"
NEXT_PAGE_HEADER = "Elements-Next-Page-Token"


class HubConfigBuilder:
    def __init__(self) -> None:
        self._config: Dict[str, Any] = {
            "backend": {
                "backend_type": "cloud_elements",
                "user_secret": USER_SECRET,
                "organization_secret": ORGANIZATION_SECRET,
                "element_token": ELEMENT_TOKEN,
                "page_size": 2,
            },
            "requests_per_second": 0,
        }

    def with_stream_filter(self, stream: str, where: str) -> "HubConfigBuilder":
        self._config.setdefault("stream_filters", []).append({"stream": stream, "where": where})
        return self

    def with_start_date(self, start_date: str) -> "HubConfigBuilder":
        self._config["start_date"] = start_date
        return self

    def with_max_concurrent_requests(self, requests: int) -> "HubConfigBuilder":
        self._config["max_concurrent_requests"] = requests
        return self

    def build(self) -> Dict[str, Any]:
        return copy.deepcopy(self._config)


def hub_request(
    resource: str, next_page: Optional[str] = None, where: Optional[str] = None, page_size: int = 2, page: Optional[int] = None
) -> HttpRequest:
    query: Dict[str, str] = {"pageSize": str(page_size)}
    if next_page is not None:
        query["nextPage"] = next_page
    if page is not None:
        query["page"] = str(page)
    if where is not None:
        query["where"] = where
    return HttpRequest(url=f"{HUB_URL}/hubs/rewards{resource}", query_params=query, headers={"Authorization": AUTHORIZATION})


def hub_page(records: List[Mapping[str, Any]], next_page_token: str = "token-after") -> HttpResponse:
    """A list page: a plain array, and a next-page token even when no page follows."""
    return HttpResponse(json.dumps(list(records)), 200, {NEXT_PAGE_HEADER: next_page_token, "Elements-Returned-Count": str(len(records))})


def hub_error(status: int, message: str, provider_message: Optional[str] = None) -> HttpResponse:
    body = {"message": message, "requestId": "5f2b-test"}
    if provider_message is not None:
        body["providerMessage"] = provider_message
    return HttpResponse(json.dumps(body), status)


def hub_me_request() -> HttpRequest:
    """`GET /me`, the request `check` makes: one object, no paging."""
    return HttpRequest(url=f"{HUB_URL}/hubs/rewards/me", headers={"Authorization": AUTHORIZATION})


def objects_request() -> HttpRequest:
    return HttpRequest(url=f"{HUB_URL}/hubs/rewards/objects", headers={"Authorization": AUTHORIZATION})


def metadata_request(object_name: str) -> HttpRequest:
    return HttpRequest(url=f"{HUB_URL}/hubs/rewards/objects/{object_name}/metadata", headers={"Authorization": AUTHORIZATION})


def objects_response(names: List[str]) -> HttpResponse:
    return HttpResponse(json.dumps(names), 200)


def metadata_response(fields: Mapping[str, str]) -> HttpResponse:
    """The hub's object metadata: one entry per field, with the hub's type name."""
    return HttpResponse(
        json.dumps(
            {
                "fields": [
                    {"vendorPath": path, "type": kind, "vendorDisplayName": path, "vendorReadOnly": True, "vendorRequired": False}
                    for path, kind in fields.items()
                ]
            }
        ),
        200,
    )


def mock_only_named_objects(http_mocker: Any) -> None:
    """The hub lists only objects that have named streams: no generic streams are made."""
    http_mocker.get(objects_request(), objects_response(["users", "groups", "touches", "sent-gifts"]))
