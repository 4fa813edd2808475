"""Which failures are worth another try, and how long to keep trying (tenacity).

Server errors, timeouts, dropped connections and truncated or garbled bodies are usually gone a
few seconds later; retrying them with exponential backoff and jitter (so many clients do not retry
in lockstep) makes a long run survive them. Attempts and total time are bounded so a real outage
ends in one clear error instead of a run that never finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    stop_any,
    wait_exponential,
    wait_random,
)
from tenacity.stop import stop_base


class TransientError(Exception):
    """A failure that may pass: 5xx, timeout, reset connection, truncated or invalid body."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConnectFailure(TransientError):
    """No connection at all (refused, unknown host, connect timeout): often a wrong base URL."""


class _StopWhen(stop_base):
    """A plain predicate as a tenacity stop condition (stop_any takes stop_base instances)."""

    def __init__(self, predicate: Callable[[RetryCallState], bool]) -> None:
        self.predicate = predicate

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.predicate(retry_state)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retrying transient failures of one request."""

    max_attempts: int = 6
    initial_wait: float = 1.0
    max_wait: float = 60.0
    max_total_seconds: float = 600.0
    jitter: float = 1.0


def build_retrying(
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    before_sleep: Callable[[RetryCallState], None] | None = None,
    stop_early: Callable[[RetryCallState], bool] | None = None,
) -> Retrying:
    """A tenacity controller for `TransientError`; `sleep` receives each backoff (to report and sleep).

    `stop_early` may end the retries before the policy's bounds (e.g. a host never reached).
    """
    stops: list[stop_base] = [
        stop_after_attempt(policy.max_attempts),
        stop_after_delay(policy.max_total_seconds),
    ]
    if stop_early is not None:
        stops.append(_StopWhen(stop_early))
    return Retrying(
        retry=retry_if_exception_type(TransientError),
        stop=stop_any(*stops),
        wait=(
            wait_exponential(multiplier=policy.initial_wait, max=policy.max_wait)
            + wait_random(0, policy.jitter)
        ),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def last_reason(state: RetryCallState) -> str:
    """The reason of the failure that triggered this retry (for logs and the wait callback)."""
    outcome = state.outcome
    if outcome is None or not outcome.failed:
        return "retrying"
    exc = outcome.exception()
    return exc.reason if isinstance(exc, TransientError) else type(exc).__name__
