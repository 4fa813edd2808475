"""Estimates of what `run`, `backfill` or a collection would read, without reading a post.

The same windows the pipeline would fetch (a closed window, a backfill's windows, the polling step
after the last run) are counted with the counts endpoints; the lake is only read (the month's reads,
the polling cursor), never written. Used by `twitter-pipeline estimate` and by `--dry-run`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from twitter_pipeline.budget.estimate import Estimate, estimate_search
from twitter_pipeline.budget.ledger import month_start, reads_since
from twitter_pipeline.errors import ConfigError
from twitter_pipeline.pipeline import (
    ENDPOINTS,
    default_window,
    open_client,
    parse_run_bounds,
    resolve_query,
    resolve_source,
)
from twitter_pipeline.settings import Settings
from twitter_pipeline.storage import LakeStorage


def estimate(
    settings: Settings,
    *,
    query: str | None = None,
    collection: object | None = None,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    every: timedelta | None = None,
    endpoint: str = "recent",
    source: str | None = None,
    granularity: str | None = None,
    max_posts: int | None = None,
    polling: bool = False,
) -> Estimate:
    """Estimate a window (`start`/`end`), a backfill (`every`), or with `polling` the next polling step
    (without bounds and without `polling`: the last complete UTC hour)."""
    from twitter_pipeline.extract.state import StateStore
    from twitter_pipeline.extract.window import resolve_window, split_windows

    chosen = resolve_source(settings, source)
    if collection is not None:
        query, endpoint = _collection_search(collection)
    if endpoint not in ENDPOINTS:
        raise ConfigError(f"unknown endpoint {endpoint!r}: use --endpoint recent or --endpoint all")
    query = resolve_query(settings, query, chosen)
    start_at, end_at = parse_run_bounds(start, end, None)
    if (start_at is None) != (end_at is None):
        raise ConfigError("give both --start and --end, or neither (the last complete hour)")
    storage = LakeStorage(settings.lake)
    since_id = None
    if start_at is None or end_at is None:
        start_at, end_at = default_window()
        if polling:
            from twitter_pipeline.engine.units import polling_request

            state = StateStore(storage, chosen)
            request = polling_request(state, query, endpoint, None)
            _, window = resolve_window(state, request)
            since_id = window.since_id
            if request.start_time is not None and since_id is None:  # the first run of the query
                start_at = request.start_time  # type: ignore[assignment]
                end_at = (datetime.now(UTC) - timedelta(seconds=30)).replace(microsecond=0)
    windows = split_windows(start_at, end_at, every) if every else [(start_at, end_at)]
    with open_client(settings, chosen) as client:
        result = estimate_search(
            client,
            endpoint,
            query,
            windows,
            price_per_post=settings.price_per_post,
            since_id=since_id,
            granularity=granularity,
        )
    result.budget = {
        "per_run": max_posts if max_posts is not None else settings.max_posts_per_run,
        "per_month": settings.max_posts_per_month,
        "month_used": reads_since(storage, month_start()),
    }
    return result


def _collection_search(collection: object) -> tuple[str, str]:
    kind = getattr(collection, "kind", None)
    if kind != "search":
        name = getattr(collection, "name", "?")
        raise ConfigError(
            f"collection {name!r} reads account timelines, which the counts endpoints cannot count: "
            "estimate a search collection, or set max_posts on this one to cap what it reads"
        )
    return str(collection.query), str(collection.api_endpoint)  # type: ignore[attr-defined]
