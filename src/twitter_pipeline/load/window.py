"""Load one window (a run's transform batches) into the lake: stage, deduplicate, MERGE, record.

The order is what makes a window atomic and idempotent for readers:
1. stream every batch to staging Parquet (bounded memory);
2. per table, ONE Delta MERGE on the natural key with the window deduplicated across batches;
3. only after every table committed, write ``_runs/<run_id>.json`` (the window's completion record);
4. drop the staging files.
A crash anywhere before 3 leaves no completion record, and rerunning the same window merges the same
keys again, so nothing is lost and nothing doubles.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from twitter_pipeline.errors import ConfigError, StorageError
from twitter_pipeline.load.delta_tables import merge_into, storage_error
from twitter_pipeline.load.staging import DEFAULT_FLUSH_BYTES, StagedTable, StagingArea
from twitter_pipeline.load.window_dedupe import chunk_reader, plan_window
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TableSpec

log = logging.getLogger(__name__)

RUNS_PREFIX = "_runs"
# MERGEs of one tier in flight at once: enough to use two cores and to overlap S3 round trips,
# few enough that each MERGE's memory (one bounded chunk) stays small.
MERGE_THREADS = 4
PARALLEL_MAX_ROWS = 100_000  # staged rows up to which a table merges beside others of its tier
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,199}$")


@dataclass
class TableLoad:
    """One table's part of a window load."""

    table: str
    staged_rows: int = 0
    null_key_rows: int = 0
    source_rows: int = 0  # after deduplication across the window
    inserted: int = 0
    updated: int = 0
    version: int | None = None
    version_before: int | None = None  # the version this load's first MERGE started from
    created_min: str | None = None  # ISO times of the window's rows (tables with created_at)
    created_max: str | None = None
    outside_window: int = 0  # rows whose created_at lies outside [window_start, window_end)
    commits: int = 0  # MERGE commits: 1 unless the window exceeded one chunk (see load.window_dedupe)
    attempts: int = 0
    files_scanned: int = 0  # target files the MERGEs read (the rest were skipped by their statistics)
    files_skipped: int = 0
    merge_ms: int = 0
    # What the quality checks read instead of replaying the table's log (None in records written
    # before they were kept): the data files this load wrote, paths under the table's folder…
    files_added: list[str] | None = None
    # …and the table's schema (Delta JSON) and partition columns as this load committed them.
    delta_schema: str | None = None
    partition_by: list[str] | None = None


@dataclass
class LoadSummary:
    """What `load_window` did; also the body of the run's completion record."""

    run_id: str
    tables: dict[str, TableLoad] = field(default_factory=dict)
    batches: int = 0
    started_at: str = ""
    completed_at: str = ""
    seconds: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rows(self, table: str) -> int:
        """Distinct keys of `table` in this window (0 when the window had none)."""
        load = self.tables.get(table)
        return load.source_rows if load else 0


def run_record_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}/{run_id}.json"


def read_run_record(storage: LakeStorage, run_id: str) -> dict[str, Any] | None:
    """The completion record of a window, or None if that window never finished loading."""
    try:
        return orjson.loads(storage.read_bytes(run_record_key(run_id)))
    except FileNotFoundError:
        return None


# Tables that others point at are committed before the tables that point at them (each table is its own
# Delta transaction): a reader that sees a post — the quality checks of a run on another worker, an
# analyst's join — also sees its author and the API's error rows, whichever load is half done.
_REFERENCED_FIRST = ("users", "media", "places", "polls", "api_errors")
_POSTS = ("included_tweets", "tweets")


def merge_tiers(specs: Mapping[str, TableSpec]) -> list[list[tuple[str, TableSpec]]]:
    """Referenced tables, then posts, then the per-post tables (hashtags, mentions…); stable otherwise.

    Tables of one tier do not point at each other, so a tier's MERGEs run side by side: each is its
    own Delta transaction and delta-rs works outside the GIL, so two cores (or S3 round trips)
    overlap. A tier starts only after the one before it committed, which keeps the order above.
    """

    def rank(name: str) -> int:
        return 0 if name in _REFERENCED_FIRST else 1 if name in _POSTS else 2

    tiers: dict[int, list[tuple[str, TableSpec]]] = {}
    for item in specs.items():
        tiers.setdefault(rank(item[0]), []).append(item)
    return [tiers[rank] for rank in sorted(tiers)]


