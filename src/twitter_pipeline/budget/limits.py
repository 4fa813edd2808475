"""Which post-read budgets a run works under, from the CLI, the settings and the collection's own."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from twitter_pipeline.budget.guard import Limit, ReadGuard
from twitter_pipeline.budget.ledger import month_start, reads_since
from twitter_pipeline.errors import ConfigError
from twitter_pipeline.settings import Settings
from twitter_pipeline.storage import LakeStorage

if TYPE_CHECKING:  # annotations only: an import never loads the HTTP client
    from twitter_pipeline.extract.client import XApiClient

RUN_RAISE = (
    "--max-posts N or TWITTER_PIPELINE_MAX_POSTS_PER_RUN "
    "(Airflow Variable twitter_pipeline_max_posts_per_run)"
)
MONTH_RAISE = "TWITTER_PIPELINE_MAX_POSTS_PER_MONTH (Airflow Variable twitter_pipeline_max_posts_per_month)"


def build_guard(
    storage: LakeStorage,
    settings: Settings,
    *,
    max_posts: int | None = None,
    collection: str | None = None,
    collection_max: int | None = None,
    now: datetime | None = None,
) -> ReadGuard:
    """A guard with every budget that applies: --max-posts (else the per-run setting), the
    collection's `max_posts`, and the per-month setting minus what the month's runs already read."""
    if max_posts is not None and max_posts < 1:
        raise ConfigError("--max-posts must be at least 1")
    limits: list[Limit] = []
    per_run = max_posts if max_posts is not None else settings.max_posts_per_run
    if per_run is not None:
        limits.append(Limit("per-run", per_run, RUN_RAISE))
    if collection_max is not None:
        limits.append(
            Limit(
                f"collection {collection!r} per-run",
                collection_max,
                f"max_posts of [[collections]] name = {collection!r} in the collections file",
            )
        )
    if settings.max_posts_per_month is not None:
        used = reads_since(storage, month_start(now))
        limits.append(Limit("per-month", settings.max_posts_per_month, MONTH_RAISE, already_used=used))
    return ReadGuard(limits=limits)


def limit_values(guard: ReadGuard) -> tuple[int | None, int | None]:
    """(per-run, per-month) maxima of a guard, for the usage table."""
    per_run = min((lim.posts for lim in guard.limits if lim.name.endswith("per-run")), default=None)
    per_month = next((lim.posts for lim in guard.limits if lim.name == "per-month"), None)
    return per_run, per_month


def add_project_cap(guard: ReadGuard, client: XApiClient) -> ReadGuard:
    """Also hold the project's monthly cap as `/2/usage/tweets` reports it (skipped where unavailable)."""
    from twitter_pipeline.budget.estimate import usage_or_none

    usage = usage_or_none(client)
    if usage is not None and usage.cap is not None and usage.used is not None:
        reset = f" (it resets on day {usage.reset_day} of the month)" if usage.reset_day else ""
        guard.limits.append(
            Limit(
                "X API project cap",
                usage.cap,
                f"a higher cap in the X developer console, or wait for the reset{reset}",
                already_used=usage.used,
            )
        )
    return guard
