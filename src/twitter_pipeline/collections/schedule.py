"""Which collections are due in a scheduler interval: each collection keeps its own cron schedule.

The collections DAG runs at the finest schedule (hourly); a collection is due in a run when its own
schedule fires inside the run's data interval ``(start, end]`` — an @daily collection runs once a
day, in the run whose interval ends at midnight UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

from twitter_pipeline.collections.config import Collection, CollectionsConfig

_PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
}


def is_due(collection: Collection, start: datetime, end: datetime) -> bool:
    """True when the collection's schedule fires at a time t with start < t <= end (UTC)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    fire = croniter(_PRESETS.get(collection.schedule, collection.schedule), start).get_next(datetime)
    return fire <= end


def due_collections(config: CollectionsConfig, start: datetime | None, end: datetime | None) -> list[str]:
    """Names of the collections due in (start, end]; every collection when there is no interval."""
    if start is None or end is None or start >= end:
        return config.names
    return [c.name for c in config if is_due(c, start, end)]
