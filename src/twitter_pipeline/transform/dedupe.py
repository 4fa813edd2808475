"""Keep one row per natural key within a batch: the loader MERGEs on the key and needs unique sources.

The last-fetched version wins (ties: the later page, then the later position in the page), so a
re-fetched post carries its newest metrics. Rows whose key is null cannot be merged and are dropped.
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
        return table  # the common case: nothing to do, no sort
    positions = pa.array(np.arange(table.num_rows, dtype=np.int64))
    ordered = table.take(
        pc.sort_indices(
            table.select([order_by]).append_column(_POSITION, positions),
            sort_keys=[(order_by, "ascending"), (_POSITION, "ascending")],
        )
    )
    ranked = ordered.select(list(keys)).append_column(_POSITION, positions)
    winners = ranked.group_by(list(keys), use_threads=False).aggregate([(_POSITION, "max")])
    winner_positions = winners[f"{_POSITION}_max"]
    return ordered.take(pc.take(winner_positions, pc.sort_indices(winner_positions)))
