"""The sandbox assembled: ``SandboxApp`` answers one request, ``Sandbox`` serves it over HTTP.

A request to ``/_sandbox`` goes to the control surface. Any other goes through the fault
layer (faults.py) to the surface that owns its path, and is counted in the stats::

    /oauth/*                 oauth.py     (OAuthServer.handle)
    /api/v3[/...]            direct.py    (urls.DIRECT_ROUTES)
    /elements/api-v2[/...]   hub.py       (urls.HUB_ROUTES)
    /_sandbox[/...]          control.py   (urls.CONTROL_ROUTES)

In-process use (tests, benchmarks)::

    from sendoso_sandbox import Sandbox

    with Sandbox(scale=1000, rate_limit=0) as sb:      # serves in a background thread
        sb.url, sb.access_token, sb.configs["sendoso"]  # same values the CLI prints
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import direct, hub
from .backend import HubCredentials, SendosoBackend
from .control import PREFIX as CONTROL_PREFIX
from .control import ControlApi
from .core.server import HttpServer
from .core.web import Request, Response, json_response
from .direct import DirectApi
from .faults import FaultAnswer, FaultLayer, FaultRegistry
from .hub import HubApi
from .options import SandboxOptions
from .store import Store
from .urls import CONTROL_ROUTES, DIRECT_ROUTES, HUB_ROUTES


def _under(prefix: str) -> Callable[[str], bool]:
    return lambda path: path == prefix or path.startswith(prefix + "/")


def _oauth_fault_answer(status: int, phrase: str) -> Response:
    error = "temporarily_unavailable" if status == 503 else "server_error"
    return json_response(status, {"error": error, "error_description": phrase})


def _not_found(req: Request) -> Response:
    return json_response(404, {"message": "Not found"})


@dataclass(frozen=True)
class Surface:
    owns: Callable[[str], bool]
    dispatch: Callable[[Request], Response]
    fault_answer: FaultAnswer  # the error shape an injected status takes on this surface


class SandboxApp:
    """One request in, one answer out; the wire (server.py) does the rest."""

    def __init__(self, backend: SendosoBackend, faults: FaultRegistry):
        self.backend = backend
        self.control = ControlApi(backend, faults, CONTROL_ROUTES)
        self.fault_layer = FaultLayer(faults, backend.stats, backend.options.seed)
        hub_api = HubApi(backend, HUB_ROUTES)
        self.surfaces = (
            Surface(lambda path: path.startswith("/oauth/"), backend.oauth.handle, _oauth_fault_answer),
            Surface(_under(direct.PREFIX), DirectApi(backend, DIRECT_ROUTES).dispatch, direct.fault_answer),
            Surface(_under(hub.PREFIX), hub_api.dispatch, hub_api.fault_answer),
        )
        self._is_control = _under(CONTROL_PREFIX)

    def __call__(self, req: Request) -> Response:
        if self._is_control(req.path):
            return self.control.dispatch(req)
        surface = next((s for s in self.surfaces if s.owns(req.path)), None)
        if surface is None:  # a 404, but faults still apply; an injected status takes the direct API's shape
            response = self.fault_layer.handle(req, _not_found, direct.fault_answer)
        else:
            response = self.fault_layer.handle(req, surface.dispatch, surface.fault_answer)
        self.backend.stats.record(req.method, req.path, response.status)
        return response


class Sandbox:
    """The backend, its fault registry and the app, served by a ``HttpServer`` on a thread."""

    backend: SendosoBackend
    faults: FaultRegistry

    def __init__(self, options: SandboxOptions | None = None, /, **fields) -> None:
        """``Sandbox(SandboxOptions(...))`` or ``Sandbox(scale=..., rate_limit=..., ...)`` with the
        same fields; ``OptionError`` for an option it cannot start with."""
        self.options = options if options is not None else SandboxOptions(**fields)
        self.server: HttpServer | None = None

    def start(self) -> "Sandbox":
        self.backend = SendosoBackend(self.options)
        self.faults = FaultRegistry(self.options.latency)
        try:
            app = SandboxApp(self.backend, self.faults)
            self.server = HttpServer(self.options.host, self.options.port, app, self.options.verbose)
        except OSError:
            self.backend.close()
            raise
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server is None:
            return
        server, self.server = self.server, None
        server.stop()
        self.backend.close()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset(self) -> None:
        """What ``POST /_sandbox/reset`` does."""
        self.backend.reset()
        self.faults.reset()

    def _serving(self) -> HttpServer:
        if self.server is None:
            raise RuntimeError("the sandbox is not serving: start() it, or use `with Sandbox(...) as sandbox:`")
        return self.server

    @property
    def url(self) -> str:
        return self._serving().url

    @property
    def port(self) -> int:
        return self._serving().port

    @property
    def store(self) -> Store:
        return self.backend.store

    @property
    def hub_credentials(self) -> HubCredentials:
        return self.backend.hub_credentials

    @property
    def hub_authorization(self) -> str:
        return self.backend.hub_credentials.authorization

    @property
    def info(self) -> dict:
        """The JSON line ``sendoso-sandbox serve`` prints."""
        return self.backend.info(self.url)

    @property
    def access_token(self) -> str:
        return self.info["access_token"]

    @property
    def configs(self) -> dict:
        return self.info["configs"]
