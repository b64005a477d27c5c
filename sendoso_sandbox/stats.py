"""Request accounting for GET /_sandbox/stats (shape in README.md)."""

from __future__ import annotations

import threading
from collections import Counter, deque

WHERE_HISTORY = 1000  # keep the most recent where= values only


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.requests: Counter[str] = Counter()
            self.throttled = 0
            self.where: deque[str] = deque(maxlen=WHERE_HISTORY)
            self.faults: Counter[str] = Counter()
            self.tokens_issued = 0

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests[f"{method} {path} {status}"] += 1
            if status == 429:
                self.throttled += 1

    def record_where(self, where: str) -> None:
        with self._lock:
            self.where.append(where)

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def record_token(self) -> None:
        with self._lock:
            self.tokens_issued += 1

    def snapshot(self, records: dict[str, int]) -> dict:
        with self._lock:
            return {
                "records": records,
                "requests": dict(sorted(self.requests.items())),
                "requests_total": sum(self.requests.values()),
                "throttled": self.throttled,
                "where": list(self.where),
                "faults_injected": dict(sorted(self.faults.items())),
                "tokens_issued": self.tokens_issued,
            }
