"""One row per natural key across a whole staged window, streamed in bounded chunks.

The window's keys are unique only within a transform batch, so we pick the winner of each key over
all staged parts (newest ``fetched_at``, then the later batch). Only the narrow columns (keys,
``fetched_at``, batch number, position) are held in memory for that; the wide rows are then
streamed from the staged Parquet part by part, so memory does not grow with the window's text.

Measured with deltalake 1.6: a MERGE materialises its source (~1 KB of RSS per post), so a window
is merged in chunks of contiguous key ranges (`chunk_rows`); a typical scheduled window is one chunk,
i.e. one commit per table. X ids are time-ordered, so a key range is also a time range and touches
few ``created_date`` partitions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

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

_PART, _ROW = "__part", "__row"


@dataclass
class WindowPlan:
    """Which staged rows win, grouped into MERGE chunks: ``rows[chunk][part]`` = sorted row numbers."""

    rows: list[dict[int, np.ndarray]]
    distinct_keys: int
    null_key_rows: int
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
    counted (flagged for the quality checks, never dropped).
    """
    extra = [c for c in ("fetched_at", "created_at") if c in spec.schema.names and c not in spec.keys]
    narrow_cols = [*spec.keys, *extra, SEQ_COLUMN]
    pieces: list[pa.Table] = []
    row_bytes: list[float] = []
    for part_no, path in enumerate(staged.paths):
        with storage.filesystem.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            meta = parquet.metadata
            if meta.num_rows:
                size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
                row_bytes.append(size / meta.num_rows)
            table = parquet.read(columns=narrow_cols)
        table = table.append_column(_PART, pa.array(np.full(table.num_rows, part_no, np.int32)))
        table = table.append_column(_ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))
        pieces.append(table)
    narrow = pa.concat_tables(pieces) if pieces else pa.table({})
    del pieces

    valid = None
    for key in spec.keys:
        cond = pc.is_valid(narrow[key])
        valid = cond if valid is None else pc.and_(valid, cond)
    null_key_rows = narrow.num_rows - (pc.sum(valid).as_py() or 0) if narrow.num_rows else 0
    if null_key_rows:
        narrow = narrow.filter(valid)

    order = [(k, "ascending") for k in spec.keys]
    if "fetched_at" in narrow.column_names:
        order.append(("fetched_at", "descending"))
    order.append((SEQ_COLUMN, "descending"))
    narrow = narrow.sort_by(order)
    first = _first_of_each_key(narrow, spec.keys)
    winners = narrow.filter(first)
    del narrow
    created_min = created_max = None
    outside = 0
    if "created_at" in winners.column_names and winners.num_rows:
        created = winners["created_at"]
        created_min, created_max = pc.min(created).as_py(), pc.max(created).as_py()
        start, end = window
        outside_mask = None
        if start is not None:
            outside_mask = pc.less(created, pa.scalar(start, created.type))
        if end is not None:
            late = pc.greater_equal(created, pa.scalar(end, created.type))
            outside_mask = late if outside_mask is None else pc.or_(outside_mask, late)
        if outside_mask is not None:
            outside = int(pc.sum(pc.fill_null(outside_mask, False)).as_py() or 0)
    winners = winners.select([_PART, _ROW])

    if chunk_rows is None:
        avg = (sum(row_bytes) / len(row_bytes)) if row_bytes else 1.0
        chunk_rows = int(CHUNK_BYTES / max(avg, 1.0))
        chunk_rows = max(MIN_CHUNK_ROWS, min(MAX_CHUNK_ROWS, chunk_rows))
    parts = winners[_PART].to_numpy()
    rows = winners[_ROW].to_numpy()
    chunks: list[dict[int, np.ndarray]] = []
    for start in range(0, len(parts), chunk_rows):
        chunk_parts, chunk_rows_ = parts[start : start + chunk_rows], rows[start : start + chunk_rows]
        by_part: dict[int, np.ndarray] = {}
        for part_no in np.unique(chunk_parts):
            by_part[int(part_no)] = np.sort(chunk_rows_[chunk_parts == part_no])
        chunks.append(by_part)
    return WindowPlan(
        rows=chunks,
        distinct_keys=len(parts),
        null_key_rows=int(null_key_rows),
        created_min=created_min,
        created_max=created_max,
        outside_window=outside,
    )


def chunk_reader(
    storage: LakeStorage, spec: TableSpec, staged: StagedTable, plan: WindowPlan, chunk: int
) -> pa.RecordBatchReader:
    """Stream the winning rows of one chunk, in the table's declared schema."""
    schema = spec.schema
    wanted = plan.rows[chunk]

    def batches() -> Iterator[pa.RecordBatch]:
        for part_no in sorted(wanted):
            take = wanted[part_no]
            with storage.filesystem.open_input_file(staged.paths[part_no]) as handle:
                parquet = pq.ParquetFile(handle)
                offset = 0
                for batch in parquet.iter_batches(batch_size=READ_BATCH_ROWS, columns=schema.names):
                    lo, hi = np.searchsorted(take, [offset, offset + batch.num_rows])
                    if hi > lo:
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
