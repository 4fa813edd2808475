"""Keep one row per natural key within a batch: the loader MERGEs on the key and needs unique sources.

The last-fetched version wins (ties: the later page, then the later position in the page), so a
re-fetched post carries its newest metrics. Rows whose key is null cannot be merged and are dropped.
Only key columns are sorted and grouped; the full table is copied once, by a single ``take``, and
not at all when the keys are already unique (the common case for posts).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_RANK = "__rank"


def drop_null_keys(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    if not any(table[key].null_count for key in keys):
        return table
    mask = pc.is_valid(table[keys[0]])
    for key in keys[1:]:
        mask = pc.and_(mask, pc.is_valid(table[key]))
    return table.filter(mask)


def last_per_key(keys: pa.Table, fetched_at: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """Row indices keeping the last-fetched row of each key, in row order; None if keys are unique."""
    rows = keys.num_rows
    if rows < 2:
        return None
    if keys.num_columns == 1 and pc.count_distinct(keys.column(0)).as_py() == rows:
        return None
    stamps = fetched_at.to_numpy().astype(np.int64)
    if np.all(stamps[1:] >= stamps[:-1]):  # rows already in fetch order (pages arrive in order)
        order = np.arange(rows, dtype=np.int64)
    else:  # stable: equal stamps keep their position order
        order = np.argsort(stamps, kind="stable").astype(np.int64)
    ranked = keys.take(order).append_column(_RANK, pa.array(np.arange(rows, dtype=np.int64)))
    # Within each key group the max rank is the last in (fetched_at, position) order.
    winners = ranked.group_by(keys.column_names, use_threads=False).aggregate([(_RANK, "max")])
    if winners.num_rows == rows:
        return None
    return np.sort(order[winners[f"{_RANK}_max"].to_numpy()])


def keep_last_per_key(table: pa.Table, keys: Sequence[str], order_by: str = "fetched_at") -> pa.Table:
    """Drop rows with null keys, then keep the last row per key ordered by ``order_by`` and position."""
    table = drop_null_keys(table, keys)
    indices = last_per_key(table.select(list(keys)), table[order_by])
    return table if indices is None else table.take(pa.array(indices))


def unique_within_parent(parents: pa.Array | pa.ChunkedArray, offsets: pa.Array | pa.ChunkedArray) -> bool:
    """True when (parent row, offset) pairs are unique: a cheap int64 check that spares a group_by.

    Entity rows of unique posts are unique on (tweet_id, start) unless a post lists two entities at
    the same offset, which only malformed data does.
    """
    if len(parents) < 2:
        return True
    if offsets.null_count:
        return False
    combined = pc.add(pc.multiply(pc.cast(parents, pa.int64()), 1 << 32), pc.cast(offsets, pa.int64()))
    return pc.count_distinct(combined).as_py() == len(parents)
