"""Extract one search window into the raw zone, resumably: the unit `run` and `backfill` repeat.

Order of effects per page: fetch → write to the raw zone → move the checkpoint. A crash at any
point therefore loses nothing and, on the next call, fetches nothing twice: a page that reached the
raw zone but not the checkpoint is recovered from the raw zone (its next_token is in its body).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from twitter_pipeline.errors import ConfigError, PipelineError
from twitter_pipeline.extract.client import SEARCH_NAMES, XApiClient, format_time, search_endpoint
from twitter_pipeline.extract.pages import RawPage
from twitter_pipeline.extract.state import Checkpoint, StateStore, Window, newer_id, older_id
from twitter_pipeline.raw.zone import RAW_PREFIX, RawZone

logger = logging.getLogger("twitter_pipeline.extract")


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


@dataclass
class ExtractResult:
    """What one call did (pages/posts count the whole run, including resumed parts)."""

    run_id: str
    endpoint: str  # "search_recent" | "search_all"
    query: str
    window: Window
    raw_keys: list[str] = field(default_factory=list)
    pages: int = 0
    posts: int = 0
    newest_id: str | None = None
    oldest_id: str | None = None
    errors_count: int = 0
    complete: bool = False
    resumed: bool = False
    skipped: bool = False  # the window was already complete; nothing fetched
    fetched_pages: int = 0  # pages fetched by this call (not by earlier, interrupted calls)


OnPage = Callable[[RawPage, str, ExtractResult], None]


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: ``20260131T120000Z-1a2b3c``."""
    now = now or datetime.now(UTC)
    return f"{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


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


def _page_stats(page: RawPage) -> tuple[int, str | None, str | None, int]:
    payload = page.payload
    meta = payload.get("meta") or {}
    data = payload.get("data") or []
    ids = [str(item["id"]) for item in data if isinstance(item, dict) and item.get("id")]
    newest = meta.get("newest_id") or (max(ids, key=int) if ids else None)
    oldest = meta.get("oldest_id") or (min(ids, key=int) if ids else None)
    return len(data), newest, oldest, len(payload.get("errors") or [])


def _record(checkpoint: Checkpoint, page: RawPage, key: str) -> None:
    posts, newest, oldest, errors = _page_stats(page)
    checkpoint.seq += 1
    checkpoint.raw_keys.append(key)
    checkpoint.posts += posts
    checkpoint.newest_id = newer_id(checkpoint.newest_id, newest)
    checkpoint.oldest_id = older_id(checkpoint.oldest_id, oldest)
    checkpoint.errors_count += errors
    checkpoint.next_token = page.next_token


def _recover_unrecorded_pages(raw_zone: RawZone, checkpoint: Checkpoint, state: StateStore) -> int:
    """Pages written to the raw zone after the last checkpoint write (a crash in between)."""
    prefix = f"{RAW_PREFIX}/endpoint={checkpoint.endpoint}/"
    marker = f"/run={checkpoint.run_id}/"
    by_seq: dict[int, str] = {}
    for key in raw_zone.keys(prefix):
        if marker in key:
            name = key.rsplit("/", 1)[-1]
            try:
                by_seq[int(name.removeprefix("page-").split(".", 1)[0])] = key
            except ValueError:
                continue
    recovered = 0
    while checkpoint.seq + 1 in by_seq:
        key = by_seq[checkpoint.seq + 1]
        _record(checkpoint, raw_zone.read(key), key)
        recovered += 1
    if recovered:
        state.save_checkpoint(checkpoint)
        logger.info(
            "recovered %d page(s) written before the crash",
            recovered,
            extra={"run_id": checkpoint.run_id, "seq": checkpoint.seq},
        )
    return recovered


def _result(checkpoint: Checkpoint, **extra: object) -> ExtractResult:
    result = ExtractResult(
        run_id=checkpoint.run_id,
        endpoint=checkpoint.endpoint,
        query=checkpoint.query,
        window=checkpoint.window,
        raw_keys=list(checkpoint.raw_keys),
        pages=checkpoint.seq,
        posts=checkpoint.posts,
        newest_id=checkpoint.newest_id,
        oldest_id=checkpoint.oldest_id,
        errors_count=checkpoint.errors_count,
    )
    for name, value in extra.items():
        setattr(result, name, value)
    return result


