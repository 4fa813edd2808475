"""Typed views of the counts and usage endpoints: how many posts a query matches, and what is left to read.

Both spellings of the spec are read: 2.159's `tweet_count` / integers and 2.167's `post_count` /
numeric strings. Counting reads no post, so knowing a window's size costs requests, never usage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.endpoints import search_endpoint
from twitter_pipeline.times import parse_utc


@dataclass(frozen=True)
class CountBucket:
    """Posts matching the query in [start, end)."""

    start: datetime
    end: datetime
    posts: int


@dataclass
class VolumeCount:
    """The counts of one query and window, every page followed."""

    endpoint: str  # "recent" | "all"
    query: str
    granularity: str
    buckets: list[CountBucket] = field(default_factory=list)
    requests: int = 0  # counts requests it took

    @property
    def total(self) -> int:
        return sum(b.posts for b in self.buckets)


@dataclass(frozen=True)
class Usage:
    """The project's monthly post-read cap, reads so far, the reset day and reads per day."""

    cap: int | None
    used: int | None
    reset_day: int | None
    daily: dict[date, int] = field(default_factory=dict)

    @property
    def remaining(self) -> int | None:
        if self.cap is None or self.used is None:
            return None
        return max(0, self.cap - self.used)


def count_posts(
    client: XApiClient,
    endpoint: str,
    query: str,
    *,
    start_time: datetime | str | None = None,
    end_time: datetime | str | None = None,
    since_id: str | None = None,
    until_id: str | None = None,
    granularity: str = "hour",
) -> VolumeCount:
    """Follow every counts page of one query and window into one `VolumeCount`."""
    short = search_endpoint(endpoint)  # the client validates the same name again; one rule for both
    result = VolumeCount(endpoint=short, query=query.strip(), granularity=granularity)
    pages = client.counts(
        short,
        query,
        start_time=start_time,
        end_time=end_time,
        since_id=since_id,
        until_id=until_id,
        granularity=granularity,
    )
    for page in pages:
        result.requests += 1
        for item in page.payload.get("data") or []:
            result.buckets.append(
                CountBucket(
                    start=_time(item["start"]),
                    end=_time(item["end"]),
                    posts=_int(item.get("tweet_count", item.get("post_count"))) or 0,
                )
            )
    return result


def read_usage(client: XApiClient, days: int = 30) -> Usage:
    """The project's usage as `/2/usage/tweets` reports it (fields it leaves out stay None)."""
    data: dict[str, Any] = client.usage(days).payload.get("data") or {}
    daily: dict[date, int] = {}
    for entry in (data.get("daily_project_usage") or {}).get("usage") or []:
        if entry.get("date"):
            daily[_time(entry["date"]).date()] = _int(entry.get("usage")) or 0
    return Usage(
        cap=_int(data.get("project_cap")),
        used=_int(data.get("project_usage")),
        reset_day=_int(data.get("cap_reset_day")),
        daily=daily,
    )


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _time(text: str) -> datetime:
    return parse_utc(str(text))
