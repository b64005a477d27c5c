"""Fault injection rules for ``POST /_sandbox/faults``.

A rule::

    {"kind": "status" | "drop" | "slow" | "malformed" | "empty" | "repeat_page",
     "path_prefix": "/api/v3/send",   # default "" = every path (never /_sandbox)
     "method": "GET",                 # optional; default any method
     "every": 3,                      # every Nth MATCHING request; default 1
     "times": 5,                      # cap on injections; omitted/null = unlimited
     "status": 503,                   # kind "status" only (required)
     "body": {...} or "text",         # kind "status" only; default: the surface's error shape
     "seconds": 2.0}                  # kind "slow" only; default 1.0

Kinds: ``status`` answers that status instead; ``drop`` sends the headers (with
the full Content-Length) and half the body, then closes the connection;
``slow`` sleeps before answering normally; ``malformed`` answers 200 with the
first half of the real body (invalid JSON, consistent Content-Length); ``empty``
answers 200 with an empty body; ``repeat_page`` answers the page previously
served for the same path again, whatever page/nextPage/after asks for.

Actions (applied at once, not kept as rules)::

    {"action": "revoke_access_tokens"} | {"action": "revoke_refresh_tokens"}
    {"action": "set_scopes", "scopes": ["public"]}

Each rule counts the requests it matches; it fires when ``seen % every == 0``
and it has fired fewer than ``times`` times.  Several rules may fire on one
request: every ``slow`` adds its delay, and the first other kind decides the answer.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

KINDS = ("status", "drop", "slow", "malformed", "empty", "repeat_page")
ACTIONS = ("revoke_access_tokens", "revoke_refresh_tokens", "set_scopes")


class FaultError(ValueError):
    """A rule the sandbox does not understand (answered 400 by the control API)."""


@dataclass
class FaultRule:
    kind: str
    path_prefix: str = ""
    method: str | None = None
    every: int = 1
    times: int | None = None
    status: int | None = None
    body: object = None
    seconds: float = 1.0
    seen: int = 0
    injected: int = 0

    @classmethod
    def from_json(cls, obj: dict) -> "FaultRule":
        if not isinstance(obj, dict):
            raise FaultError("a fault rule must be a JSON object")
        unknown = set(obj) - {"kind", "path_prefix", "method", "every", "times", "status", "body", "seconds"}
        if unknown:
            raise FaultError(f"unknown rule fields: {sorted(unknown)}")
        kind = obj.get("kind")
        if kind not in KINDS:
            raise FaultError(f"kind must be one of {list(KINDS)}")
        rule = cls(kind=kind)
        rule.path_prefix = str(obj.get("path_prefix") or "")
        rule.method = str(obj["method"]).upper() if obj.get("method") else None
        every = obj.get("every", 1)
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise FaultError("every must be an integer >= 1")
        rule.every = every
        times = obj.get("times")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 0):
            raise FaultError("times must be an integer >= 0 or null")
        rule.times = times
        if kind == "status":
            status = obj.get("status")
            if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
                raise FaultError("kind status needs an integer status between 200 and 599")
            rule.status = status
            rule.body = obj.get("body")
        if kind == "slow":
            seconds = obj.get("seconds", 1.0)
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds <= 300:
                raise FaultError("seconds must be a number between 0 and 300")
            rule.seconds = float(seconds)
        return rule

    def to_json(self) -> dict:
        return asdict(self)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = []

    def add(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self.rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self.rules = []

    def snapshot(self) -> list[dict]:
        with self._lock:
            return [r.to_json() for r in self.rules]

    def fire(self, method: str, path: str) -> list[FaultRule]:
        """The rules that fire for this request (counters updated)."""
        fired = []
        with self._lock:
            for rule in self.rules:
                if not path.startswith(rule.path_prefix):
                    continue
                if rule.method and rule.method != method:
                    continue
                rule.seen += 1
                if rule.seen % rule.every:
                    continue
                if rule.times is not None and rule.injected >= rule.times:
                    continue
                rule.injected += 1
                fired.append(rule)
        return fired
