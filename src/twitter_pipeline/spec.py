"""Bounds the official X API v2 OpenAPI spec sets, in one place: the client and collections check
them before a request, and the emulator enforces them as the API does (shared/x-api/)."""

from __future__ import annotations

QUERY_MAX_LENGTH = 4096  # characters of a search query (pay-per-use and Pro)

# max_results: (lowest, highest) per endpoint
SEARCH_MAX_RESULTS: dict[str, tuple[int, int]] = {"recent": (10, 100), "all": (10, 500)}
TIMELINE_MAX_RESULTS = (5, 100)  # /2/users/{id}/tweets
SEARCH_DEFAULT_MAX_RESULTS = 10  # what the API returns when max_results is not sent


# The field enums both spec versions share (MediaFieldsParameter, PlaceFieldsParameter, PollFieldsParameter)
MEDIA_FIELDS: tuple[str, ...] = (
    "alt_text",
    "duration_ms",
    "height",
    "media_key",
    "non_public_metrics",
    "organic_metrics",
    "preview_image_url",
    "promoted_metrics",
    "public_metrics",
    "type",
    "url",
    "variants",
    "width",
)
PLACE_FIELDS: tuple[str, ...] = (
    "contained_within",
    "country",
    "country_code",
    "full_name",
    "geo",
    "id",
    "name",
    "place_type",
)
POLL_FIELDS: tuple[str, ...] = ("duration_minutes", "end_datetime", "id", "options", "voting_status")


def check_max_results(value: int, bounds: tuple[int, int], what: str) -> int:
    """`value` when inside `bounds`, else a ValueError naming the allowed range (callers word the error)."""
    low, high = bounds
    if not low <= int(value) <= high:
        raise ValueError(f"max_results={value} is out of range for {what}: use {low}–{high}")
    return int(value)
