"""Keep check results as rows of the ``quality`` Delta table, next to the data they judge.

Merged on (run_id, check_name, table): re-checking a run replaces its rows instead of piling up copies.
"""

from __future__ import annotations

import pyarrow as pa

from twitter_pipeline.load.delta_tables import merge_into
from twitter_pipeline.quality.checks import QualityReport
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TableSpec

QUALITY_SPEC = TableSpec(
    name="quality",
    schema=pa.schema(
        [
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("check_name", pa.string(), nullable=False),
            pa.field("table", pa.string(), nullable=False),
            pa.field("severity", pa.string()),
            pa.field("passed", pa.bool_()),
            pa.field("observed", pa.int64()),
            pa.field("expected", pa.int64()),
            pa.field("detail", pa.string()),
            pa.field("checked_at", pa.timestamp("us", tz="UTC")),
        ]
    ),
    keys=("run_id", "check_name", "table"),
    description="Data-quality check results, one row per run, check and table.",
    renamed_from={"check_name": "check"},  # `check` is reserved in SQL: `select check from quality` fails
)


def record_report(storage: LakeStorage, report: QualityReport) -> int | None:
    """Merge the report's rows into ``<lake>/tables/quality``; returns the new table version."""
    if not report.results:
        return None
    columns = {name: [getattr(r, name) for r in report.results] for name in QUALITY_SPEC.schema.names}
    rows = pa.Table.from_pydict(columns, schema=QUALITY_SPEC.schema)
    result = merge_into(
        storage,
        QUALITY_SPEC,
        lambda: pa.RecordBatchReader.from_batches(rows.schema, rows.to_batches()),
        report.run_id,
    )
    return result.version
