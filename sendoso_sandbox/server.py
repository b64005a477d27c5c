"""HTTP server, routing, fault application and the ``Sandbox`` Python API.

Use from Python (tests, benchmarks)::

    from sendoso_sandbox.server import Sandbox

    with Sandbox(scale=1000, rate_limit=0) as sb:      # serves in a background thread
        sb.url, sb.access_token, sb.configs["sendoso"]  # same values the CLI prints

Routes: ``/oauth/*`` (oauth.py), ``/api/v3/*`` (direct.py), ``/elements/api-v2/*``
(hub.py), ``/_sandbox/*`` (control.py).

``GET /_sandbox/stats`` answers::

    {"records": {"sends": 1000, "users": 20, "group_members": 20,
                 "marketplace_products": 5, ...},     # listed records per resource
     "requests": {"GET /api/v3/send 200": 40, ...},   # "METHOD path status" -> count
     "requests_total": 57,
     "throttled": 3,                                  # every 429 answered
     "where": ["updated_at >= '...'", ...],           # hub where= values, most recent last (last 1000)
     "faults_injected": {"status": 2, ...},           # per fault kind
     "tokens_issued": 4}                              # successful POST /oauth/token

Control requests themselves are not counted.

Speed: HTTP/1.1 keep-alive on a thread per connection, TCP_NODELAY, and each
response (status line + headers + body) written with ONE sendall, so neither
Nagle nor delayed ACKs stall small responses; list bodies are joins of stored
JSON strings.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .control import ControlApi
from .control import PREFIX as CONTROL_PREFIX
from .direct import PREFIX as DIRECT_PREFIX
from .direct import DirectApi
from .faults import Faults, FaultRule
from .hub import HUB_PREFIX, HubApi, HubCredentials, RequestIds
from .oauth import OAuthServer, derive_secret
from .ratelimit import SlidingWindowLimiter
from .stats import Stats
from .store import Store
from .web import Request, Response, json_response

MARKETPLACE_REQUESTS_PER_MINUTE = 100


def _number(value: float):
    return int(value) if float(value).is_integer() else value


class Sandbox:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        scale: int = 1000,
        rate_limit: float = 10,
        token_ttl: int = 7200,
        rotate_refresh_tokens: bool = False,
        db_path: str | None = None,
        marketplace_rate_limit: int = MARKETPLACE_REQUESTS_PER_MINUTE,
        verbose: bool = False,
    ):
        if rate_limit < 0 or token_ttl < 1 or scale < 0 or marketplace_rate_limit < 0:
            raise ValueError("rate_limit, scale and marketplace_rate_limit must be >= 0 and token_ttl >= 1")
        self.host = host
        self.port = port
        self.seed = seed
        self.scale = scale
        self.rate_limit = rate_limit
        self.token_ttl = token_ttl
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.db_path = db_path
        self.marketplace_rate_limit = marketplace_rate_limit
        self.verbose = verbose
        self.store: Store | None = None
        self.httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._last_pages: dict[str, Response] = {}
        self._last_pages_lock = threading.Lock()

    # ---- lifecycle ------------------------------------------------------------------
    def start(self) -> "Sandbox":
        self.store = Store(self.seed, self.scale, self.db_path)
        self.stats = Stats()
        self.faults = Faults()
        self.oauth = OAuthServer(self.seed, self.token_ttl, self.rotate_refresh_tokens)
        self.oauth.on_token_issued = self.stats.record_token
        self.limiter = SlidingWindowLimiter(self.rate_limit)
        self.marketplace_limiter = SlidingWindowLimiter(self.marketplace_rate_limit, window_seconds=60.0)
        self.hub_credentials = HubCredentials(
            derive_secret(self.seed, "hub_user_secret"),
            derive_secret(self.seed, "hub_organization_secret"),
            derive_secret(self.seed, "hub_element_token"),
        )
        self.request_ids = RequestIds(self.seed)
        self.direct = DirectApi(self.store, self.oauth, self.limiter, self.marketplace_limiter)
        self.hub = HubApi(self.store, self.hub_credentials, self.limiter, self.stats, self.request_ids)
        self.control = ControlApi(self)
        try:
            self.httpd = _Server((self.host, self.port), _Handler, self)
        except OSError:
            self.store.close()
            raise
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="sendoso-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.httpd is None:
            return
        httpd, self.httpd = self.httpd, None
        httpd.shutdown()
        httpd.close_connections()
        httpd.wait_idle(5.0)
        httpd.server_close()
        if self._thread:
            self._thread.join(5.0)
        self.store.close()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset(self) -> None:
        self.store.reset()
        self.stats.clear()
        self.faults.clear()
        self.oauth.reset()
        self.limiter.clear()
        self.marketplace_limiter.clear()
        with self._last_pages_lock:
            self._last_pages.clear()

    # ---- what the CLI prints ----------------------------------------------------------
    @property
    def url(self) -> str:
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def access_token(self) -> str:
        return self.oauth.initial_access_token

    @property
    def configs(self) -> dict:
        rps = _number(self.rate_limit)
        c = self.hub_credentials
        return {
            "sendoso": {
                "backend": {
                    "backend_type": "sendoso",
                    "client_id": self.oauth.client.client_id,
                    "client_secret": self.oauth.client.secret,
                    "refresh_token": self.oauth.initial_refresh_token,
                    "api_url": f"{self.url}/api/v3",
                    "token_url": f"{self.url}/oauth/token",
                },
                "requests_per_second": rps,
            },
            "cloud_elements": {
                "backend": {
                    "backend_type": "cloud_elements",
                    "base_url": f"{self.url}/elements/api-v2",
                    "user_secret": c.user_secret,
                    "organization_secret": c.organization_secret,
                    "element_token": c.element_token,
                },
                "requests_per_second": rps,
            },
        }

    @property
    def info(self) -> dict:
        return {"url": self.url, "access_token": self.access_token, "configs": self.configs}

    @property
    def hub_authorization(self) -> str:
        c = self.hub_credentials
        return f"User {c.user_secret}, Organization {c.organization_secret}, Element {c.element_token}"

    # ---- request dispatch -----------------------------------------------------------------
    def dispatch(self, req: Request) -> tuple[Response, bool]:
        """(response, drop_connection_mid_body)."""
        if req.path == CONTROL_PREFIX or req.path.startswith(CONTROL_PREFIX + "/"):
            return self.control.handle(req), False
        fired = self.faults.fire(req.method, req.path)
        decisive: FaultRule | None = None
        for rule in fired:
            self.stats.record_fault(rule.kind)
            if rule.kind == "slow":
                time.sleep(rule.seconds)
            elif decisive is None:
                decisive = rule
        drop = False
        if decisive is not None and decisive.kind == "status":
            served = self._fault_status(req, decisive)
        else:
            routed = served = self._route(req)
            if decisive is not None:
                served, drop = self._transform(routed, decisive)
            if served is routed and routed.page_key and routed.status == 200:
                with self._last_pages_lock:
                    self._last_pages[routed.page_key] = routed
        self.stats.record(req.method, req.path, served.status)
        return served, drop

    def _route(self, req: Request) -> Response:
        path = req.path
        if path.startswith("/oauth/"):
            return self.oauth.handle(req)
        if path == DIRECT_PREFIX or path.startswith(DIRECT_PREFIX + "/"):
            return self.direct.handle(req)
        if path == HUB_PREFIX or path.startswith(HUB_PREFIX + "/"):
            return self.hub.handle(req)
        return json_response(404, {"message": "Not found"})

    def _fault_status(self, req: Request, rule: FaultRule) -> Response:
        status = rule.status
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        headers = []
        if rule.body is not None:
            body = rule.body
        elif req.path.startswith(HUB_PREFIX):
            body = {"message": phrase, "requestId": self.request_ids.next(), "providerMessage": phrase}
            if status == 429:
                headers.append(("Retry-After", "1"))
        elif req.path.startswith("/oauth/"):
            body = {"error": "temporarily_unavailable" if status == 503 else "server_error", "error_description": phrase}
        else:
            body = {"success": False, "message": phrase}
        if isinstance(body, str):
            return Response(status, body.encode("utf-8"), headers)
        return json_response(status, body, headers)

    def _transform(self, response: Response, rule: FaultRule) -> tuple[Response, bool]:
        if rule.kind == "repeat_page":
            with self._last_pages_lock:
                previous = self._last_pages.get(response.page_key or "")
            return (previous or response), False
        if rule.kind == "empty":
            return Response(200, b"", response.headers), False
        if rule.kind == "malformed":
            cut = response.body[: max(1, len(response.body) // 2)] if response.body else b'{"'
            return Response(200, cut, response.headers), False
        if rule.kind == "drop":
            return response, True
        return response, False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address, handler, sandbox: Sandbox):
        host = address[0]
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, sock: socket.socket, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(sock)
            else:
                self._connections.discard(sock)

    def close_connections(self) -> None:
        """Unblock keep-alive handler threads waiting for a next request."""
        with self._conn_lock:
            sockets = list(self._connections)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._conn_lock:
                if not self._connections:
                    return
            time.sleep(0.01)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sendoso-sandbox"
    sys_version = ""
    timeout = 300  # an idle keep-alive connection is closed after this

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if self.server.sandbox.verbose:
            sys.stderr.write("sendoso-sandbox: " + (format % args) + "\n")

    def _serve(self) -> None:
        sandbox: Sandbox = self.server.sandbox
        started = time.perf_counter()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._write(json_response(400, {"message": "Bad Content-Length"}), False)
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request.build(self.command, self.path, headers, body, sandbox.url, self.client_address[0])
        try:
            response, drop = sandbox.dispatch(req)
        except Exception:  # a sandbox bug: say so loudly, answer like a server would
            traceback.print_exc(file=sys.stderr)
            response, drop = json_response(500, {"success": False, "message": "Internal server error"}), False
        self._write(response, drop)
        if sandbox.verbose:
            sys.stderr.write(
                f"sendoso-sandbox: {self.command} {self.path} -> {response.status}"
                f" ({(time.perf_counter() - started) * 1000:.1f} ms)\n"
            )

    def _write(self, response: Response, drop: bool) -> None:
        status = response.status
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        lines = [f"HTTP/1.1 {status} {phrase}"]
        if response.content_type:
            lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(response.body)}")
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection or drop:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if drop:
            # Headers promise the full body; send half of it and hang up.
            self.wfile.write(head + response.body[: len(response.body) // 2])
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(head + response.body)  # one sendall: no Nagle/delayed-ACK stall

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve
