"""Extract one user timeline window into the raw zone, resumably (`GET /2/users/:id/tweets`).

The same checkpointed loop as a search window (extract.checkpointed): fetch → raw zone → checkpoint,
per page; on completion the user's cursor (newest_id) moves forward and a closed window is recorded
as done.
Differences that matter: pages follow ``pagination_token``; ``exclude`` drops retweets/replies at
the source; and the endpoint only reaches a user's most recent 3,200 posts, so a run that starts
from nothing (or from a cursor older than that) cannot see further back — `capped` says when.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from twitter_pipeline.errors import ConfigError
from twitter_pipeline.extract.checkpointed import ExtractResult, OnPage, extract_checkpointed
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.endpoints import format_time
from twitter_pipeline.extract.state import Checkpoint, StateStore, Window
from twitter_pipeline.raw.pages import RawPage
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.spec import TIMELINE_MAX_RESULTS, check_max_results

TIMELINE_ENDPOINT = "user_tweets"
TIMELINE_DEPTH = 3200  # the endpoint serves only a user's most recent 3,200 posts


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
    max_results = request.max_results or TIMELINE_MAX_RESULTS[1]
    try:
        check_max_results(max_results, TIMELINE_MAX_RESULTS, "user timelines")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
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
    finalize_when_done: bool = True,
) -> TimelineResult:
    """Fetch every page of one user's timeline window into the raw zone, resuming if interrupted."""
    user = request.user_id
    window = resolve_timeline_window(state, request)

    def fetch_pages(next_token: str | None) -> Generator[RawPage, None, None]:
        params = timeline_params(client, request, window, fields)
        return client.paginate(
            TIMELINE_ENDPOINT,
            f"/2/users/{user}/tweets",
            params,
            next_token=next_token,
            token_param="pagination_token",
        )

    def describe_finished(checkpoint: Checkpoint) -> dict[str, object]:
        return {
            "problems": _problems(raw_zone, checkpoint),
            "capped": is_capped(window, checkpoint.posts, tweet_count),
        }

    return extract_checkpointed(
        raw_zone,
        state,
        TIMELINE_ENDPOINT,
        user,
        window,
        fetch_pages,
        result_type=TimelineResult,
        run_id=run_id,
        max_pages=max_pages,
        on_page=on_page,
        force=force,
        describe_finished=describe_finished,
        finalize_when_done=finalize_when_done,
    )


def _problems(raw_zone: RawZone, checkpoint: Checkpoint) -> list[str]:
    """API errors of a timeline that returned no posts (suspended, protected, unknown user)."""
    if checkpoint.posts or not checkpoint.errors_count or not checkpoint.raw_keys:
        return []
    payload = raw_zone.read(checkpoint.raw_keys[0]).payload
    return [
        str(e.get("detail") or e.get("title")) for e in payload.get("errors") or [] if isinstance(e, dict)
    ]
