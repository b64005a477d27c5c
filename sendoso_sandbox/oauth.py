"""Sendoso's OAuth 2.0 server (Doorkeeper, a Rails gem), as far as clients see it.

* ``POST /oauth/token`` (form-encoded; JSON bodies are parsed too, as Rails does):
  ``grant_type=refresh_token`` or ``grant_type=authorization_code``, client
  credentials in the body or as HTTP Basic.  Answer::

      {"access_token", "token_type": "Bearer", "expires_in", "scope", "created_at"}

  plus a NEW ``refresh_token`` only when rotation is on (the old one then stops
  working).  Without rotation there is no ``refresh_token`` field at all.
* errors (RFC 6749 5.2), with Doorkeeper's statuses (401 for ``invalid_client`` and
  ``unauthorized_client``, 400 for every other code), descriptions and headers
  (``WWW-Authenticate``, ``Cache-Control: no-store``), checked in Doorkeeper's order
  (``RefreshTokenRequest``'s validations):

  1. no ``grant_type`` -> ``invalid_request``; another grant -> ``unsupported_grant_type``;
  2. ``refresh_token`` blank -> ``invalid_request`` "Missing required parameter: refresh_token.";
  3. unknown, revoked or rotated-away refresh token -> ``invalid_grant`` (whatever the client);
  4. a client id given but no client with that id and secret (a blank secret included) ->
     401 ``invalid_client``;
  5. no client id at all, or the token belongs to another client -> ``invalid_grant``;
  6. a ``scope`` wider than the grant's -> ``invalid_scope``.

  A code grant checks its parameters, then the client (401 ``invalid_client``), then the
  code (``invalid_grant``). "Blank" is Rails' ``blank?``: empty or only whitespace.
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

from .core.web import Request, Response, json_response

DEFAULT_SCOPES = ("public", "marketplace")
CODE_TTL_SECONDS = 600

# Doorkeeper's descriptions (config/locales/en.yml).
_DESCRIPTIONS = {
    "invalid_grant": (
        "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI "
        "used in the authorization request, or was issued to another client."
    ),
    "invalid_client": (
        "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."
    ),
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
}
# Doorkeeper's ErrorResponse#status: the client errors are 401, the rest 400.
_UNAUTHORIZED = frozenset({"invalid_client", "unauthorized_client"})


def oauth_error(error: str, description: str | None = None) -> Response:
    """An RFC 6749 5.2 error as Doorkeeper answers it."""
    text = description or _DESCRIPTIONS[error]
    headers = [
        ("Cache-Control", "no-store"),
        ("Pragma", "no-cache"),
        ("WWW-Authenticate", f'Bearer realm="Doorkeeper", error="{error}", error_description="{text}"'),
    ]
    return json_response(401 if error in _UNAUTHORIZED else 400, {"error": error, "error_description": text}, headers)


def _missing(parameter: str) -> Response:
    return oauth_error("invalid_request", f"Missing required parameter: {parameter}.")


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


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

    def _authenticates(self, cid: str | None, secret: str | None) -> bool:
        """Doorkeeper's ``by_uid_and_secret`` for a confidential client: both must match."""
        return cid == self.client.client_id and secrets.compare_digest((secret or "").encode(), self.client.secret.encode())

    def _token(self, req: Request) -> Response:
        params = self._form(req)
        grant = params.get("grant_type")
        if _blank(grant):
            return _missing("grant_type")
        if grant not in ("refresh_token", "authorization_code"):
            return oauth_error("unsupported_grant_type")
        cid, secret = self._client_credentials(req, params)
        with self._lock:
            if grant == "refresh_token":
                presented = params.get("refresh_token")
                if _blank(presented):
                    return _missing("refresh_token")
                owner = self.refresh_tokens.get(presented)
                if owner is None:
                    return oauth_error("invalid_grant")
                if not _blank(cid) and not self._authenticates(cid, secret):
                    return oauth_error("invalid_client")
                if _blank(cid) or owner != cid:
                    return oauth_error("invalid_grant")
                requested = (params.get("scope") or "").split()
                if requested and not set(requested) <= set(self.client.scopes):
                    return oauth_error("invalid_scope")
                if self.rotate:
                    del self.refresh_tokens[presented]
            else:
                code = params.get("code")
                if _blank(code):
                    return _missing("code")
                if _blank(params.get("redirect_uri")):
                    return _missing("redirect_uri")
                if not self._authenticates(cid, secret):
                    return oauth_error("invalid_client")
                entry = self.codes.pop(code, None)
                if entry is None or entry[0] != cid or entry[2] < self.clock() or params.get("redirect_uri") != entry[1]:
                    return oauth_error("invalid_grant")
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
