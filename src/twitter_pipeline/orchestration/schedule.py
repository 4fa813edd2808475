"""Turning an Airflow data interval into an extraction window, and choosing the endpoint for it.

Recent search only reaches back 7 days; older windows (backfills) need full-archive search.
The margin keeps a window that is just inside the limit when scheduled from failing when
it actually runs (queues and retries can add hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from twitter_pipeline.errors import ConfigError

RECENT_SEARCH_REACH = timedelta(days=7)
SAFETY_MARGIN = timedelta(hours=6)
# The X API rejects an end_time less than 10 s before the request; a run for the current hour stops here.
END_TIME_LAG = timedelta(seconds=30)


@dataclass(frozen=True)
class ExtractWindow:
    """A half-open UTC window ``[start, end)`` and the search endpoint that can serve it."""

    start: datetime
    end: datetime
    endpoint: str


def window_for_interval(
    start: datetime | None, end: datetime | None, now: datetime | None = None
) -> ExtractWindow:
    """The extraction window of one DAG run: exactly its data interval, in UTC.

    Only a run for an interval that has not finished yet (a manual run of the current hour) is cut
    at ``now - 30 s``; scheduled runs start after their interval ends and get it whole.
    """
    if start is None or end is None:
        raise ConfigError(
            "this DAG run has no data interval: trigger it with a logical date "
            "(airflow dags trigger --logical-date …) or let the scheduler create it"
        )
    start, end = _utc(start), _utc(end)
    if not start < end:
        raise ConfigError(
            f"empty data interval {start.isoformat()} – {end.isoformat()}: "
            "use an interval timetable such as CronDataIntervalTimetable"
        )
    now = _utc(now or datetime.now(UTC))
    end = min(end, now - END_TIME_LAG)
    if not start < end:
        raise ConfigError(f"the data interval starting {start.isoformat()} has not begun yet: run it later")
    return ExtractWindow(start, end, choose_endpoint(start, now))


def choose_endpoint(start: datetime, now: datetime) -> str:
    """``recent`` while the window starts within the last 7 days (minus a margin), else ``all``."""
    return "recent" if _utc(now) - _utc(start) < RECENT_SEARCH_REACH - SAFETY_MARGIN else "all"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
