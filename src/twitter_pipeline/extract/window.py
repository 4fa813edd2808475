"""Extract one search window into the raw zone, resumably: the unit `run` and `backfill` repeat.

This module decides which window a search request means (bounds, resuming, since_id from the
cursor); fetching it page by page, checkpointed, is `extract.checkpointed`'s job.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from twitter_pipeline.errors import ConfigError
from twitter_pipeline.extract.checkpointed import ExtractResult, OnPage, extract_checkpointed
from twitter_pipeline.extract.checkpointed import new_run_id as new_run_id  # re-exported: older imports
from twitter_pipeline.extract.endpoints import SEARCH_NAMES, format_time, search_endpoint
from twitter_pipeline.extract.state import StateStore, Window
from twitter_pipeline.raw.pages import RawPage
from twitter_pipeline.raw.zone import RawZone

if TYPE_CHECKING:  # annotations only: an import never loads the HTTP client
    from twitter_pipeline.extract.client import XApiClient


@dataclass(frozen=True)
class SearchRequest:
    """What to extract. With `incremental`, a missing `since_id` comes from the state's newest_id."""

    query: str
    endpoint: str = "recent"  # "recent" | "all"
    start_time: datetime | str | None = None
    end_time: datetime | str | None = None
    since_id: str | None = None
    until_id: str | None = None
    max_results: int | None = None
    incremental: bool = True


def split_windows(start: datetime, end: datetime, every: timedelta) -> list[tuple[datetime, datetime]]:
    """Consecutive half-open windows [start, end) of length `every` (the last one may be shorter)."""
    if every <= timedelta(0):
        raise ConfigError("the window length must be positive, e.g. --every 1d")
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    if end <= start:
        raise ConfigError(f"the range end {end.isoformat()} is not after its start {start.isoformat()}")
    windows: list[tuple[datetime, datetime]] = []
    cursor = start
    while cursor < end:
        stop = min(cursor + every, end)
        windows.append((cursor, stop))
        cursor = stop
    return windows


def resolve_window(state: StateStore, request: SearchRequest) -> tuple[str, Window]:
    """The endpoint name and the exact bounds this request will send.

    An interrupted run of the same bounds wins (it is resumed with the since_id and start it began
    with; a request without start_time matches any start); otherwise an incremental request takes
    since_id from the state's newest_id.
    """
    name = SEARCH_NAMES[search_endpoint(request.endpoint)]
    query = request.query.strip()
    fixed = Window(
        start_time=format_time(request.start_time),
        end_time=format_time(request.end_time),
        since_id=str(request.since_id) if request.since_id else None,
        until_id=str(request.until_id) if request.until_id else None,
    )
    if fixed.since_id or not request.incremental:
        return name, fixed
    for checkpoint in state.checkpoints(name, query):
        w = checkpoint.window
        # Without an explicit start, "everything new" means: first finish the interrupted run, whatever
        # start it had (the first run of a query usually has one, its resumption need not repeat it).
        same_start = fixed.start_time is None or w.start_time == fixed.start_time
        if same_start and (w.end_time, w.until_id) == (fixed.end_time, fixed.until_id):
            return name, w
    since_id = state.newest_id(name, query)
    return name, replace(fixed, since_id=since_id or None)


def is_window_complete(state: StateStore, request: SearchRequest) -> bool:
    """True when this exact window was completed before (backfill skips it)."""
    name, window = resolve_window(state, request)
    return window.closed and state.window_done(name, request.query, window) is not None


def extract_window(
    client: XApiClient,
    raw_zone: RawZone,
    state: StateStore,
    request: SearchRequest,
    *,
    max_pages: int | None = None,
    on_page: OnPage | None = None,
    run_id: str | None = None,
    force: bool = False,
    finalize_when_done: bool = True,
) -> ExtractResult:
    """Fetch every page of one window into the raw zone, resuming an interrupted run of it.

    On completion the state's newest_id moves forward, a closed window (with an end) is recorded as
    complete, and the checkpoint is removed. `max_pages` stops early (the checkpoint stays, so the
    next call continues). A completed closed window is skipped unless `force`.
    """
    query = (request.query or "").strip()
    request = SearchRequest(**{**request.__dict__, "query": query})
    name, window = resolve_window(state, request)

    def fetch_pages(next_token: str | None) -> Generator[RawPage, None, None]:
        return client.search(
            request.endpoint,
            query,
            start_time=window.start_time,
            end_time=window.end_time,
            since_id=window.since_id,
            until_id=window.until_id,
            max_results=request.max_results,
            next_token=next_token,
        )

    return extract_checkpointed(
        raw_zone,
        state,
        name,
        query,
        window,
        fetch_pages,
        run_id=run_id,
        max_pages=max_pages,
        on_page=on_page,
        force=force,
        finalize_when_done=finalize_when_done,
    )
