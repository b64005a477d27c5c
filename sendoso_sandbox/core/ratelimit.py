"""Sliding-window rate limiting, keyed per client.

"More than N requests in any sliding window" -> 429.  Only ADMITTED requests are
remembered, so a client hammering while blocked is not locked out longer (the
window slides on what was actually served).
"""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindowLimiter:
    def __init__(self, limit: float, window_seconds: float = 1.0, clock=time.monotonic):
        """``limit`` requests per ``window_seconds``; 0 = unlimited.  A fractional
        per-second limit (0.5) becomes 1 request per 2 seconds."""
        self.limit = limit
        self.clock = clock
        if limit and limit > 0:
            self.count = max(1, int(limit))
            self.window = window_seconds * self.count / limit
        else:
            self.count = 0
            self.window = window_seconds
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    @property
    def unlimited(self) -> bool:
        return self.count == 0

    def admit(self, key: str) -> tuple[bool, float]:
        """(admitted, seconds until the window frees a slot)."""
        if self.unlimited:
            return True, 0.0
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            horizon = now - self.window
            while hits and hits[0] <= horizon:
                hits.popleft()
            if len(hits) >= self.count:
                return False, max(0.0, hits[0] + self.window - now)
            hits.append(now)
            reset_in = hits[0] + self.window - now
            return True, reset_in

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
