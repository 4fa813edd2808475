"""Everything that shapes one emulator: where it listens, which world it serves, which faults it injects.

One frozen dataclass so tests and the CLI build servers the same way, and so a config can be hashed into
pagination tokens and fault decisions (same config + same requests → same bytes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from twitter_pipeline.emulator import constants as c
from twitter_pipeline.errors import ConfigError
from twitter_pipeline.times import parse_utc


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of one emulator; every fault is off by default."""

    host: str = "127.0.0.1"
    port: int = 0  # 0 = pick a free port
    seed: int = c.DEFAULT_SEED
    token: str | None = None  # None = accept any non-empty bearer token
    posts_per_hour: int = c.DEFAULT_POSTS_PER_HOUR
    world_start: datetime = c.DEFAULT_WORLD_START
    users: int = c.DEFAULT_USERS
    now: datetime | None = None  # frozen clock for the world (None = wall clock)

    # rate limits (per endpoint, per token)
    rate_limit_window_s: int = c.RATE_LIMIT_WINDOW_S
    rate_limits: dict[str, int] = field(default_factory=lambda: dict(c.RATE_LIMITS))
    search_all_per_second: int = c.SEARCH_ALL_PER_SECOND  # 0 = no per-second limit

    # spelling of answers to requests that name no field parameter: "2.159" (tweets, the live API
    # today) or "2.167" (posts); a request naming tweet.fields or post.fields gets that spelling
    spec_version: str = "2.159"

    # search cost bound: posts examined per request before a short page is returned
    max_scan: int = 20_000

    # --- faults (stage B); all decided by request number and seed ---------------------------------------
    burst_every: int = 0  # every N-th request starts a burst of 429s (0 = off)
    burst_length: int = 0  # number of consecutive 429s in a burst
    burst_reset_s: int = 3  # x-rate-limit-reset this many seconds ahead during a burst
    error_rate: float = 0.0  # share of requests answered 500/503
    delay_ms: int = 0  # added latency on every response
    truncate_rate: float = 0.0  # share of 200 responses whose body is cut short
    reset_rate: float = 0.0  # share of requests answered with a TCP reset
    usage_cap: int | None = None  # posts that may be served before 429 usage-capped
    usage_cap_period: str = "Monthly"
    cap_reset_day: int = 1  # day of the month the usage cap resets, as /2/usage/tweets reports it

    def __post_init__(self) -> None:
        if self.posts_per_hour < 1 or self.posts_per_hour > 3_600_000:
            raise ConfigError(
                "emulator posts_per_hour must be between 1 and 3,600,000: pass a value in range"
            )
        if self.users < 10:
            raise ConfigError("emulator users must be at least 10: pass --users 10 or more")
        if self.world_start.tzinfo is None:
            object.__setattr__(self, "world_start", self.world_start.replace(tzinfo=UTC))
        if self.now is not None and self.now.tzinfo is None:
            object.__setattr__(self, "now", self.now.replace(tzinfo=UTC))
        for name in ("error_rate", "truncate_rate", "reset_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"emulator {name} must be between 0 and 1: pass a share such as 0.05")
        if self.spec_version not in ("2.159", "2.167"):
            raise ConfigError("emulator spec_version must be 2.159 or 2.167")
        if self.usage_cap_period not in ("Daily", "Monthly"):
            raise ConfigError("emulator usage_cap_period must be Daily or Monthly")
        if not 1 <= self.cap_reset_day <= 31:
            raise ConfigError("emulator cap_reset_day must be a day of the month (1-31)")
        if self.token is not None and not self.token:
            object.__setattr__(self, "token", None)

    def with_(self, **changes: Any) -> EmulatorConfig:
        """A copy with some settings changed (dataclasses.replace with a shorter name)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> EmulatorConfig:
        """Read `X_EMULATOR_<FIELD>` variables (empty ones mean "default"), then apply overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"X_EMULATOR_{f.name.upper()}", "")
            if raw == "" or f.name == "rate_limits":
                continue
            values[f.name] = _parse_env_value(f.name, raw, cls.__dataclass_fields__[f.name].default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _parse_env_value(name: str, raw: str, default: Any) -> Any:
    try:
        if name in ("world_start", "now"):
            return parse_utc(raw)
        if name == "usage_cap":
            return int(raw)
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"X_EMULATOR_{name.upper()}={raw!r} is not valid: fix or unset it") from exc
    return raw
