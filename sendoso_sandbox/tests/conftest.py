"""Shared fixtures: in-process sandboxes (fast) and a small HTTP client."""

from __future__ import annotations

import pytest
import requests

from sendoso_sandbox import Sandbox


class Client:
    """Talks to one sandbox with the credentials it hands out."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.session = requests.Session()
        self.url = sandbox.url
        self.api_url = sandbox.configs["sendoso"]["backend"]["api_url"]
        self.hub_url = sandbox.configs["cloud_elements"]["backend"]["base_url"] + "/hubs/rewards"
        self.token = sandbox.access_token

    def direct(self, path: str, params=None, token: str | None = None, headers=None) -> requests.Response:
        h = {"Authorization": f"Bearer {token or self.token}"}
        h.update(headers or {})
        return self.session.get(self.api_url + path, params=params, headers=h, timeout=30)

    def hub(self, path: str, params=None, authorization: str | None = None) -> requests.Response:
        h = {"Authorization": authorization if authorization is not None else self.sandbox.hub_authorization}
        return self.session.get(self.hub_url + path, params=params, headers=h, timeout=30)

    def hub_all(self, path: str, params=None) -> tuple[list[dict], int]:
        """Follow nextPage tokens until an empty page; (records, pages fetched)."""
        params = dict(params or {})
        records, pages = [], 0
        while True:
            r = self.hub(path, params)
            assert r.status_code == 200, r.text
            pages += 1
            page = r.json()
            if not page:
                return records, pages
            records.extend(page)
            params["nextPage"] = r.headers["Elements-Next-Page-Token"]

    def control(self, method: str, path: str, body=None) -> requests.Response:
        return self.session.request(method, self.url + "/_sandbox" + path, json=body, timeout=30)

    def token_request(self, **form) -> requests.Response:
        return self.session.post(self.url + "/oauth/token", data=form, timeout=30)

    def refresh_form(self, **overrides) -> dict:
        backend = self.sandbox.configs["sendoso"]["backend"]
        form = {
            "grant_type": "refresh_token",
            "client_id": backend["client_id"],
            "client_secret": backend["client_secret"],
            "refresh_token": backend["refresh_token"],
        }
        form.update(overrides)
        return form


@pytest.fixture(scope="session")
def shared_sandbox():
    """Unlimited rate, default shapes; tests that change state reset it afterwards."""
    with Sandbox(seed=7, scale=1000, rate_limit=0) as sb:
        yield sb


@pytest.fixture
def client(shared_sandbox):
    c = Client(shared_sandbox)
    yield c
    shared_sandbox.reset()
    c.session.close()


@pytest.fixture
def make_client():
    """A dedicated sandbox with custom options: make_client(rate_limit=10, ...)."""
    started = []

    def make(**options) -> Client:
        options.setdefault("scale", 300)
        sb = Sandbox(**options).start()
        started.append(sb)
        return Client(sb)

    yield make
    for sb in started:
        sb.stop()
