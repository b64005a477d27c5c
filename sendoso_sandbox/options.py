"""How a sandbox is configured, checked in one place: ``sendoso-sandbox serve`` (cli.py) and
``Sandbox(...)`` (app.py) both build a ``SandboxOptions``, and it refuses what it cannot serve."""

from __future__ import annotations

from dataclasses import dataclass

from .faults import FaultError, Latency, is_number

MARKETPLACE_REQUESTS_PER_MINUTE = 100


class OptionError(ValueError):
    """An option the sandbox cannot start with; the message names the option and the fix."""


@dataclass(frozen=True)
class SandboxOptions:
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    seed: int = 1
    scale: int = 1000  # number of sends; the other tables scale with it
    rate_limit: float = 10  # requests per second per client; 0: unlimited
    token_ttl: int = 7200  # access token lifetime, seconds
    rotate_refresh_tokens: bool = False
    db_path: str | None = None
    marketplace_rate_limit: int = MARKETPLACE_REQUESTS_PER_MINUTE  # per minute per client; 0: unlimited
    latency_ms: float = 0  # every API answer is held this long...
    jitter_ms: float = 0  # ...plus up to this much more, at random
    verbose: bool = False

    def __post_init__(self) -> None:
        if not is_number(self.rate_limit) or self.rate_limit < 0:
            raise OptionError(f"--rate-limit must be a number >= 0 (0: unlimited), not {self.rate_limit!r}")
        if not isinstance(self.scale, int) or self.scale < 0:
            raise OptionError(f"--scale must be an integer >= 0, not {self.scale!r}")
        if not isinstance(self.token_ttl, int) or self.token_ttl < 1:
            raise OptionError(f"--token-ttl must be an integer >= 1 (seconds), not {self.token_ttl!r}")
        if not isinstance(self.marketplace_rate_limit, int) or self.marketplace_rate_limit < 0:
            raise OptionError(f"--marketplace-rate-limit must be an integer >= 0 (0: unlimited), not {self.marketplace_rate_limit!r}")
        try:
            Latency.checked(self.latency_ms, self.jitter_ms)
        except FaultError as exc:
            raise OptionError(f"--{exc}") from None

    @property
    def latency(self) -> Latency:
        return Latency(self.latency_ms, self.jitter_ms)
