"""One row per natural key across a whole staged window, streamed in bounded chunks.

The window's keys are unique only within a transform batch, so we pick the winner of each key over
all staged parts (newest ``fetched_at``, then the later batch). Only the narrow columns (keys,
``fetched_at``, batch number, position) of one range of the first key are held in memory for that
(a range holds every copy of its keys); the wide rows are then streamed from the staged Parquet part
by part. Memory does not grow with the window's text, and with its rows only by the winners' row
numbers (8 bytes a row).

Measured with deltalake 1.6: a MERGE materialises its source (~1 KB of RSS per post), so a window
is merged in chunks of contiguous key ranges (`chunk_rows`); a typical scheduled window is one chunk,
i.e. one commit per table. X ids are time-ordered, so a key range is also a time range and touches
few ``created_date`` partitions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from twitter_pipeline.load.staging import SEQ_COLUMN, StagedTable
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TableSpec

# Target uncompressed source bytes per MERGE (one commit each): ~100k typical posts.
CHUNK_BYTES = 32 * 1024 * 1024
MIN_CHUNK_ROWS = 10_000
MAX_CHUNK_ROWS = 100_000
READ_BATCH_ROWS = 16_384
# Staged rows deduplicated at once: a larger window is planned one key range at a time, so the
# planner's memory (measured ~200-250 B of RSS per staged row) stays bounded whatever its size.
BUCKET_ROWS = 250_000
# A chunk of at most this many rows names its first-key values in the MERGE condition, which lets
# delta-rs skip every target file whose statistics hold none of them (see `WindowPlan.first_keys`).
NAMED_KEYS_MAX_ROWS = 2_000
SAMPLE_ROWS = 50_000  # first-key values sampled to place the range bounds

_PART, _ROW = "__part", "__row"


@dataclass
class WindowPlan:
    """Which staged rows win, grouped into MERGE chunks: ``rows[chunk][part]`` = sorted row numbers."""

    rows: list[dict[int, np.ndarray]]
    distinct_keys: int
    null_key_rows: int
    # Per chunk: its distinct first-key values (strings) when the chunk is small, else None. A small
    # window's posts are new, but the posts they quote or reply to are old: the chunk's key range
    # then spans every file of a table, and only the values themselves rule files out.
    first_keys: list[list[str] | None] = field(default_factory=list)
    created_min: datetime | None = None
    created_max: datetime | None = None
    outside_window: int = 0  # winning rows whose created_at is outside the requested window

    @property
    def chunks(self) -> int:
        return len(self.rows)


def plan_window(
    storage: LakeStorage,
    spec: TableSpec,
    staged: StagedTable,
    chunk_rows: int | None = None,
    window: tuple[datetime | None, datetime | None] = (None, None),
) -> WindowPlan:
    """Find each key's winning row across the window and cut the winners into key-range chunks.

    With `window` (start inclusive, end exclusive) rows whose ``created_at`` falls outside are
    counted (flagged for the quality checks, never dropped). A window of more than `BUCKET_ROWS`
    staged rows is deduplicated one range of its first key at a time (every copy of a key lies in
    one range), so only that range's narrow columns are in memory, whatever the window's size.
    """
    extra = [c for c in ("fetched_at", "created_at") if c in spec.schema.names and c not in spec.keys]
    narrow_cols = [*spec.keys, *extra, SEQ_COLUMN]
    sizes = [held.nbytes / held.num_rows for held in staged.held if held.num_rows]
    for path in staged.paths:
        with storage.filesystem.open_input_file(path) as handle:
            meta = pq.ParquetFile(handle).metadata
        if meta.num_rows:
            size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
            sizes.append(size / meta.num_rows)
    if chunk_rows is None:
        avg = (sum(sizes) / len(sizes)) if sizes else 1.0
        chunk_rows = int(CHUNK_BYTES / max(avg, 1.0))
        chunk_rows = max(MIN_CHUNK_ROWS, min(MAX_CHUNK_ROWS, chunk_rows))

    plan = WindowPlan(rows=[], distinct_keys=0, null_key_rows=0)
    named = pa.types.is_string(spec.schema.field(spec.keys[0]).type)
    cutter = _ChunkCutter(chunk_rows, plan.rows, plan.first_keys if named else None)
    for lower, upper in _key_ranges(storage, spec, staged):
        narrow = _read_key_range(storage, staged, narrow_cols, spec.keys[0], lower, upper)
        if narrow is None:
            continue
        winners = _plan_range(narrow, spec, window, plan)
        del narrow
        cutter.add(winners[_PART].to_numpy(), winners[_ROW].to_numpy(), winners[spec.keys[0]])
    cutter.finish()
    return plan


def _plan_range(
    narrow: pa.Table,
    spec: TableSpec,
    window: tuple[datetime | None, datetime | None],
    plan: WindowPlan,
) -> pa.Table:
    """The winning (part, row) of each key in `narrow`, in key order; adds its counts to `plan`."""
    valid = None
    for key in spec.keys:
        cond = pc.is_valid(narrow[key])
        valid = cond if valid is None else pc.and_(valid, cond)
    null_key_rows = narrow.num_rows - (pc.sum(valid).as_py() or 0) if narrow.num_rows else 0
    if null_key_rows:
        narrow = narrow.filter(valid)
    plan.null_key_rows += int(null_key_rows)

    order = [(k, "ascending") for k in spec.keys]
    if "fetched_at" in narrow.column_names:
        order.append(("fetched_at", "descending"))
    order.append((SEQ_COLUMN, "descending"))
    narrow = narrow.sort_by(order)
    winners = narrow.filter(_first_of_each_key(narrow, spec.keys))
    del narrow
    plan.distinct_keys += winners.num_rows
    if "created_at" in winners.column_names and winners.num_rows:
        created = winners["created_at"]
        low, high = pc.min(created).as_py(), pc.max(created).as_py()
        if low is not None:
            plan.created_min = low if plan.created_min is None else min(plan.created_min, low)
        if high is not None:
            plan.created_max = high if plan.created_max is None else max(plan.created_max, high)
        start, end = window
        outside_mask = None
        if start is not None:
            outside_mask = pc.less(created, pa.scalar(start, created.type))
        if end is not None:
            late = pc.greater_equal(created, pa.scalar(end, created.type))
            outside_mask = late if outside_mask is None else pc.or_(outside_mask, late)
        if outside_mask is not None:
            plan.outside_window += int(pc.sum(pc.fill_null(outside_mask, False)).as_py() or 0)
    return winners.select([_PART, _ROW, spec.keys[0]])


class _ChunkCutter:
    """Cuts winners arriving in key order into chunks of exactly `chunk_rows` (the last one shorter).

    With `first_keys`, each chunk's first-key values are listed there too (None for large chunks).
    """

    def __init__(
        self,
        chunk_rows: int,
        chunks: list[dict[int, np.ndarray]],
        first_keys: list[list[str] | None] | None = None,
    ) -> None:
        self.chunk_rows = chunk_rows
        self.chunks = chunks
        self.first_keys = first_keys
        self._parts: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []
        self._keys: list[pa.Array] = []
        self._pending = 0

    def add(self, parts: np.ndarray, rows: np.ndarray, keys: pa.ChunkedArray) -> None:
        self._parts.append(parts)
        self._rows.append(rows)
        self._keys.append(keys.combine_chunks())
        self._pending += len(parts)
        if self._pending >= self.chunk_rows:
            self._emit(final=False)

    def finish(self) -> None:
        if self._pending:
            self._emit(final=True)

    def _emit(self, final: bool) -> None:
        parts, rows = np.concatenate(self._parts), np.concatenate(self._rows)
        keys = pa.concat_arrays(self._keys)
        start = 0
        while len(parts) - start >= self.chunk_rows or (final and start < len(parts)):
            stop = start + self.chunk_rows
            self.chunks.append(_by_part(parts[start:stop], rows[start:stop]))
            if self.first_keys is not None:
                self.first_keys.append(_named_keys(keys.slice(start, stop - start)))
            start = stop
        self._parts, self._rows, self._keys = [parts[start:]], [rows[start:]], [keys.slice(start)]
        self._pending = len(parts) - start


def _named_keys(keys: pa.Array) -> list[str] | None:
    if len(keys) > NAMED_KEYS_MAX_ROWS:
        return None
    return [str(value) for value in pc.unique(keys.drop_null()).to_pylist()]


def _by_part(parts: np.ndarray, rows: np.ndarray) -> dict[int, np.ndarray]:
    return {int(part_no): np.sort(rows[parts == part_no]) for part_no in np.unique(parts)}


def _key_ranges(storage: LakeStorage, spec: TableSpec, staged: StagedTable) -> list[tuple[Any, Any]]:
    """[lower, upper) ranges of the first key holding about `BUCKET_ROWS` staged rows each.

    Bounds are pyarrow scalars (None = open end), placed at quantiles of a sample of the key: one
    range, unbounded, unless the window holds more than `BUCKET_ROWS` rows.
    """
    if staged.rows <= BUCKET_ROWS:
        return [(None, None)]
    key = spec.keys[0]
    step = max(1, staged.rows // SAMPLE_ROWS)
    samples: list[pa.Array] = []
    for part_no in range(staged.parts):
        for batch in _part_batches(storage, staged, part_no, [key]):
            column = batch.column(0).drop_null()
            samples.append(column.take(pa.array(np.arange(0, len(column), step))))
    sample = pa.concat_arrays(samples) if samples else pa.array([])
    if len(sample) == 0:
        return [(None, None)]
    sample = sample.take(pc.sort_indices(sample))
    ranges = -(-staged.rows // BUCKET_ROWS)
    bounds: list[Any] = []
    for i in range(1, ranges):
        bound = sample[len(sample) * i // ranges]
        if not bounds or bound.as_py() != bounds[-1].as_py():
            bounds.append(bound)
    edges = [None, *bounds, None]
    return list(itertools.pairwise(edges))


def _read_key_range(
    storage: LakeStorage, staged: StagedTable, columns: list[str], key: str, lower: Any, upper: Any
) -> pa.Table | None:
    """The narrow columns, part number and row number of the staged rows whose `key` is in range.

    Rows with a null `key` go to the first range (they are counted there, then left out). Row
    groups whose statistics lie outside the range are not read.
    """
    pieces: list[pa.Table] = []
    for part_no, held in enumerate(staged.held):  # a part in memory: one group, no statistics
        pieces.append(_numbered(held.select(columns), part_no, 0, key, lower, upper))
    for part_no, path in enumerate(staged.paths):
        with storage.filesystem.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            key_index = parquet.schema_arrow.get_field_index(key)
            offset = 0
            for group in range(parquet.metadata.num_row_groups):
                meta = parquet.metadata.row_group(group)
                first_row, offset = offset, offset + meta.num_rows
                if _outside(meta.column(key_index).statistics, lower, upper):
                    continue
                table = parquet.read_row_group(group, columns=columns)
                pieces.append(_numbered(table, part_no, first_row, key, lower, upper))
    return pa.concat_tables(pieces) if pieces else None


def _numbered(table: pa.Table, part_no: int, first_row: int, key: str, lower: Any, upper: Any) -> pa.Table:
    """Rows of one part's group with their part and row numbers, those of the key range only."""
    table = table.append_column(_PART, pa.array(np.full(table.num_rows, part_no, np.int32)))
    rows = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
    table = table.append_column(_ROW, pa.array(rows))
    if lower is not None or upper is not None:
        table = table.filter(_in_range(table[key], lower, upper))
    return table


