"""Extract one user timeline window into the raw zone, resumably (`GET /2/users/:id/tweets`).

The same discipline as the search window (extract.window): fetch → raw zone → checkpoint, per page;
on completion the user's cursor (newest_id) moves forward and a closed window is recorded as done.
Differences that matter: pages follow ``pagination_token``; ``exclude`` drops retweets/replies at
the source; and the endpoint only reaches a user's most recent 3,200 posts, so a run that starts
from nothing (or from a cursor older than that) cannot see further back — `capped` says when.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from twitter_pipeline.errors import ConfigError, PipelineError
from twitter_pipeline.extract.client import XApiClient, format_time
from twitter_pipeline.extract.pages import RawPage
from twitter_pipeline.extract.state import Checkpoint, StateStore, Window, newer_id, older_id
from twitter_pipeline.extract.window import ExtractResult, new_run_id
from twitter_pipeline.raw.zone import RAW_PREFIX, RawZone

logger = logging.getLogger("twitter_pipeline.collections")

TIMELINE_ENDPOINT = "user_tweets"
TIMELINE_DEPTH = 3200  # the endpoint serves only a user's most recent 3,200 posts
TIMELINE_MAX_RESULTS = (5, 100)

OnPage = Callable[[RawPage, str, ExtractResult], None]


@dataclass(frozen=True)
class TimelineRequest:
    """One user's timeline window; with `incremental`, a missing since_id comes from the cursor."""

    user_id: str
    start_time: datetime | str | None = None
    end_time: datetime | str | None = None
    since_id: str | None = None
    until_id: str | None = None
    exclude: tuple[str, ...] = ()
    max_results: int | None = None
    incremental: bool = True


@dataclass
class TimelineResult(ExtractResult):
    """An `ExtractResult` plus whether the timeline's 3,200-post horizon cut the window short."""

    capped: bool = False
    problems: list[str] = field(default_factory=list)  # API errors such as a suspended account


