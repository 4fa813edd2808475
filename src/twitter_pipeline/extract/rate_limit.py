"""Exact rate-limit bookkeeping from the ``x-rate-limit-*`` headers, one bucket per endpoint.

The X API tells us on every response how many requests are left in the 15-minute window and when it
resets; spending the last one and then waiting for the reset is cheaper than collecting 429s. The
full-archive endpoint also has a 1 request/second limit that no header announces, so it is paced.
Clock and sleep are injected so tests can check the waits without spending them.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

logger = logging.getLogger("twitter_pipeline.extract")

Clock = Callable[[], float]  # Unix seconds (the reset header is Unix seconds too)
Sleep = Callable[[float], None]
OnWait = Callable[[float, datetime, str], None]  # seconds, until (UTC), reason

PER_SECOND_WAIT = 1.0  # a 429 with remaining > 0 is the per-second limit: one second is enough
MAX_RESET_WAIT = 16 * 60.0  # a window is 15 minutes; a reset further away is a bad header


@dataclass
class Bucket:
    """What the last response said about one endpoint's window."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # Unix seconds
    last_request: float | None = None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


class RateLimiter:
    """Decides how long to wait before the next request, and reports each wait."""

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        on_wait: OnWait | None = None,
        min_interval: Mapping[str, float] | None = None,
        jitter: float = 0.5,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.on_wait = on_wait
        self.min_interval = dict(min_interval or {})
        self.jitter = jitter
        self.buckets: dict[str, Bucket] = {}
        self.total_waited = 0.0

    def bucket(self, name: str) -> Bucket:
        return self.buckets.setdefault(name, Bucket())

    # -- before a request ---------------------------------------------------------------------
    def before_request(self, name: str) -> None:
        """Wait for the window reset when it is spent, and keep the per-second pace."""
        bucket = self.bucket(name)
        now = self.clock()
        if bucket.remaining is not None and bucket.remaining <= 0 and bucket.reset is not None:
            if bucket.reset > now:
                self.wait(self._reset_wait(bucket.reset, now), "rate limit window spent", name)
            bucket.remaining = None  # the new window's budget comes with the next response
            now = self.clock()
        interval = self.min_interval.get(name, 0.0)
        if interval and bucket.last_request is not None:
            gap = bucket.last_request + interval - now
            if gap > 0:
                self.wait(gap, "pacing to 1 request per second", name, report=False)
        bucket.last_request = self.clock()

    # -- after a response ---------------------------------------------------------------------
    def observe(self, name: str, headers: Mapping[str, str]) -> None:
        """Record the window state the server reported (missing headers leave it unknown)."""
        bucket = self.bucket(name)
        limit = _int_header(headers, "x-rate-limit-limit")
        remaining = _int_header(headers, "x-rate-limit-remaining")
        reset = _int_header(headers, "x-rate-limit-reset")
        if limit is not None:
            bucket.limit = limit
        if remaining is not None:
            bucket.remaining = remaining
        if reset is not None:
            bucket.reset = float(reset)
        if remaining is not None:
            logger.debug(
                "rate limit",
                extra={"endpoint": name, "limit": limit, "remaining": remaining, "reset": reset},
            )

    def after_429(self, name: str, headers: Mapping[str, str]) -> None:
        """Wait as a 429 asks: the per-second limit when requests remain, else the window reset."""
        self.observe(name, headers)
        bucket = self.bucket(name)
        now = self.clock()
        remaining = _int_header(headers, "x-rate-limit-remaining")
        if remaining is not None and remaining > 0:
            self.wait(PER_SECOND_WAIT, "per-second limit (429)", name)
        elif bucket.reset is not None and bucket.reset > now:
            self.wait(self._reset_wait(bucket.reset, now), "rate limited (429)", name)
        else:
            # No usable reset header: back off a little rather than hammer the server.
            self.wait(PER_SECOND_WAIT * 5, "rate limited (429, no reset header)", name)
        bucket.remaining = None
        bucket.last_request = self.clock()

    # -- waiting ----------------------------------------------------------------------------
    def _reset_wait(self, reset: float, now: float) -> float:
        """Until the reset, plus a jitter of at most 1% of the wait (≤ `jitter` s).

        The jitter keeps clients that share a token from all firing at the reset instant; kept
        proportional so a short window (a test server, a per-minute limit) is not wasted waiting.
        """
        wait = min(reset - now, MAX_RESET_WAIT)
        return wait + random.uniform(0.0, min(self.jitter, 0.01 * max(wait, 0.0)))

    def wait(self, seconds: float, reason: str, name: str = "", *, report: bool = True) -> None:
        """Sleep, after telling the caller how long and until when (for progress output)."""
        if seconds <= 0:
            return
        until = datetime.fromtimestamp(self.clock() + seconds, UTC)
        if report:
            logger.info(
                "waiting %.1f s until %s: %s",
                seconds,
                until.isoformat(timespec="seconds"),
                reason,
                extra={"endpoint": name, "wait_seconds": round(seconds, 3), "reason": reason},
            )
            if self.on_wait is not None:
                self.on_wait(seconds, until, reason)
        self.total_waited += seconds
        self.sleep(seconds)