def _part_batches(
    storage: LakeStorage, staged: StagedTable, part_no: int, columns: list[str]
) -> Iterator[pa.RecordBatch]:
    """One staged part's columns in batches, in row order (from memory or its Parquet file)."""
    if staged.held:
        yield from staged.held[part_no].select(columns).to_batches(max_chunksize=READ_BATCH_ROWS)
        return
    with storage.filesystem.open_input_file(staged.paths[part_no]) as handle:
        yield from pq.ParquetFile(handle).iter_batches(batch_size=READ_BATCH_ROWS, columns=columns)


def _in_range(values: pa.ChunkedArray, lower: Any, upper: Any) -> pa.ChunkedArray:
    mask = None
    if lower is not None:
        mask = pc.greater_equal(values, lower)
    if upper is not None:
        below = pc.less(values, upper)
        mask = below if mask is None else pc.and_(mask, below)
    return pc.fill_null(mask, lower is None)  # a null key belongs to the first range


def _outside(stats: Any, lower: Any, upper: Any) -> bool:
    """True when a row group's min/max show it has no row in [lower, upper) (nulls go to the first)."""
    if (lower is None and upper is None) or stats is None or not stats.has_min_max:
        return False
    if lower is None and (not stats.has_null_count or stats.null_count):
        return False
    try:
        return (lower is not None and stats.max < lower.as_py()) or (
            upper is not None and stats.min >= upper.as_py()
        )
    except TypeError:
        return False


