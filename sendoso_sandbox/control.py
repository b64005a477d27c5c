"""The control surface under ``/_sandbox`` (no auth; loopback clients only).

* ``GET /_sandbox/info`` -> the JSON line the CLI printed.
* ``GET /_sandbox/stats`` -> see ``server.py`` for the shape.
* ``POST /_sandbox/mutate`` ``{"resource": "sends", "count": 10}`` (or ``"ids": [...]``)
  -> ``{"ids": [...]}``; ``{"resource": "sends", "create": 5}`` adds new sends.
* ``GET|POST|DELETE /_sandbox/faults`` -> ``{"rules": [...], "actions": [...]}``
  (POST takes one rule/action object or a list of them; see ``faults.py``).
* ``POST /_sandbox/reset`` -> seeded data, stats, faults, tokens and rate limits
  back to how they were at start.  Answers ``{"reset": true}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .faults import ACTIONS, FaultError, FaultRule
from .store import StoreError
from .web import Request, Response, json_response

if TYPE_CHECKING:
    from .server import Sandbox

PREFIX = "/_sandbox"
MAX_MUTATE = 100_000


def _bad(message: str) -> Response:
    return json_response(400, {"error": message})


class ControlApi:
    def __init__(self, sandbox: "Sandbox"):
        self.sandbox = sandbox

    def handle(self, req: Request) -> Response:
        if not req.client_ip.startswith(("127.", "::ffff:127.")) and req.client_ip != "::1":
            return json_response(403, {"error": "the control surface answers loopback clients only"})
        route = (req.method, req.path[len(PREFIX):].rstrip("/"))
        try:
            body = json.loads(req.body.decode("utf-8") or "null") if req.body else None
        except ValueError:
            return _bad("body is not JSON")
        sb = self.sandbox
        if route == ("GET", "/info"):
            return json_response(200, sb.info)
        if route == ("GET", "/stats"):
            return json_response(200, sb.stats.snapshot(sb.store.record_counts()))
        if route == ("POST", "/reset"):
            sb.reset()
            return json_response(200, {"reset": True})
        if route == ("POST", "/mutate"):
            return self._mutate(body)
        if route[1] == "/faults":
            if req.method == "GET":
                return json_response(200, {"rules": sb.faults.snapshot(), "actions": []})
            if req.method == "DELETE":
                sb.faults.clear()
                return json_response(200, {"rules": [], "actions": []})
            if req.method == "POST":
                return self._faults(body)
        return json_response(404, {"error": "unknown control route"})

    def _mutate(self, body) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("resource"), str):
            return _bad('expected {"resource": "...", "count": n}')
        store = self.sandbox.store
        try:
            if "create" in body:
                count = body["create"]
                if store.resolve_table(body["resource"]) != "sends":
                    return _bad("create is supported for sends only")
                if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_MUTATE:
                    return _bad("create must be an integer count")
                return json_response(200, {"ids": store.create_sends(count)})
            ids = body.get("ids")
            if ids is not None:
                if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                    return _bad("ids must be a list of integers")
                return json_response(200, {"ids": store.mutate(body["resource"], ids=ids)})
            count = body.get("count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_MUTATE:
                return _bad("count must be an integer between 0 and 100000")
            return json_response(200, {"ids": store.mutate(body["resource"], count)})
        except StoreError as exc:
            return _bad(str(exc))

    def _faults(self, body) -> Response:
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
        oauth = self.sandbox.oauth
        for action in actions:  # validated above, applied all together
            if action["action"] == "revoke_access_tokens":
                oauth.revoke_access_tokens()
            elif action["action"] == "revoke_refresh_tokens":
                oauth.revoke_refresh_tokens()
            else:
                oauth.set_scopes(action["scopes"])
        self.sandbox.faults.add(rules)
        return json_response(200, {"rules": self.sandbox.faults.snapshot(), "actions": actions})
