"""Route tables (moto's ``url_paths``): each path of a surface, to the handler that answers it.

A route is ``(method, pattern, handler)``. The pattern is a regular expression matched in
full against the path below the surface's prefix; its named groups are passed to the
handler as keyword arguments. The tables themselves are in urls.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .web import Response

Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class RouteTable:
    def __init__(self, *routes: tuple[str, str, Handler]):
        self.routes = tuple(Route(method, re.compile(pattern, re.DOTALL), handler) for method, pattern, handler in routes)

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """The first route of this method whose pattern matches the whole path, with its arguments."""
        for route in self.routes:
            if route.method == method:
                match = route.pattern.fullmatch(path)
                if match:
                    return route.handler, match.groupdict()
        return None