def _finalize(state: StateStore, checkpoint: Checkpoint) -> None:
    """Every page is in the raw zone: publish the cursor, record the window, drop the checkpoint.

    Each step is idempotent, so a crash in between is repaired by running this again.
    """
    name, query, window = checkpoint.endpoint, checkpoint.query, checkpoint.window
    state.advance_cursor(name, query, checkpoint.newest_id, checkpoint.run_id)
    if window.closed:
        state.mark_window_done(
            name,
            query,
            window,
            {
                "run_id": checkpoint.run_id,
                "pages": checkpoint.seq,
                "posts": checkpoint.posts,
                "newest_id": checkpoint.newest_id,
                "raw_keys": checkpoint.raw_keys,
            },
        )
    state.clear_checkpoint(name, query, window)
    logger.info(
        "window complete: %d pages, %d posts",
        checkpoint.seq,
        checkpoint.posts,
        extra={"endpoint": name, "run_id": checkpoint.run_id, "newest_id": checkpoint.newest_id},
    )


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
) -> ExtractResult:
    """Fetch every page of one window into the raw zone, resuming an interrupted run of it.

    On completion the state's newest_id moves forward, a closed window (with an end) is recorded as
    complete, and the checkpoint is removed. `max_pages` stops early (the checkpoint stays, so the
    next call continues). A completed closed window is skipped unless `force`.
    """
    query = (request.query or "").strip()
    request = SearchRequest(**{**request.__dict__, "query": query})
    name, window = resolve_window(state, request)
    if not force and window.closed:
        done = state.window_done(name, query, window)
        if done is not None:
            logger.info("window already complete, skipping", extra={"endpoint": name, "window": str(window)})
            return ExtractResult(
                run_id=str(done.get("run_id", "")),
                endpoint=name,
                query=query,
                window=window,
                raw_keys=list(done.get("raw_keys") or []),
                pages=int(done.get("pages") or 0),
                posts=int(done.get("posts") or 0),
                newest_id=done.get("newest_id"),
                complete=True,
                skipped=True,
            )

    checkpoint = state.checkpoint(name, query, window)
    resumed = checkpoint is not None
    if checkpoint is None:
        checkpoint = Checkpoint(endpoint=name, query=query, window=window, run_id=run_id or new_run_id())
        state.save_checkpoint(checkpoint)  # claim the run id before the first page
    else:
        _recover_unrecorded_pages(raw_zone, checkpoint, state)
        logger.info(
            "resuming run %s at page %d",
            checkpoint.run_id,
            checkpoint.seq + 1,
            extra={"endpoint": name, "run_id": checkpoint.run_id, "seq": checkpoint.seq},
        )

    fetched = 0
    if not checkpoint.finished:
        pages = client.search(
            request.endpoint,
            query,
            start_time=window.start_time,
            end_time=window.end_time,
            since_id=window.since_id,
            until_id=window.until_id,
            max_results=request.max_results,
            next_token=checkpoint.next_token,
        )
        try:
            for page in pages:
                key = raw_zone.write(checkpoint.run_id, checkpoint.seq + 1, page)
                _record(checkpoint, page, key)
                state.save_checkpoint(checkpoint)
                fetched += 1
                if on_page is not None:
                    on_page(page, key, _result(checkpoint, resumed=resumed, fetched_pages=fetched))
                if max_pages is not None and fetched >= max_pages and not checkpoint.finished:
                    return _result(checkpoint, resumed=resumed, fetched_pages=fetched, complete=False)
        except PipelineError:
            if checkpoint.seq == 0:  # nothing landed: leave no stale checkpoint behind
                state.clear_checkpoint(name, query, window)
            raise
        finally:
            pages.close()

    _finalize(state, checkpoint)
    return _result(checkpoint, resumed=resumed, fetched_pages=fetched, complete=True)
