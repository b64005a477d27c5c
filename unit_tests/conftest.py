import time
from unittest import mock

import pyrate_limiter.clocks
import pytest


class VirtualClock:
    """Retries and rate-limit waits are behaviour under test; the seconds they wait are not.

    `time.sleep` returns at once but moves this clock forward, and the rate limiter of the
    connector's API budget (pyrate_limiter) reads this clock: a wait for a full call window
    ends, in virtual time, exactly as it would in real time.
    """

    def __init__(self) -> None:
        self._real_time = time.time
        self.slept = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)

    def time(self) -> float:
        return self._real_time() + self.slept


@pytest.fixture(autouse=True)
def virtual_clock():
    clock = VirtualClock()
    with mock.patch.object(time, "sleep", clock.sleep), mock.patch.object(pyrate_limiter.clocks, "time", clock.time):
        yield clock
