"""Fault injection: the rules ``/_sandbox/faults`` takes, the standing latency, and the layer
that applies both between a request and the surface that answers it.

A rule::

    {"kind": "status" | "drop" | "slow" | "malformed" | "empty" | "repeat_page" | "ignore_where",
     "path_prefix": "/api/v3/send",   # default "" = every path (never /_sandbox)
     "method": "GET",                 # optional; default any method
     "where_contains": "AND x <= ",   # optional: only requests whose where= holds this text
     "every": 3,                      # every Nth MATCHING request; default 1
     "times": 5,                      # cap on injections; omitted/null = unlimited
     "status": 503,                   # kind "status" only (required)
     "body": {...} or "text",         # kind "status" only; default: the surface's error shape
     "seconds": 2.0,                  # kind "slow" only; default 1.0
     "jitter": 0.5}                   # kind "slow" only: up to this much more, at random; default 0

Kinds: ``status`` answers that status instead; ``drop`` sends the headers (with
the full Content-Length) and half the body, then closes the connection;
``slow`` holds the answer ``seconds`` (plus up to ``jitter``) before sending it;
``malformed`` answers 200 with the first half of the real body (invalid JSON,
consistent Content-Length); ``empty`` answers 200 with an empty body;
``repeat_page`` answers the page previously served for the same path again,
whatever page/nextPage/after asks for; ``ignore_where`` serves the request as if it
had no ``where`` (as a hub element does with criteria it does not support: silently,
a 200 with every record, its page tokens those of the unfiltered list).

Actions (applied at once, not kept as rules; see control.py)::

    {"action": "revoke_access_tokens"} | {"action": "revoke_refresh_tokens"}
    {"action": "set_scopes", "scopes": ["public"]}

Each rule counts the requests it matches; it fires when ``seen % every == 0``
and it has fired fewer than ``times`` times.  Several rules may fire on one
request: every ``slow`` adds its hold, ``ignore_where`` changes the request served, and
the first other kind decides the answer.

Latency (``serve --latency MS --jitter MS``, ``POST /_sandbox/latency``) is one more
``slow`` rule, standing on every API path: the same hold, but not a fault, so it is
neither listed with the rules nor counted in ``faults_injected``, and ``DELETE
/_sandbox/faults`` leaves it in place.

A request is answered (authenticated, rate-limited, counted) the moment it arrives;
a hold only delays the answer on the wire, and the server keeps serving other
connections meanwhile.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, replace
from http import HTTPStatus
from typing import Callable

from .core.web import Request, Response, json_response, plain_number
from .stats import Stats

KINDS = ("status", "drop", "slow", "malformed", "empty", "repeat_page", "ignore_where")
ACTIONS = ("revoke_access_tokens", "revoke_refresh_tokens", "set_scopes")
MAX_HOLD_SECONDS = 300


class FaultError(ValueError):
    """A rule the sandbox does not understand (answered 400 by the control API)."""


def is_number(value) -> bool:
    """A JSON number (a bool is not one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_hold_seconds(name: str, value) -> float:
    """A hold (seconds, jitter, latency) the sandbox accepts; FaultError says what is wrong."""
    if not is_number(value) or not 0 <= value <= MAX_HOLD_SECONDS:
        raise FaultError(f"{name} must be a number between 0 and {MAX_HOLD_SECONDS}")
    return float(value)


@dataclass
class FaultRule:
    kind: str
    path_prefix: str = ""
    method: str | None = None
    where_contains: str | None = None
    every: int = 1
    times: int | None = None
    status: int | None = None
    body: object = None
    seconds: float = 1.0
    jitter: float = 0.0
    seen: int = 0
    injected: int = 0

    @classmethod
    def from_json(cls, obj: dict) -> "FaultRule":
        if not isinstance(obj, dict):
            raise FaultError("a fault rule must be a JSON object")
        unknown = set(obj) - {"kind", "path_prefix", "method", "where_contains", "every", "times", "status", "body", "seconds", "jitter"}
        if unknown:
            raise FaultError(f"unknown rule fields: {sorted(unknown)}")
        kind = obj.get("kind")
        if kind not in KINDS:
            raise FaultError(f"kind must be one of {list(KINDS)}")
        rule = cls(kind=kind)
        rule.path_prefix = str(obj.get("path_prefix") or "")
        rule.method = str(obj["method"]).upper() if obj.get("method") else None
        where_contains = obj.get("where_contains")
        if where_contains is not None and (not isinstance(where_contains, str) or not where_contains):
            raise FaultError("where_contains must be a non-empty string or null")
        rule.where_contains = where_contains
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
            rule.seconds = check_hold_seconds("seconds", obj.get("seconds", 1.0))
            rule.jitter = check_hold_seconds("jitter", obj.get("jitter", 0.0))
        return rule

    def to_json(self) -> dict:
        return asdict(self)

    def hold(self, rng: random.Random) -> float:
        return self.seconds + (rng.uniform(0.0, self.jitter) if self.jitter else 0.0)


@dataclass(frozen=True)
class Latency:
    """The hold of every API answer, in milliseconds: ``ms`` plus up to ``jitter_ms`` at random."""

    ms: float = 0
    jitter_ms: float = 0

    @classmethod
    def checked(cls, ms, jitter_ms=0) -> "Latency":
        for name, value in (("latency", ms), ("jitter", jitter_ms)):
            if not is_number(value) or not 0 <= value <= MAX_HOLD_SECONDS * 1000:
                raise FaultError(f"{name} must be a number of milliseconds between 0 and {MAX_HOLD_SECONDS * 1000}")
        return cls(ms, jitter_ms)

    def rule(self) -> FaultRule | None:
        if not self.ms and not self.jitter_ms:
            return None
        return FaultRule(kind="slow", seconds=self.ms / 1000, jitter=self.jitter_ms / 1000)


class FaultRegistry:
    """The rules in force, the standing latency, and the pages ``repeat_page`` replays."""

    def __init__(self, latency: Latency = Latency()) -> None:
        self._lock = threading.Lock()
        self._initial_latency = latency
        self.reset()

    def reset(self) -> None:
        """Back to how the sandbox started: no rules, the start-up latency, no pages kept."""
        with self._lock:
            self.rules: list[FaultRule] = []
            self.latency = self._initial_latency
            self._latency_rule = self.latency.rule()
            self._pages: dict[str, Response] = {}

    def add(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self.rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self.rules = []

    def snapshot(self) -> list[dict]:
        with self._lock:
            return [r.to_json() for r in self.rules]

    def set_latency(self, latency: Latency) -> None:
        with self._lock:
            self.latency = latency
            self._latency_rule = latency.rule()

    def latency_snapshot(self) -> dict:
        with self._lock:
            rule = self._latency_rule
            return {
                "ms": plain_number(self.latency.ms),
                "jitter_ms": plain_number(self.latency.jitter_ms),
                "answers_held": rule.injected if rule else 0,
            }

    def fire(self, method: str, path: str, where: str = "") -> tuple[list[FaultRule], FaultRule | None]:
        """(the rules that fire for this request, the latency rule if one stands); counters updated."""
        fired = []
        with self._lock:
            for rule in self.rules:
                if not path.startswith(rule.path_prefix):
                    continue
                if rule.method and rule.method != method:
                    continue
                if rule.where_contains is not None and rule.where_contains not in where:
                    continue
                rule.seen += 1
                if rule.seen % rule.every:
                    continue
                if rule.times is not None and rule.injected >= rule.times:
                    continue
                rule.injected += 1
                fired.append(rule)
            latency = self._latency_rule
            if latency is not None:
                latency.seen += 1
                latency.injected += 1
        return fired, latency

    def remember_page(self, page: Response) -> None:
        with self._lock:
            self._pages[page.page_key or ""] = page

    def previous_page(self, page_key: str | None) -> Response | None:
        with self._lock:
            return self._pages.get(page_key or "")


FaultAnswer = Callable[[int, str], Response]  # (status, reason phrase) -> the surface's error answer


class FaultLayer:
    """Puts the registry between an API request and the surface that serves it."""

    def __init__(self, registry: FaultRegistry, stats: Stats, seed: int) -> None:
        self.registry = registry
        self.stats = stats
        self._rng = random.Random(f"sendoso-sandbox/{seed}/hold")

    def handle(self, req: Request, serve: Callable[[Request], Response], fault_answer: FaultAnswer) -> Response:
        fired, latency = self.registry.fire(req.method, req.path, req.arg("where") or "")
        hold = latency.hold(self._rng) if latency is not None else 0.0
        decisive: FaultRule | None = None
        for rule in fired:
            self.stats.record_fault(rule.kind)
            if rule.kind == "slow":
                hold += rule.hold(self._rng)
            elif rule.kind == "ignore_where":
                req = replace(req, query={name: values for name, values in req.query.items() if name != "where"})
            elif decisive is None:
                decisive = rule
        if decisive is not None and decisive.kind == "status":
            served = self._status(decisive, fault_answer)
        else:
            routed = served = serve(req)
            if decisive is not None:
                served = self._transform(routed, decisive)
            # A dropped answer was still served (half of it): it is the page a repeat replays.
            kept = served is routed or (decisive is not None and decisive.kind == "drop")
            if kept and routed.page_key and routed.status == 200:
                self.registry.remember_page(routed)
        return replace(served, hold_seconds=hold) if hold else served

    @staticmethod
    def _status(rule: FaultRule, fault_answer: FaultAnswer) -> Response:
        status = rule.status
        assert status is not None  # from_json gives every status rule one
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        if rule.body is None:
            return fault_answer(status, phrase)
        if isinstance(rule.body, str):
            return Response(status, rule.body.encode("utf-8"))
        return json_response(status, rule.body)

    def _transform(self, response: Response, rule: FaultRule) -> Response:
        if rule.kind == "repeat_page":
            return self.registry.previous_page(response.page_key) or response
        if rule.kind == "empty":
            return Response(200, b"", response.headers)
        if rule.kind == "malformed":
            cut = response.body[: max(1, len(response.body) // 2)] if response.body else b'{"'
            return Response(200, cut, response.headers)
        if rule.kind == "drop":
            return replace(response, cut_mid_body=True)
        return response
