"""Keep one row per natural key within a batch: the loader MERGEs on the key and needs unique sources.

The last-fetched version wins (ties: the later page, then the later position in the page), so a
re-fetched post carries its newest metrics. Rows whose key is null cannot be merged and are dropped.
Only key columns are sorted and grouped; the full table is copied once, by a single ``take``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_POSITION = "__position"


def drop_null_keys(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    if not any(table[key].null_count for key in keys):
        return table
    mask = pc.is_valid(table[keys[0]])
    for key in keys[1:]:
        mask = pc.and_(mask, pc.is_valid(table[key]))
    return table.filter(mask)


def keep_last_per_key(table: pa.Table, keys: Sequence[str], order_by: str = "fetched_at") -> pa.Table:
    """Drop rows with null keys, then keep the last row per key ordered by ``order_by`` and position."""
    table = drop_null_keys(table, keys)
    if table.num_rows < 2:
        return table
    if len(keys) == 1 and pc.count_distinct(table[keys[0]]).as_py() == table.num_rows:
        return table  # the common case for posts: nothing to do, no sort
    stamps = table[order_by].to_numpy().astype(np.int64)
    if np.all(stamps[1:] >= stamps[:-1]):  # rows already in fetch order (pages arrive in order)
        order = np.arange(table.num_rows, dtype=np.int64)
    else:  # stable: equal stamps keep their position order
        order = np.argsort(stamps, kind="stable").astype(np.int64)
    ranked = table.select(list(keys)).take(order).append_column(_POSITION, pa.array(order))
    # Within each key group the max rank is the last in (order_by, position) order.
    ranked = ranked.append_column("__rank", pa.array(np.arange(len(order), dtype=np.int64)))
    winners = ranked.group_by(list(keys), use_threads=False).aggregate([("__rank", "max")])
    winning_ranks = np.sort(winners["__rank_max"].to_numpy())
    return table.take(pa.array(order[winning_ranks]))
