"""ISO 8601 / RFC 3339 times in and out, in one place: every stage reads and writes aware UTC datetimes.

A naive time is taken as UTC (the API, the lake's documents and the CLI all speak UTC), and a trailing
``Z`` is accepted everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime

from twitter_pipeline.errors import ConfigError


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_utc(text: str) -> datetime:
    """ISO 8601 text → aware UTC datetime; raises ValueError on anything else."""
    return as_utc(datetime.fromisoformat(text.strip()))


def parse_time(value: str | datetime | None, name: str) -> datetime | None:
    """A user's time (an option or a setting called `name`) → aware UTC; None/"" mean unset.

    A malformed value is a ConfigError whose one line names the option and shows the format.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    try:
        return parse_utc(value)
    except ValueError:
        raise ConfigError(
            f"{name} {value!r} is not an ISO 8601 time: use e.g. 2026-11-26T10:00:00Z"
        ) from None


def format_utc(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, seconds precision, as the X API documents it."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