def timeline_params(
    client: XApiClient, request: TimelineRequest, window: Window, fields: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The first page's query parameters: the client's fields (or the collection's), bounds, exclude."""
    low, high = TIMELINE_MAX_RESULTS
    max_results = request.max_results or high
    if not low <= max_results <= high:
        raise ConfigError(f"max_results={max_results} is out of range for user timelines: use {low}–{high}")
    params = {"max_results": str(max_results)}
    bounds = {
        "start_time": window.start_time,
        "end_time": window.end_time,
        "since_id": window.since_id,
        "until_id": window.until_id,
    }
    params.update({k: v for k, v in bounds.items() if v})
    if request.exclude:
        params["exclude"] = ",".join(sorted(request.exclude))
    params.update(dict(fields) if fields else client.field_params)
    return params


def resolve_timeline_window(state: StateStore, request: TimelineRequest) -> Window:
    """The exact bounds to send: an interrupted run of the same bounds wins, else since_id = cursor."""
    fixed = Window(
        start_time=format_time(request.start_time),
        end_time=format_time(request.end_time),
        since_id=str(request.since_id) if request.since_id else None,
        until_id=str(request.until_id) if request.until_id else None,
    )
    if fixed.since_id or not request.incremental:
        return fixed
    open_ended = not (fixed.end_time or fixed.until_id)
    for checkpoint in state.checkpoints(TIMELINE_ENDPOINT, request.user_id):
        w = checkpoint.window
        if (w.start_time, w.end_time, w.until_id) == (fixed.start_time, fixed.end_time, fixed.until_id):
            return w
        if open_ended and not w.closed:  # an interrupted poll: its start was "now - lookback" back then
            return w
    since_id = state.newest_id(TIMELINE_ENDPOINT, request.user_id)
    return replace(fixed, since_id=since_id or None)


def _record(checkpoint: Checkpoint, page: RawPage, key: str) -> None:
    payload = page.payload
    meta = payload.get("meta") or {}
    ids = [str(p["id"]) for p in payload.get("data") or [] if isinstance(p, dict) and p.get("id")]
    checkpoint.seq += 1
    checkpoint.raw_keys.append(key)
    checkpoint.posts += len(ids)
    checkpoint.newest_id = newer_id(
        checkpoint.newest_id, meta.get("newest_id") or max(ids, key=int, default=None)
    )
    checkpoint.oldest_id = older_id(
        checkpoint.oldest_id, meta.get("oldest_id") or min(ids, key=int, default=None)
    )
    checkpoint.errors_count += len(payload.get("errors") or [])
    checkpoint.next_token = page.next_token


def _recover(raw_zone: RawZone, checkpoint: Checkpoint, state: StateStore) -> None:
    """Pages that reached the raw zone after the last checkpoint write (a crash in between)."""
    marker = f"/run={checkpoint.run_id}/"
    by_seq: dict[int, str] = {}
    for key in raw_zone.keys(f"{RAW_PREFIX}/endpoint={TIMELINE_ENDPOINT}/"):
        if marker in key:
            try:
                by_seq[int(key.rsplit("/", 1)[-1].removeprefix("page-").split(".", 1)[0])] = key
            except ValueError:
                continue
    recovered = 0
    while checkpoint.seq + 1 in by_seq:
        key = by_seq[checkpoint.seq + 1]
        _record(checkpoint, raw_zone.read(key), key)
        recovered += 1
    if recovered:
        state.save_checkpoint(checkpoint)


def _result(checkpoint: Checkpoint, **extra: object) -> TimelineResult:
    result = TimelineResult(
        run_id=checkpoint.run_id,
        endpoint=TIMELINE_ENDPOINT,
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
    user, window = checkpoint.query, checkpoint.window
    state.advance_cursor(TIMELINE_ENDPOINT, user, checkpoint.newest_id, checkpoint.run_id)
    if window.closed:
        state.mark_window_done(
            TIMELINE_ENDPOINT,
            user,
            window,
            {
                "run_id": checkpoint.run_id,
                "pages": checkpoint.seq,
                "posts": checkpoint.posts,
                "newest_id": checkpoint.newest_id,
                "raw_keys": checkpoint.raw_keys,
            },
        )
    state.clear_checkpoint(TIMELINE_ENDPOINT, user, window)


def is_capped(window: Window, posts: int, tweet_count: int | None) -> bool:
    """True when the 3,200-post horizon, not the window's lower bound, ended the timeline.

    Without a lower bound the endpoint returns everything it can reach, which is all of an account
    with more than 3,200 posts only if it has fewer; a window that returned 3,200 posts or more was
    cut wherever its bound lay (posts in a gap older than the horizon are unreachable here).
    """
    if posts >= TIMELINE_DEPTH:
        return True
    unbounded = not (window.since_id or window.start_time)
    return unbounded and tweet_count is not None and tweet_count > TIMELINE_DEPTH


def extract_timeline(
    client: XApiClient,
    raw_zone: RawZone,
    state: StateStore,
    request: TimelineRequest,
    *,
    run_id: str | None = None,
    max_pages: int | None = None,
    on_page: OnPage | None = None,
    force: bool = False,
    fields: Mapping[str, str] | None = None,
    tweet_count: int | None = None,
) -> TimelineResult:
    """Fetch every page of one user's timeline window into the raw zone, resuming if interrupted."""
    user = request.user_id
    window = resolve_timeline_window(state, request)
    if not force and window.closed:
        done = state.window_done(TIMELINE_ENDPOINT, user, window)
        if done is not None:
            return TimelineResult(
                run_id=str(done.get("run_id", "")),
                endpoint=TIMELINE_ENDPOINT,
                query=user,
                window=window,
                raw_keys=list(done.get("raw_keys") or []),
                pages=int(done.get("pages") or 0),
                posts=int(done.get("posts") or 0),
                newest_id=done.get("newest_id"),
                complete=True,
                skipped=True,
            )
    checkpoint = state.checkpoint(TIMELINE_ENDPOINT, user, window)
    resumed = checkpoint is not None
    if checkpoint is None:
        checkpoint = Checkpoint(TIMELINE_ENDPOINT, user, window, run_id or new_run_id())
        state.save_checkpoint(checkpoint)
    else:
        _recover(raw_zone, checkpoint, state)
        logger.info("resuming timeline of %s at page %d", user, checkpoint.seq + 1)

    fetched = 0
    if not checkpoint.finished:
        params = timeline_params(client, request, window, fields)
        pages = client.paginate(
            TIMELINE_ENDPOINT,
            f"/2/users/{user}/tweets",
            params,
            next_token=checkpoint.next_token,
            token_param="pagination_token",
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
            if checkpoint.seq == 0:
                state.clear_checkpoint(TIMELINE_ENDPOINT, user, window)
            raise
        finally:
            pages.close()

    problems = _problems(raw_zone, checkpoint)
    _finalize(state, checkpoint)
    capped = is_capped(window, checkpoint.posts, tweet_count)
    return _result(
        checkpoint, resumed=resumed, fetched_pages=fetched, complete=True, capped=capped, problems=problems
    )


def _problems(raw_zone: RawZone, checkpoint: Checkpoint) -> list[str]:
    """API errors of a timeline that returned no posts (suspended, protected, unknown user)."""
    if checkpoint.posts or not checkpoint.errors_count or not checkpoint.raw_keys:
        return []
    payload = raw_zone.read(checkpoint.raw_keys[0]).payload
    return [
        str(e.get("detail") or e.get("title")) for e in payload.get("errors") or [] if isinstance(e, dict)
    ]
