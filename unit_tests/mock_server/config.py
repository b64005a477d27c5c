from __future__ import annotations

import copy
from typing import Any, Dict

API_URL = "https://app.sendoso.com/api/v3"
TOKEN_URL = "https://app.sendoso.com/oauth/token"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
REFRESH_TOKEN = "test-refresh-token"


class ConfigBuilder:
    """A valid direct-backend config; each `with_*` changes one thing."""

    def __init__(self) -> None:
        self._config: Dict[str, Any] = {
            "backend": {
                "backend_type": "sendoso",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN,
            },
            # Unit tests are about behaviour, not pacing: no client-side rate limit.
            "requests_per_second": 0,
        }

    def with_backend(self, **fields: Any) -> "ConfigBuilder":
        self._config["backend"].update(fields)
        return self

    def with_start_date(self, start_date: str) -> "ConfigBuilder":
        self._config["start_date"] = start_date
        return self

    def with_per_page(self, per_page: int) -> "ConfigBuilder":
        self._config["per_page"] = per_page
        return self

    def with_max_concurrent_requests(self, requests: int) -> "ConfigBuilder":
        self._config["max_concurrent_requests"] = requests
        return self

    def with_stream_filter(self, stream: str, where: str) -> "ConfigBuilder":
        self._config.setdefault("stream_filters", []).append({"stream": stream, "where": where})
        return self

    def with_field(self, key: str, value: Any) -> "ConfigBuilder":
        self._config[key] = value
        return self

    def build(self) -> Dict[str, Any]:
        return copy.deepcopy(self._config)
