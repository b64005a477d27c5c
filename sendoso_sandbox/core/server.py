"""The HTTP/1.1 wire, and nothing else: bytes in, a ``Request`` to the app, its ``Response``
back out as bytes.

Speed: keep-alive on a thread per connection (so a held answer never holds up another
client), TCP_NODELAY, and each response (status line + headers + body) written with ONE
sendall, so neither Nagle nor delayed ACKs stall small responses.

What the fault layer asks of a response is carried out here: ``hold_seconds`` waits
before the answer is written (the request was already answered and counted on arrival),
and ``cut_mid_body`` sends the headers with the full Content-Length, half of the body,
and hangs up.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from .web import Request, Response, json_response

App = Callable[[Request], Response]


class HttpServer:
    """Serves ``app`` on ``host:port`` (port 0: any free one) from a background thread."""

    def __init__(self, host: str, port: int, app: App, verbose: bool = False):
        self.host = host
        self.app = app
        self.verbose = verbose
        self._httpd = _Server((host, port), _Handler, self)
        self.port: int = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where clients reach it: a wildcard address is reached on loopback."""
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="sendoso-sandbox", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.wait_idle(5.0)
        self._httpd.server_close()
        if self._thread:
            self._thread.join(5.0)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address, handler, owner: HttpServer):
        host = address[0]
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.owner = owner
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
        if self.server.owner.verbose:
            sys.stderr.write("sendoso-sandbox: " + (format % args) + "\n")

    def _serve(self) -> None:
        owner: HttpServer = self.server.owner
        started = time.perf_counter()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._write(json_response(400, {"message": "Bad Content-Length"}))
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request.build(self.command, self.path, headers, body, owner.url, self.client_address[0])
        try:
            response = owner.app(req)
        except Exception:  # a sandbox bug: say so loudly, answer like a server would
            traceback.print_exc(file=sys.stderr)
            response = json_response(500, {"success": False, "message": "Internal server error"})
        if response.hold_seconds:
            time.sleep(response.hold_seconds)
        self._write(response)
        if owner.verbose:
            sys.stderr.write(
                f"sendoso-sandbox: {self.command} {self.path} -> {response.status} ({(time.perf_counter() - started) * 1000:.1f} ms)\n"
            )

    def _write(self, response: Response) -> None:
        status = response.status
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        lines = [f"HTTP/1.1 {status} {phrase}"]
        if response.content_type:
            lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(response.body)}")
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection or response.cut_mid_body:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if response.cut_mid_body:
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
