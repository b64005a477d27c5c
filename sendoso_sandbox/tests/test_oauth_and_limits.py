"""OAuth token endpoint, expiry, rotation, revocation; the rate limiters."""

from __future__ import annotations

import time

import pytest

from sendoso_sandbox.core.ratelimit import SlidingWindowLimiter


def test_refresh_without_rotation_has_no_refresh_token(client):
    r = client.token_request(**client.refresh_form())
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "created_at"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
    assert body["scope"] == "public marketplace" and abs(body["created_at"] - time.time()) < 5
    assert client.direct("/me", token=body["access_token"]).status_code == 200
    # the same refresh token keeps working
    assert client.token_request(**client.refresh_form()).status_code == 200


def test_basic_auth_client_credentials(client):
    form = client.refresh_form()
    auth = (form.pop("client_id"), form.pop("client_secret"))
    r = client.session.post(client.url + "/oauth/token", data=form, auth=auth)
    assert r.status_code == 200 and r.json()["access_token"]


# Doorkeeper's answers to a refresh-token grant (RefreshTokenRequest's validations, in order;
# ErrorResponse#status: 401 for the client errors, 400 for the rest). None drops the field.
@pytest.mark.parametrize(
    "override, status, error",
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_secret": ""}, 401, "invalid_client"),  # a confidential client needs its secret
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"client_id": "", "client_secret": ""}, 400, "invalid_grant"),  # no client: the token is not its
        ({"client_id": "   "}, 400, "invalid_grant"),  # blank is Rails' blank?: as good as absent
        ({"refresh_token": "stale"}, 400, "invalid_grant"),
        ({"refresh_token": "stale", "client_secret": "wrong"}, 400, "invalid_grant"),  # the token is checked first
        ({"refresh_token": ""}, 400, "invalid_request"),
        ({"refresh_token": "  "}, 400, "invalid_request"),
        ({"refresh_token": None}, 400, "invalid_request"),
        ({"grant_type": None}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"scope": "public write"}, 400, "invalid_scope"),  # wider than the grant
    ],
)
def test_token_errors(client, override, status, error):
    form = {name: value for name, value in client.refresh_form(**override).items() if value is not None}
    r = client.token_request(**form)
    assert r.status_code == status
    assert r.json()["error"] == error and r.json()["error_description"]
    assert f'error="{error}"' in r.headers["WWW-Authenticate"] and r.headers["Cache-Control"] == "no-store"


def test_missing_parameter_is_named(client):
    r = client.token_request(**client.refresh_form(refresh_token=""))
    assert r.json()["error_description"] == "Missing required parameter: refresh_token."


def test_a_scope_within_the_grant_is_granted(client):
    assert client.token_request(**client.refresh_form(scope="public")).status_code == 200


def test_rotation_issues_new_refresh_token_and_retires_old(make_client):
    c = make_client(rotate_refresh_tokens=True)
    first = c.token_request(**c.refresh_form())
    assert first.status_code == 200
    new_refresh = first.json()["refresh_token"]
    assert new_refresh != c.refresh_form()["refresh_token"]
    again = c.token_request(**c.refresh_form())
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    second = c.token_request(**c.refresh_form(refresh_token=new_refresh))
    assert second.status_code == 200 and second.json()["refresh_token"] != new_refresh


def test_access_token_expires(make_client):
    c = make_client(token_ttl=1)
    token = c.token_request(**c.refresh_form()).json()["access_token"]
    assert c.direct("/me", token=token).status_code == 200
    time.sleep(1.05)
    r = c.direct("/me", token=token)
    assert r.status_code == 401 and r.json() == {"success": False, "message": "The access token expired"}
    assert c.direct("/me").status_code == 401  # the printed token expired too
    fresh = c.token_request(**c.refresh_form()).json()
    assert fresh["expires_in"] == 1 and c.direct("/me", token=fresh["access_token"]).status_code == 200


def test_revocation_actions(client):
    token = client.token_request(**client.refresh_form()).json()["access_token"]
    client.control("POST", "/faults", [{"action": "revoke_access_tokens"}, {"action": "revoke_refresh_tokens"}])
    assert client.direct("/me", token=token).status_code == 401
    assert client.direct("/me").status_code == 401
    assert client.token_request(**client.refresh_form()).json()["error"] == "invalid_grant"
    client.control("POST", "/reset")
    assert client.direct("/me").status_code == 200  # reset restores the startup grant
    assert client.token_request(**client.refresh_form()).status_code == 200


def test_authorization_code_flow(client):
    backend = client.sandbox.configs["sendoso"]["backend"]
    r = client.session.get(
        client.url + "/oauth/authorize",
        params={"client_id": backend["client_id"], "redirect_uri": "http://localhost/cb", "response_type": "code", "state": "xyz"},
        allow_redirects=False,
    )
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith("http://localhost/cb?code=") and "state=xyz" in location
    code = location.split("code=")[1].split("&")[0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://localhost/cb",
        "client_id": backend["client_id"],
        "client_secret": backend["client_secret"],
    }
    granted = client.token_request(**form)
    assert granted.status_code == 200 and granted.json()["refresh_token"]
    assert client.token_request(**form).json()["error"] == "invalid_grant"  # codes are single-use


def test_sliding_window_counts_only_admitted():
    now = [0.0]
    limiter = SlidingWindowLimiter(3, clock=lambda: now[0])
    assert [limiter.admit("c")[0] for _ in range(5)] == [True, True, True, False, False]
    now[0] = 0.5
    assert not limiter.admit("c")[0]
    now[0] = 1.0001  # the first three fall out of the window; the refused ones never counted
    assert [limiter.admit("c")[0] for _ in range(4)] == [True, True, True, False]
    assert limiter.admit("other")[0]
    assert all(SlidingWindowLimiter(0).admit("c")[0] for _ in range(1000))


def test_sliding_window_is_sliding_not_fixed():
    now = [0.0]
    limiter = SlidingWindowLimiter(2, clock=lambda: now[0])
    limiter.admit("c")
    now[0] = 0.9
    limiter.admit("c")
    now[0] = 1.05  # a fixed window would have reset at 1.0; the one at 0.9 still counts
    assert limiter.admit("c")[0] and not limiter.admit("c")[0]


def test_direct_api_429_above_rate(make_client):
    c = make_client(rate_limit=10)
    statuses = [c.direct("/me").status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    r = c.direct("/send")
    assert r.json() == {"success": False, "message": "Too many requests"}
    assert "Retry-After" not in r.headers
    # the token endpoint is not rate-limited
    assert c.token_request(**c.refresh_form()).status_code == 200
    time.sleep(1.05)
    assert c.direct("/me").status_code == 200
    assert c.control("GET", "/stats").json()["throttled"] == 3


def test_hub_passes_on_429_with_retry_after(make_client):
    c = make_client(rate_limit=5)
    statuses = [c.hub("/users").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    r = c.hub("/users")
    assert r.headers["Retry-After"] == "1"
    assert r.json()["message"] and r.json()["requestId"] and r.json()["providerMessage"]