def load_window(
    storage: LakeStorage,
    run_id: str,
    batches: Iterable[Mapping[str, pa.Table]],
    *,
    specs: Mapping[str, TableSpec] | None = None,
    metadata: Mapping[str, Any] | None = None,
    on_table_loaded: Callable[[TableLoad], None] | None = None,
    flush_bytes: int = DEFAULT_FLUSH_BYTES,
    chunk_rows: int | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> LoadSummary:
    """Merge a window's batches into the lake's Delta tables; returns what was loaded.

    `batches` is consumed once, streaming. `specs` defaults to `transform.schema.TABLES`.
    `metadata` (e.g. query, window start/end, raw post count) is kept in the completion record.
    `chunk_rows` caps rows per MERGE commit (default: sized from the data, see `load.window_dedupe`).
    `window_start`/`window_end` (UTC) let the summary count rows created outside the window.
    Raises `StorageError` with one line when the lake is unreachable; rerunning is always safe.
    """
    if not _RUN_ID.match(run_id or ""):
        raise ConfigError(
            f"run id {run_id!r} is not usable in a path: use letters, digits, '.', '_', '-', ':'"
        )
    if specs is None:
        from twitter_pipeline.transform.schema import TABLES

        specs = TABLES
    started = time.monotonic()
    summary_window = {
        key: value.isoformat()
        for key, value in (("window_start", window_start), ("window_end", window_end))
        if value is not None
    }
    summary = LoadSummary(run_id=run_id, started_at=_now(), metadata={**summary_window, **(metadata or {})})

    staging = StagingArea(storage, run_id, {n: s.schema for n, s in specs.items()}, flush_bytes=flush_bytes)
    for batch in batches:
        staging.add_batch(dict(batch))
        summary.batches += 1
    staged = staging.finish()
    log.info("staged run %s: %s", run_id, {n: t.rows for n, t in staged.items()})

    def merge_table(name: str, spec: TableSpec) -> TableLoad:
        return _merge_staged(storage, name, spec, staged[name], run_id, chunk_rows, window_start, window_end)

    with ThreadPoolExecutor(max_workers=MERGE_THREADS, thread_name_prefix="merge") as pool:
        for tier in merge_tiers(specs):
            todo = [(n, s) for n, s in tier if staged.get(n) is not None and staged[n].rows > 0]
            # Tables of a small window merge side by side; a table over PARALLEL_MAX_ROWS merges
            # alone (each MERGE holds a chunk of up to MAX_CHUNK_ROWS: four at once would quadruple
            # the load's peak memory).
            side_by_side = [(n, s) for n, s in todo if staged[n].rows <= PARALLEL_MAX_ROWS]
            alone = [[(n, s)] for n, s in todo if staged[n].rows > PARALLEL_MAX_ROWS]
            for group in [side_by_side, *alone]:
                futures = [pool.submit(merge_table, name, spec) for name, spec in group]
                wait(futures)
                for future in futures:  # the first failure is raised, and later groups never start
                    load = future.result()
                    summary.tables[load.table] = load
                    log.info("merged %s: %s", load.table, load)
                    if on_table_loaded is not None:
                        on_table_loaded(load)

    summary.completed_at = _now()
    summary.seconds = round(time.monotonic() - started, 3)
    record = {"status": "complete", **summary.to_dict()}
    storage.write_bytes(run_record_key(run_id), orjson.dumps(record, option=orjson.OPT_INDENT_2))
    try:
        staging.cleanup()
    except StorageError as exc:  # the window is complete; stale staging is only clutter
        log.warning("could not remove staging for run %s: %s", run_id, exc)
    return summary


def _merge_staged(
    storage: LakeStorage,
    name: str,
    spec: TableSpec,
    table_staged: StagedTable,
    run_id: str,
    chunk_rows: int | None,
    window_start: datetime | None,
    window_end: datetime | None,
) -> TableLoad:
    """One table's part of the window: plan the deduplicated chunks, MERGE each in its own commit."""
    load = TableLoad(table=name, staged_rows=table_staged.rows, files_added=[])
    try:
        window = (window_start, window_end)
        plan = plan_window(storage, spec, table_staged, chunk_rows=chunk_rows, window=window)
    except OSError as exc:
        raise storage_error(storage, f"read staged {name!r}", exc) from None
    load.null_key_rows, load.source_rows = plan.null_key_rows, plan.distinct_keys
    load.commits, load.outside_window = plan.chunks, plan.outside_window
    load.created_min = plan.created_min.isoformat() if plan.created_min else None
    load.created_max = plan.created_max.isoformat() if plan.created_max else None
    for chunk in range(plan.chunks):

        def source(chunk: int = chunk) -> Any:
            return chunk_reader(storage, spec, table_staged, plan, chunk)

        first_keys = plan.first_keys[chunk] if plan.first_keys else None
        result = merge_into(storage, spec, source, run_id, first_keys=first_keys)
        if load.version_before is None:
            load.version_before = result.version_before
        load.files_added = _files_after(load.files_added or [], result.files_added, result.files_removed)
        load.delta_schema, load.partition_by = result.delta_schema, list(result.partition_by)
        load.version = result.version
        load.inserted += result.inserted
        load.updated += result.updated
        load.attempts += result.attempts
        load.files_scanned += result.files_scanned
        load.files_skipped += result.files_skipped
        load.merge_ms += result.merge_ms
    return load


def _files_after(files: list[str], added: tuple[str, ...], removed: tuple[str, ...]) -> list[str]:
    """The load's files after one more chunk's commit (a later chunk may rewrite an earlier one's)."""
    gone = set(removed)
    return [f for f in files if f not in gone] + list(added)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
