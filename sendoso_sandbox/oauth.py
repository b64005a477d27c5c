"""Sendoso's OAuth 2.0 server (Doorkeeper, a Rails gem), as far as clients see it.

* ``POST /oauth/token`` (form-encoded; JSON bodies are parsed too, as Rails does):
  ``grant_type=refresh_token`` or ``grant_type=authorization_code``, client
  credentials in the body or as HTTP Basic.  Answer::

      {"access_token", "token_type": "Bearer", "expires_in", "scope", "created_at"}

  plus a NEW ``refresh_token`` only when rotation is on (the old one then stops
  working).  Without rotation there is no ``refresh_token`` field at all.
* errors (RFC 6749 5.2): unknown client / wrong secret -> 401 ``invalid_client``;
  unknown, revoked or rotated-away refresh token or code -> 400 ``invalid_grant``;
  other grants -> 400 ``unsupported_grant_type``; missing fields -> 400 ``invalid_request``.
* ``GET /oauth/authorize?client_id&redirect_uri&response_type=code[&state]`` ->
  302 to ``redirect_uri?code=...&state=...`` (an already-consented user; codes are
  single-use and live 10 minutes).
* ``POST /oauth/revoke`` (token=...) -> 200 ``{}`` always, as RFC 7009 says.

The initial client credentials and the first access token are derived from the
seed, so a restarted sandbox with the same seed prints the same config.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from .web import Request, Response, json_response

DEFAULT_SCOPES = ("public", "marketplace")
CODE_TTL_SECONDS = 600

_INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI "
    "used in the authorization request, or was issued to another client."
)
_INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)


def derive_secret(seed: int, label: str, length: int = 43) -> str:
    digest = hashlib.sha256(f"sendoso-sandbox/{seed}/{label}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


@dataclass
class AccessToken:
    client_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class Client:
    client_id: str
    secret: str
    scopes: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPES))


class OAuthServer:
    def __init__(self, seed: int, token_ttl: int, rotate_refresh_tokens: bool, clock=time.time):
        self.seed = seed
        self.token_ttl = token_ttl
        self.rotate = rotate_refresh_tokens
        self.clock = clock
        self._lock = threading.Lock()
        self.client = Client(derive_secret(seed, "client_id"), derive_secret(seed, "client_secret"))
        self.initial_refresh_token = derive_secret(seed, "refresh_token")
        self.initial_access_token = derive_secret(seed, "access_token")
        self.on_token_issued = lambda: None
        self.reset()

    def reset(self) -> None:
        """Back to the startup grant: the printed refresh and access tokens work again."""
        with self._lock:
            self.client.scopes = list(DEFAULT_SCOPES)
            self.refresh_tokens: dict[str, str] = {self.initial_refresh_token: self.client.client_id}
            self.access_tokens: dict[str, AccessToken] = {
                self.initial_access_token: AccessToken(self.client.client_id, self.clock() + self.token_ttl)
            }
            self.codes: dict[str, tuple[str, str, float]] = {}

    # ---- control actions ------------------------------------------------------------
    def revoke_access_tokens(self) -> None:
        with self._lock:
            for token in self.access_tokens.values():
                token.revoked = True

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self.refresh_tokens.clear()

    def set_scopes(self, scopes: list[str]) -> None:
        # Scopes are looked up live, so this applies to tokens already issued too.
        with self._lock:
            self.client.scopes = [str(s) for s in scopes]

    # ---- bearer authentication --------------------------------------------------------
    def authenticate(self, authorization: str | None) -> tuple[Client | None, str | None]:
        """(client, None) for a live token, else (None, message for the 401)."""
        if not authorization:
            return None, "The access token is invalid"
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "The access token is invalid"
        with self._lock:
            record = self.access_tokens.get(token.strip())
        if record is None or record.revoked or record.client_id != self.client.client_id:
            return None, "The access token is invalid"
        if self.clock() >= record.expires_at:
            return None, "The access token expired"
        return self.client, None

    # ---- endpoints -------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path == "/oauth/token":
            if req.method != "POST":
                return json_response(405, {"error": "invalid_request", "error_description": "Use POST."})
            return self._token(req)
        if req.path == "/oauth/authorize" and req.method == "GET":
            return self._authorize(req)
        if req.path == "/oauth/revoke" and req.method == "POST":
            params = self._form(req)
            with self._lock:
                record = self.access_tokens.get(params.get("token", ""))
                if record:
                    record.revoked = True
                self.refresh_tokens.pop(params.get("token", ""), None)
            return json_response(200, {})
        return json_response(404, {"error": "not_found", "error_description": "Not found."})

    @staticmethod
    def _form(req: Request) -> dict[str, str]:
        content_type = (req.header("content-type") or "").lower()
        text = req.body.decode("utf-8", "replace")
        if content_type.startswith("application/json"):
            try:
                data = json.loads(text or "{}")
            except ValueError:
                return {}
            return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}

    def _client_credentials(self, req: Request, params: dict[str, str]) -> tuple[str | None, str | None]:
        auth = req.header("authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                raw = base64.b64decode(auth[6:].strip()).decode()
                cid, _, secret = raw.partition(":")
                return cid, secret
            except (ValueError, UnicodeDecodeError):
                return None, None
        return params.get("client_id"), params.get("client_secret")

    def _token(self, req: Request) -> Response:
        params = self._form(req)
        grant = params.get("grant_type")
        if not grant:
            return json_response(400, {"error": "invalid_request", "error_description": "Missing grant_type."})
        if grant not in ("refresh_token", "authorization_code"):
            return json_response(
                400, {"error": "unsupported_grant_type", "error_description": "The authorization grant type is not supported."}
            )
        cid, secret = self._client_credentials(req, params)
        if cid != self.client.client_id or not secrets.compare_digest(secret or "", self.client.secret):
            return json_response(401, {"error": "invalid_client", "error_description": _INVALID_CLIENT})
        with self._lock:
            if grant == "refresh_token":
                presented = params.get("refresh_token")
                if not presented:
                    return json_response(400, {"error": "invalid_request", "error_description": "Missing refresh_token."})
                if self.refresh_tokens.get(presented) != cid:
                    return json_response(400, {"error": "invalid_grant", "error_description": _INVALID_GRANT})
                if self.rotate:
                    del self.refresh_tokens[presented]
            else:
                code = params.get("code")
                entry = self.codes.pop(code or "", None)
                if not code or entry is None or entry[0] != cid or entry[2] < self.clock() or (
                    params.get("redirect_uri") != entry[1]
                ):
                    return json_response(400, {"error": "invalid_grant", "error_description": _INVALID_GRANT})
            now = self.clock()
            access = secrets.token_urlsafe(32)
            self.access_tokens[access] = AccessToken(cid, now + self.token_ttl)
            body = {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.token_ttl,
                "scope": " ".join(self.client.scopes),
                "created_at": int(now),
            }
            # An authorization code always yields a refresh token; a refresh only
            # yields a new one when rotating.
            if self.rotate or grant == "authorization_code":
                refresh = secrets.token_urlsafe(32)
                self.refresh_tokens[refresh] = cid
                body["refresh_token"] = refresh
        self.on_token_issued()
        return json_response(200, body, [("Cache-Control", "no-store"), ("Pragma", "no-cache")])

    def _authorize(self, req: Request) -> Response:
        cid = req.arg("client_id")
        redirect = req.arg("redirect_uri")
        if cid != self.client.client_id or not redirect or req.arg("response_type") != "code":
            return json_response(400, {"error": "invalid_request", "error_description": "Bad authorization request."})
        parts = urlsplit(redirect)
        if parts.scheme not in ("http", "https"):
            return json_response(400, {"error": "invalid_redirect_uri", "error_description": "Bad redirect_uri."})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = (cid, redirect, self.clock() + CODE_TTL_SECONDS)
        query = {"code": code}
        if req.arg("state") is not None:
            query["state"] = req.arg("state")
        sep = "&" if parts.query else "?"
        return Response(302, b"", [("Location", redirect + sep + urlencode(query))], content_type=None)
