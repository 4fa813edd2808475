"""The X API v2 endpoints we call, by name, and the time format their parameters take.

Kept apart from the HTTP client so the modules that only name endpoints (window planning, work
units) do not load httpx: an import from an archive never calls the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from twitter_pipeline.errors import ConfigError
from twitter_pipeline.times import format_utc, parse_utc

SearchEndpoint = Literal["recent", "all"]

SEARCH_PATHS: dict[str, str] = {
    "recent": "/2/tweets/search/recent",
    "all": "/2/tweets/search/all",
}
SEARCH_NAMES: dict[str, str] = {"recent": "search_recent", "all": "search_all"}
COUNTS_PATHS: dict[str, str] = {"recent": "/2/tweets/counts/recent", "all": "/2/tweets/counts/all"}
COUNTS_NAMES: dict[str, str] = {"recent": "counts_recent", "all": "counts_all"}
GRANULARITIES: tuple[str, ...] = ("minute", "hour", "day")
USAGE_PATH = "/2/usage/tweets"


def format_time(value: datetime | str | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``, seconds precision, as the API documents it."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = parse_utc(text)
        except ValueError:
            raise ConfigError(
                f"{text!r} is not a date-time: use ISO 8601, e.g. 2026-01-31T00:00:00Z"
            ) from None
    return format_utc(value)


def search_endpoint(endpoint: str) -> str:
    """Normalise "recent"/"all" (or "search_recent"/"search_all") to "recent"/"all"."""
    short = endpoint.removeprefix("search_")
    if short not in SEARCH_PATHS:
        raise ConfigError(f"unknown search endpoint {endpoint!r}: use 'recent' or 'all'")
    return short
