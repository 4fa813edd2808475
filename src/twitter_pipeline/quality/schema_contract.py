"""Compare a table's stored schema with its TableSpec, ignoring spellings that mean the same data.

Delta stores logical types: Arrow's string/large_string/string_view, list field names and
timezone spellings of UTC all round-trip differently, yet are one column type to every reader.
"""

from __future__ import annotations

import pyarrow as pa

_UTC = {"UTC", "utc", "+00:00", "Etc/UTC", "Z"}


def normalize_type(typ: pa.DataType) -> pa.DataType:
    """One canonical Arrow type per Delta logical type."""
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return pa.string()
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ) or pa.types.is_binary_view(typ):
        return pa.binary()
    if pa.types.is_timestamp(typ):
        tz = "UTC" if typ.tz in _UTC else typ.tz
        return pa.timestamp("us", tz=tz)
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_list_view(typ):
        return pa.list_(normalize_type(typ.value_type))
    if pa.types.is_struct(typ):
        return pa.struct([pa.field(f.name, normalize_type(f.type)) for f in typ])
    if pa.types.is_map(typ):
        return pa.map_(normalize_type(typ.key_type), normalize_type(typ.item_type))
    return typ


def schema_differences(actual: pa.Schema, expected: pa.Schema) -> list[str]:
    """Human-readable differences (missing, extra, retyped columns); empty when they match."""
    diffs: list[str] = []
    actual_types = {f.name: normalize_type(f.type) for f in actual}
    expected_types = {f.name: normalize_type(f.type) for f in expected}
    for name, typ in expected_types.items():
        if name not in actual_types:
            diffs.append(f"column {name} missing")
        elif actual_types[name] != typ:
            diffs.append(f"column {name} is {actual_types[name]}, expected {typ}")
    diffs.extend(f"unexpected column {name}" for name in actual_types if name not in expected_types)
    return diffs
