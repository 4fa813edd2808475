"""What a window, a backfill or a collection will cost: posts per bucket, requests, wall time and money.

Posts come from the counts endpoints (which read no post); requests and wall time follow from the
page size and the documented rate limits; cost is posts × the configured price per post read.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from twitter_pipeline.errors import ApiError, ApiUnreachableError
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.endpoints import search_endpoint
from twitter_pipeline.extract.volume import CountBucket, Usage, count_posts, read_usage
from twitter_pipeline.spec import SEARCH_MAX_RESULTS

# Requests per 15-minute window per app (docs.x.com rate limits) and the per-second pace of the archive.
SEARCH_LIMITS: dict[str, int] = {"recent": 450, "all": 300}
MIN_INTERVAL_S: dict[str, float] = {"recent": 0.0, "all": 1.0}
RATE_WINDOW_S = 900.0
REQUEST_SECONDS = 0.7  # an assumed typical latency of one search page; rate-limit waits dominate long runs


@dataclass
class WindowEstimate:
    """One window a run or backfill would fetch: its posts and the search requests that takes."""

    start: datetime
    end: datetime
    posts: int
    requests: int


@dataclass
class Estimate:
    """Everything `twitter-pipeline estimate` prints, and what `--dry-run` shows instead of fetching."""

    query: str
    endpoint: str
    granularity: str
    price_per_post: float
    buckets: list[CountBucket] = field(default_factory=list)
    windows: list[WindowEstimate] = field(default_factory=list)
    count_requests: int = 0
    usage: Usage | None = None
    budget: dict[str, int | None] = field(default_factory=dict)  # per_run, per_month, month_used

    @property
    def posts(self) -> int:
        return sum(b.posts for b in self.buckets)

    @property
    def requests(self) -> int:
        return sum(w.requests for w in self.windows)

    @property
    def cost(self) -> float:
        return round(self.posts * self.price_per_post, 4)

    @property
    def wall_seconds(self) -> float:
        return wall_time(self.requests, self.endpoint)

    def to_dict(self) -> dict[str, Any]:
        usage = self.usage
        return {
            "query": self.query,
            "endpoint": self.endpoint,
            "granularity": self.granularity,
            "posts": self.posts,
            "requests": self.requests,
            "count_requests": self.count_requests,
            "wall_seconds": self.wall_seconds,
            "price_per_post": self.price_per_post,
            "cost": self.cost,
            "buckets": [{"start": _iso(b.start), "end": _iso(b.end), "posts": b.posts} for b in self.buckets],
            "windows": [{**asdict(w), "start": _iso(w.start), "end": _iso(w.end)} for w in self.windows],
            "usage": None
            if usage is None
            else {
                "cap": usage.cap,
                "used": usage.used,
                "remaining": usage.remaining,
                "reset_day": usage.reset_day,
            },
            "budget": dict(self.budget),
        }


def pages_for(posts: int, page_size: int) -> int:
    """Search requests a window of `posts` takes: an empty window still costs one request."""
    return max(1, math.ceil(posts / page_size))


def wall_time(requests: int, endpoint: str) -> float:
    """Seconds `requests` search requests take under the rate limits: each 15-minute window serves its
    limit of requests, then the client waits for the reset; a request takes at least REQUEST_SECONDS
    (a typical page of 100 posts with expansions) and, on the full archive, 1 s (its pace)."""
    short = search_endpoint(endpoint)
    if requests <= 0:
        return 0.0
    limit = SEARCH_LIMITS[short]
    full_windows = (requests - 1) // limit
    in_last_window = (requests - 1) % limit + 1
    return full_windows * RATE_WINDOW_S + in_last_window * max(MIN_INTERVAL_S[short], REQUEST_SECONDS)


def granularity_for(windows: list[tuple[datetime, datetime]]) -> str:
    """Minutes for an hour or less, hours up to three days, days beyond; always fine enough that every
    window edge is a bucket edge, so per-window posts are exact."""
    span = windows[-1][1] - windows[0][0]
    chosen = "minute" if span <= timedelta(hours=1) else "hour" if span <= timedelta(days=3) else "day"
    edges = [start for start, _ in windows[1:]]
    if chosen == "day" and any(e.hour or e.minute or e.second for e in edges):
        chosen = "hour"
    if chosen == "hour" and any(e.minute or e.second for e in edges):
        chosen = "minute"
    return chosen


def estimate_search(
    client: XApiClient,
    endpoint: str,
    query: str,
    windows: list[tuple[datetime, datetime]],
    *,
    price_per_post: float,
    since_id: str | None = None,
    granularity: str | None = None,
    max_results: int | None = None,
    with_usage: bool = True,
) -> Estimate:
    """Count the posts of a range split into `windows` (one counts call over the whole range), or of
    everything after `since_id` (then `windows` is ignored)."""
    short = search_endpoint(endpoint)
    if since_id is not None:  # a polling step: everything after the newest post of the last run
        counted = count_posts(client, short, query, since_id=since_id, granularity=granularity or "hour")
        edges = [b.start for b in counted.buckets] + [b.end for b in counted.buckets[-1:]]
        windows = [(edges[0], edges[-1])] if edges else []
    else:
        granularity = granularity or granularity_for(windows)
        counted = count_posts(
            client, short, query, start_time=windows[0][0], end_time=windows[-1][1], granularity=granularity
        )
    estimate = Estimate(
        query=query.strip(),
        endpoint=short,
        granularity=counted.granularity,
        price_per_post=price_per_post,
        buckets=counted.buckets,
        count_requests=counted.requests,
    )
    page_size = max_results or SEARCH_MAX_RESULTS[short][1]
    for window_start, window_end in windows:
        posts = sum(b.posts for b in counted.buckets if window_start <= b.start < window_end)
        estimate.windows.append(WindowEstimate(window_start, window_end, posts, pages_for(posts, page_size)))
    if with_usage:
        estimate.usage = usage_or_none(client)
    return estimate


def usage_or_none(client: XApiClient) -> Usage | None:
    """The project's usage, or None where the app's access level does not offer the usage endpoint."""
    try:
        return read_usage(client)
    except ApiUnreachableError:
        raise  # no API at all: the run would fail on its first page anyway, so fail now, once
    except ApiError:
        return None


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
