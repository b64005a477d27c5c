"""The control surface under ``/_sandbox`` (no auth; loopback clients only; never rate
limited, faulted or counted). It talks to the backend and the fault registry.

* ``GET /_sandbox/info`` -> the JSON line the CLI printed.
* ``GET /_sandbox/stats`` -> request accounting (shape in README.md).
* ``POST /_sandbox/mutate`` ``{"resource": "sends", "count": 10}`` (or ``"ids": [...]``)
  -> ``{"ids": [...]}``; ``{"resource": "sends", "create": 5}`` adds new sends.
* ``GET|POST|DELETE /_sandbox/faults`` -> ``{"rules": [...], "actions": [...]}``
  (POST takes one rule/action object or a list of them; see ``faults.py``).
* ``GET|POST /_sandbox/latency`` ``{"ms": 250, "jitter_ms": 50}`` -> the hold of every API
  answer: ``{"ms", "jitter_ms", "answers_held"}``.
* ``POST /_sandbox/reset`` -> seeded data, stats, faults, latency, tokens and rate limits
  back to how they were at start.  Answers ``{"reset": true}``.
"""

from __future__ import annotations

import json

from .backend import SendosoBackend, StoreError
from .core.routing import RouteTable
from .core.web import Request, Response, json_response
from .faults import ACTIONS, FaultError, FaultRegistry, FaultRule, Latency

PREFIX = "/_sandbox"
MAX_MUTATE = 100_000


def _bad(message: str) -> Response:
    return json_response(400, {"error": message})


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_MUTATE


def _is_loopback(ip: str) -> bool:
    return ip.startswith(("127.", "::ffff:127.")) or ip == "::1"


class ControlApi:
    def __init__(self, backend: SendosoBackend, faults: FaultRegistry, routes: RouteTable):
        self.backend = backend
        self.faults = faults
        self.routes = routes

    def dispatch(self, req: Request) -> Response:
        if not _is_loopback(req.client_ip):
            return json_response(403, {"error": "the control surface answers loopback clients only"})
        try:
            body = json.loads(req.body.decode("utf-8") or "null") if req.body else None
        except ValueError:
            return _bad("body is not JSON")
        found = self.routes.find(req.method, req.path[len(PREFIX) :].rstrip("/"))
        if found is None:
            return json_response(404, {"error": "unknown control route"})
        handler, args = found
        return handler(self, req, body, **args)

    # ---- handlers (urls.CONTROL_ROUTES) ---------------------------------------------------
    def info(self, req: Request, body) -> Response:
        return json_response(200, self.backend.info(req.base_url))

    def stats(self, req: Request, body) -> Response:
        return json_response(200, self.backend.stats.snapshot(self.backend.record_counts()))

    def reset(self, req: Request, body) -> Response:
        self.backend.reset()
        self.faults.reset()
        return json_response(200, {"reset": True})

    def mutate(self, req: Request, body) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("resource"), str):
            return _bad('expected {"resource": "...", "count": n}')
        resource = body["resource"]
        try:
            if "create" in body:
                if not self.backend.is_sends(resource):
                    return _bad("create is supported for sends only")
                if not _count(body["create"]):
                    return _bad("create must be an integer count")
                return json_response(200, {"ids": self.backend.create_sends(body["create"])})
            ids = body.get("ids")
            if ids is not None:
                if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                    return _bad("ids must be a list of integers")
                return json_response(200, {"ids": self.backend.mutate(resource, ids=ids)})
            count = body.get("count", 1)
            if not _count(count):
                return _bad(f"count must be an integer between 0 and {MAX_MUTATE}")
            return json_response(200, {"ids": self.backend.mutate(resource, count)})
        except StoreError as exc:
            return _bad(str(exc))

    def list_faults(self, req: Request, body) -> Response:
        return json_response(200, {"rules": self.faults.snapshot(), "actions": []})

    def clear_faults(self, req: Request, body) -> Response:
        self.faults.clear()
        return json_response(200, {"rules": [], "actions": []})

    def add_faults(self, req: Request, body) -> Response:
        items = body if isinstance(body, list) else [body]
        rules, actions = [], []
        try:
            for item in items:
                if isinstance(item, dict) and "action" in item:
                    if item["action"] not in ACTIONS:
                        raise FaultError(f"action must be one of {list(ACTIONS)}")
                    if item["action"] == "set_scopes":
                        scopes = item.get("scopes")
                        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
                            raise FaultError("set_scopes needs a list of scope strings")
                    actions.append(item)
                else:
                    rules.append(FaultRule.from_json(item))
        except FaultError as exc:
            return _bad(str(exc))
        for action in actions:  # checked above, applied all together
            if action["action"] == "revoke_access_tokens":
                self.backend.revoke_access_tokens()
            elif action["action"] == "revoke_refresh_tokens":
                self.backend.revoke_refresh_tokens()
            else:
                self.backend.set_scopes(action["scopes"])
        self.faults.add(rules)
        return json_response(200, {"rules": self.faults.snapshot(), "actions": actions})

    def latency(self, req: Request, body) -> Response:
        return json_response(200, self.faults.latency_snapshot())

    def set_latency(self, req: Request, body) -> Response:
        if not isinstance(body, dict) or set(body) - {"ms", "jitter_ms"} or "ms" not in body:
            return _bad('expected {"ms": n, "jitter_ms": n} (jitter_ms optional)')
        try:
            self.faults.set_latency(Latency.checked(body["ms"], body.get("jitter_ms", 0)))
        except FaultError as exc:
            return _bad(str(exc))
        return json_response(200, self.faults.latency_snapshot())
