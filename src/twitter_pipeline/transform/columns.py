"""ArrowColumn-level Arrow helpers the table builders share: nested field access, explode, timestamps.

Everything here works on whole columns (Arrow compute), never on Python values per row.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twitter_pipeline.transform.schema import TIMESTAMP

# An Arrow column: a whole array, or a chunked one (a table column)
ArrowColumn: TypeAlias = pa.Array | pa.ChunkedArray

# X "snowflake" ids carry their creation time: (id >> 22) ms after the Twitter epoch.
_TWITTER_EPOCH_MS = 1288834974657
_MIN_SNOWFLAKE_DIGITS = 16  # ids from before snowflakes (2010) are shorter and carry no time


def get(column: ArrowColumn, *path: str) -> ArrowColumn:
    """Nested struct field (null where any parent is null)."""
    return pc.struct_field(column, list(path))


def first_present(*columns: ArrowColumn) -> ArrowColumn:
    """Coalesce the old and new spelling of a field (e.g. retweet_count / repost_count).

    A page uses one spelling, so usually one side is all null: then no copy is made (coalescing
    nested lists would copy every item).
    """
    present = [column for column in columns if column.null_count < len(column)]
    if not present:
        return columns[0]
    if len(present) == 1:
        return present[0]
    return pc.coalesce(*present)


def explode(lists: ArrowColumn) -> tuple[ArrowColumn, ArrowColumn]:
    """Flatten a list column; also return each item's parent row index (to carry parent columns)."""
    return pc.list_flatten(lists), pc.list_parent_indices(lists)


def list_item(lists: ArrowColumn, index: int, length: int) -> ArrowColumn:
    """``lists[i][index]`` for lists of exactly ``length`` items, null otherwise (never an error)."""
    well_formed = pc.equal(pc.list_value_length(lists), length)
    return pc.list_element(pc.if_else(well_formed, lists, pa.scalar(None, lists.type)), index)


def first_item(lists: ArrowColumn) -> ArrowColumn:
    """``lists[i][0]``, null for null or empty lists."""
    usable = pc.greater_equal(pc.fill_null(pc.list_value_length(lists), 0), 1)
    return pc.list_element(pc.if_else(usable, lists, pa.scalar(None, lists.type)), 0)


def list_field(lists: ArrowColumn, name: str) -> ArrowColumn:
    """``[item.name for item in lists[i]]`` per row (list<struct> → list<field>), nulls kept null."""
    if isinstance(lists, pa.ChunkedArray):
        chunks = [list_field(chunk, name) for chunk in lists.chunks]
        value_type = lists.type.value_type.field(name).type
        return pa.chunked_array(chunks, type=pa.list_(value_type))
    values = pc.struct_field(lists.values, [name])
    return pa.ListArray.from_arrays(lists.offsets, values, mask=pc.is_null(lists))


def position_in_list(parents: ArrowColumn) -> pa.Array:
    """Each exploded item's 0-based position in its own list (``parents`` is non-decreasing)."""
    ids = (parents.combine_chunks() if isinstance(parents, pa.ChunkedArray) else parents).to_numpy()
    n = len(ids)
    if not n:
        return pa.array([], pa.int64())
    starts = np.flatnonzero(np.diff(ids, prepend=ids[0] - 1))
    return pa.array(np.arange(n, dtype=np.int64) - np.repeat(starts, np.diff(np.append(starts, n))))


def to_timestamp(strings: ArrowColumn) -> ArrowColumn:
    """ISO-8601 strings (``2021-01-06T18:40:40.000Z``) → timestamp[us, UTC]; unparseable → null."""
    try:
        return pc.cast(strings, TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        seconds = pc.utf8_slice_codeunits(strings, 0, 19)
        parsed = pc.strptime(seconds, format="%Y-%m-%dT%H:%M:%S", unit="us", error_is_null=True)
        return pc.assume_timezone(parsed, "UTC")


def snowflake_time(ids: ArrowColumn) -> ArrowColumn:
    """Creation time encoded in a snowflake id; null for non-numeric or pre-2010 ids."""
    length = pc.utf8_length(ids)
    usable = pc.and_(
        pc.and_(pc.utf8_is_digit(ids), pc.greater_equal(length, _MIN_SNOWFLAKE_DIGITS)),
        pc.less_equal(length, 19),
    )
    numbers = pc.cast(pc.if_else(usable, ids, pa.scalar(None, pa.string())), pa.uint64())
    millis = pc.add(pc.shift_right(numbers, 22), _TWITTER_EPOCH_MS)
    return pc.cast(pc.cast(millis, pa.int64()), pa.timestamp("ms", tz="UTC")).cast(TIMESTAMP)


def utc_date(timestamps: ArrowColumn) -> ArrowColumn:
    """``YYYY-MM-DD`` of a UTC timestamp column (partition values); via date32, 10x cheaper than strftime."""
    utc = pc.cast(timestamps, pa.timestamp("us"))  # drop the zone: the stored instant is already UTC
    return pc.cast(pc.cast(utc, pa.date32()), pa.string())


def take(column: ArrowColumn, indices: ArrowColumn) -> ArrowColumn:
    return pc.take(column, indices)