def chunk_reader(
    storage: LakeStorage, spec: TableSpec, staged: StagedTable, plan: WindowPlan, chunk: int
) -> pa.RecordBatchReader:
    """Stream the winning rows of one chunk, in the table's declared schema."""
    schema = spec.schema
    wanted = plan.rows[chunk]

    def batches() -> Iterator[pa.RecordBatch]:
        for part_no in sorted(wanted):
            take = wanted[part_no]
            offset = 0
            for batch in _part_batches(storage, staged, part_no, schema.names):
                lo, hi = np.searchsorted(take, [offset, offset + batch.num_rows])
                if hi - lo == batch.num_rows:  # every row of the batch wins: no copy
                    yield _conform_batch(batch, schema)
                elif hi > lo:
                    picked = batch.take(pa.array(take[lo:hi] - offset))
                    yield _conform_batch(picked, schema)
                offset += batch.num_rows

    return pa.RecordBatchReader.from_batches(schema, batches())


def _first_of_each_key(sorted_table: pa.Table, keys: tuple[str, ...]) -> pa.Array:
    """True where a row starts a new key in a table sorted by the keys."""
    n = sorted_table.num_rows
    if n == 0:
        return pa.array([], pa.bool_())
    changed = np.zeros(n, dtype=bool)
    changed[0] = True
    for key in keys:
        col = sorted_table[key].combine_chunks()
        prev, cur = col.slice(0, n - 1), col.slice(1)
        changed[1:] |= pc.not_equal(prev, cur).to_numpy(zero_copy_only=False)
    return pa.array(changed)


def _conform_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    if batch.schema.equals(schema):
        return batch
    arrays = [batch.column(name).cast(schema.field(name).type) for name in schema.names]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
