"""Which pipeline errors Airflow should retry and which should fail the task at once.

A storage outage or a flaky API answer may pass; a bad token, an exhausted monthly cap, a spent budget, bad
settings or failed quality checks will not, so retrying them only burns time (and API reads).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from twitter_pipeline.errors import (
    AuthError,
    BudgetError,
    ConfigError,
    InputError,
    PipelineError,
    QualityError,
    UsageCapError,
)

NOT_RETRYABLE: tuple[type[PipelineError], ...] = (
    AuthError,
    BudgetError,
    ConfigError,
    InputError,
    QualityError,
    UsageCapError,
)


@contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Re-raise permanent pipeline errors as ``AirflowFailException`` (no retries), one line."""
    try:
        yield
    except NOT_RETRYABLE as exc:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from None
