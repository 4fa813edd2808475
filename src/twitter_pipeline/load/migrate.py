"""Bring an existing Delta table up to its TableSpec, so lakes written by older versions keep working.

Two kinds of change, both decided from the Delta log alone (no data read when nothing changed):
- new nullable columns: added in place (``ALTER TABLE … ADD COLUMNS``, a metadata-only commit);
  old rows read them as null, which is what "the API did not send it" means everywhere else;
- renamed columns, or a new key column old rows must be given a value for: the table is rewritten
  once (``TableSpec.renamed_from`` / ``TableSpec.backfill``), in one overwrite commit that keeps its
  partitioning. Readers see the old or the new table, never a mix.
"""

from __future__ import annotations

import logging

import pyarrow as pa
from deltalake import DeltaTable, Field, write_deltalake
from deltalake.exceptions import DeltaError

from twitter_pipeline.load.delta_tables import storage_error, table_uri
from twitter_pipeline.load.parquet_format import writer_properties
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TableSpec

log = logging.getLogger(__name__)


def evolve_table(storage: LakeStorage, spec: TableSpec, table: DeltaTable) -> DeltaTable:
    """``table`` migrated to ``spec``'s columns (returned as is when it already has them all)."""
    actual = pa.schema(table.schema().to_arrow())
    missing = [f for f in spec.schema if f.name not in actual.names]
    if not missing:
        return table
    renamed = {new: old for new, old in spec.renamed_from.items() if old in actual.names}
    needs_backfill = spec.backfill is not None and any(f.name in spec.keys for f in missing)
    try:
        if renamed or needs_backfill:
            _rewrite(storage, spec, table, renamed)
        else:
            table.alter.add_columns(
                [Field.from_arrow(pa.field(f.name, f.type, nullable=True)) for f in missing]
            )
    except (DeltaError, OSError) as exc:
        current = _reopen(storage, spec)
        if all(f.name in pa.schema(current.schema().to_arrow()).names for f in missing):
            return current  # another loader migrated it first
        raise storage_error(storage, f"migrate table {spec.name!r} to the current schema", exc) from None
    log.warning("migrated table %s: added %s", spec.name, ", ".join(f.name for f in missing))
    return _reopen(storage, spec)


def _reopen(storage: LakeStorage, spec: TableSpec) -> DeltaTable:
    return DeltaTable(table_uri(storage, spec.name), storage_options=storage.delta_storage_options())


def _rewrite(storage: LakeStorage, spec: TableSpec, table: DeltaTable, renamed: dict[str, str]) -> None:
    from twitter_pipeline.load.read import read_table

    rows = read_table(storage, spec.name)
    rows = rows.rename_columns(
        [{old: new for new, old in renamed.items()}.get(n, n) for n in rows.column_names]
    )
    if spec.backfill is not None:
        rows = spec.backfill(rows)
    arrays = [
        rows[f.name].cast(f.type) if f.name in rows.column_names else pa.nulls(rows.num_rows, f.type)
        for f in spec.schema
    ]
    write_deltalake(
        table,
        pa.Table.from_arrays(arrays, schema=spec.schema),
        mode="overwrite",
        schema_mode="overwrite",
        partition_by=list(spec.partition_by) or None,
        storage_options=storage.delta_storage_options(),
        writer_properties=writer_properties(spec),
    )
