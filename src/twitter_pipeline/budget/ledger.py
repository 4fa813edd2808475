"""The `usage` table: one row per call of a unit of work with the posts it read and its estimate.

It is how spending stays visible (`sql`, the report's panel) and how the per-month budget knows what
earlier runs of the month already read. A run resumed later (same run id) adds a row for what the
resumption read, so sums over the table are the reads, never counted twice nor lost.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from twitter_pipeline.load.delta_tables import merge_into
from twitter_pipeline.load.read import read_table
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TableSpec

USAGE_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("unit", pa.string(), nullable=False),
        pa.field("day", pa.date32()),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("posts_read", pa.int64()),
        pa.field("posts_estimated", pa.int64()),
        pa.field("max_posts_per_run", pa.int64()),
        pa.field("max_posts_per_month", pa.int64()),
        pa.field("stopped_by_budget", pa.bool_()),
    ]
)
USAGE_TABLE = TableSpec(
    name="usage",
    schema=USAGE_SCHEMA,
    keys=("run_id", "unit", "recorded_at"),
    description="Post reads per unit of work: what it read, what it estimated, the budgets it ran under.",
)


def record_usage(
    storage: LakeStorage,
    run_id: str,
    unit: str,
    *,
    posts_read: int,
    posts_estimated: int | None,
    max_posts_per_run: int | None = None,
    max_posts_per_month: int | None = None,
    stopped_by_budget: bool = False,
    now: datetime | None = None,
) -> None:
    """Merge one unit's row into the `usage` table."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    row = {
        "run_id": [run_id],
        "unit": [unit],
        "day": [now.date()],
        "recorded_at": [now],
        "posts_read": [posts_read],
        "posts_estimated": [posts_estimated],
        "max_posts_per_run": [max_posts_per_run],
        "max_posts_per_month": [max_posts_per_month],
        "stopped_by_budget": [stopped_by_budget],
    }
    table = pa.table(row, schema=USAGE_SCHEMA)
    merge_into(storage, USAGE_TABLE, lambda: table.to_reader(), run_id)


def reads_since(storage: LakeStorage, first_day: date) -> int:
    """Posts read by every recorded unit from `first_day` on (0 when nothing was recorded)."""
    rows = read_table(
        storage, "usage", columns=["posts_read"], filter=ds.field("day") >= first_day, schema=USAGE_SCHEMA
    )
    total = pc.sum(rows.column("posts_read")).as_py() if rows.num_rows else 0
    return int(total or 0)


def month_start(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(UTC).date().replace(day=1)


def reads_per_day(storage: LakeStorage) -> dict[date, int]:
    """Posts read per UTC day, every recorded unit summed (for the report's panel)."""
    rows = read_table(storage, "usage", columns=["day", "posts_read"], schema=USAGE_SCHEMA)
    totals: dict[date, int] = {}
    for day, read in zip(rows.column("day").to_pylist(), rows.column("posts_read").to_pylist(), strict=True):
        totals[day] = totals.get(day, 0) + int(read or 0)
    return dict(sorted(totals.items()))
