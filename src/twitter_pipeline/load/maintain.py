"""Upkeep of the lake's Delta tables: compact small files, then vacuum files no version needs.

Every window's MERGE adds small files (one per touched partition); compaction rewrites them into
few large ones so scans stay fast, and vacuum deletes the replaced files once they are older than
the retention period (time travel and slow readers need them until then).
"""

from __future__ import annotations

from dataclasses import dataclass

from deltalake.exceptions import CommitFailedError, DeltaError

from twitter_pipeline.defaults import DEFAULT_RETENTION_HOURS
from twitter_pipeline.errors import StorageError
from twitter_pipeline.load.delta_tables import open_table, storage_error
from twitter_pipeline.load.parquet_format import writer_properties
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.storage.lake_storage import TABLES_PREFIX
from twitter_pipeline.transform.schema import TABLES


@dataclass
class TableUpkeep:
    """What maintenance did to one table."""

    table: str
    files_before: int
    files_after: int
    files_compacted: int  # small files rewritten
    files_written: int  # larger files that replaced them
    files_vacuumed: int  # unreferenced files deleted
    version: int


def list_tables(storage: LakeStorage) -> list[str]:
    """Names of the Delta tables under ``<lake>/tables`` (folders holding a ``_delta_log``)."""
    # One listing of the table folders, then one small listing per table: never every data file.
    return [
        name
        for name in storage.list_dirs(TABLES_PREFIX)
        if "_delta_log" in storage.list_dirs(f"{TABLES_PREFIX}/{name}")
    ]


def maintain_table(
    storage: LakeStorage, name: str, retention_hours: int = DEFAULT_RETENTION_HOURS
) -> TableUpkeep:
    """Compact then vacuum one table; safe to run while loads continue (conflicts are retried)."""
    table = open_table(storage, name)
    if table is None:
        raise StorageError(f"table {name!r} does not exist in {storage.uri}: check --table or --lake")
    try:
        files_before = len(table.file_uris())
        metrics: dict = {}
        for _attempt in range(3):
            try:
                metrics = table.optimize.compact(writer_properties=writer_properties(TABLES.get(name)))
                break
            except CommitFailedError:
                table.update_incremental()
        vacuumed = table.vacuum(
            retention_hours=retention_hours, dry_run=False, enforce_retention_duration=False
        )
        table.update_incremental()
        return TableUpkeep(
            table=name,
            files_before=files_before,
            files_after=len(table.file_uris()),
            files_compacted=int(metrics.get("numFilesRemoved", 0)),
            files_written=int(metrics.get("numFilesAdded", 0)),
            files_vacuumed=len(vacuumed),
            version=table.version(),
        )
    except (DeltaError, OSError) as exc:
        raise storage_error(storage, f"maintain table {name!r}", exc) from None
