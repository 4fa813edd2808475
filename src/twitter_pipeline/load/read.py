"""Read lake tables back as Arrow: the current Delta snapshot's files through pyarrow.dataset.

We deliberately avoid ``DeltaTable.to_pyarrow_table()``/``to_pyarrow_dataset()``: with deltalake 1.6
they make the interpreter abort at exit (see PITFALLS #1), which breaks CLI exit codes. The snapshot's
``file_uris()`` plus hive partition paths give the same rows through pyarrow alone.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable, Schema

from twitter_pipeline.errors import StorageError
from twitter_pipeline.load.delta_tables import open_table, storage_error, table_file_path, table_key
from twitter_pipeline.storage import LakeStorage


def table_schema(storage: LakeStorage, name: str) -> pa.Schema | None:
    """The table's current Arrow schema as recorded in the Delta log (None if no table)."""
    table = open_table(storage, name)
    if table is None:
        return None
    return pa.schema(table.schema().to_arrow())


def table_dataset(
    storage: LakeStorage, name: str, schema: pa.Schema | None = None, version: int | None = None
) -> ds.Dataset | None:
    """A pyarrow dataset over the table's current files (None if the table does not exist)."""
    table = open_table(storage, name)
    if table is None:
        return None
    try:
        if version is not None:
            table.load_as_version(version)
        uris = table.file_uris()
    except OSError as exc:
        raise storage_error(storage, f"read table {name!r}", exc) from None
    return _files_dataset(storage, name, table, uris, schema)


def _files_dataset(
    storage: LakeStorage, name: str, table: DeltaTable, uris: list[str], schema: pa.Schema | None
) -> ds.Dataset:
    try:
        partition_columns = list(table.metadata().partition_columns)
        delta_schema = pa.schema(table.schema().to_arrow())
    except OSError as exc:
        raise storage_error(storage, f"read table {name!r}", exc) from None
    paths = [storage.fs_path_of_uri(uri) for uri in uris]
    return files_dataset(storage, name, paths, schema or delta_schema, partition_columns)


def files_dataset(
    storage: LakeStorage, name: str, paths: list[str], schema: pa.Schema, partition_columns: list[str]
) -> ds.Dataset:
    """A pyarrow dataset over some of a table's data files (filesystem paths), hive-partitioned."""
    partitioning = None
    if partition_columns:
        partitioning = ds.partitioning(pa.schema([schema.field(c) for c in partition_columns]), flavor="hive")
    try:
        return ds.dataset(
            paths,
            schema=schema,
            format="parquet",
            filesystem=storage.filesystem,
            partitioning=partitioning,
            partition_base_dir=storage.fs_path(table_key(name)),
        )
    except OSError as exc:
        raise storage_error(storage, f"read table {name!r}", exc) from None


def loaded_files(
    storage: LakeStorage, name: str, files: list[str], delta_schema: str, partition_by: list[str]
) -> ds.Dataset:
    """The files one load wrote (`TableLoad.files_added`), read with the schema it committed.

    No Delta log is read: the load recorded what its commits added, so this costs what the
    window wrote whatever the table's size or history.
    """
    paths = [table_file_path(storage, name, f) for f in files]
    return files_dataset(storage, name, paths, committed_schema(delta_schema), partition_by)


def committed_schema(delta_schema: str) -> pa.Schema:
    """A schema a load recorded (`TableLoad.delta_schema`, Delta's JSON) as Arrow."""
    return pa.schema(Schema.from_json(delta_schema).to_arrow())


def written_rows(storage: LakeStorage, name: str, before: int | None, after: int | None) -> ds.Dataset | None:
    """The rows in files that commits ``before`` (exclusive) .. ``after`` (inclusive) added.

    A MERGE rewrites every file holding a key it matched and writes its inserts to new files, so
    this is every row a window's load wrote (plus rows that shared a rewritten file): what the
    quality checks read, at a cost set by the window and not by the table. None: no such table.
    """
    table = open_table(storage, name)
    if table is None:
        return None
    try:
        if after is not None:
            table.load_as_version(after)
        added = table.file_uris()
        if before is not None and before >= 0:
            table.load_as_version(before)
            previous = set(table.file_uris())
            added = [uri for uri in added if uri not in previous]
            if after is not None:
                table.load_as_version(after)
    except OSError as exc:
        raise storage_error(storage, f"read table {name!r}", exc) from None
    return _files_dataset(storage, name, table, added, None)


def read_written_rows(
    storage: LakeStorage, name: str, before: int | None, after: int | None, columns: list[str]
) -> pa.Table | None:
    """Some columns of `written_rows` (the ones the table has), as one Arrow table."""
    return read_columns(storage, name, written_rows(storage, name, before, after), columns)


def read_columns(
    storage: LakeStorage, name: str, dataset: ds.Dataset | None, columns: list[str]
) -> pa.Table | None:
    if dataset is None:
        return None
    present = [c for c in columns if c in dataset.schema.names]
    try:
        return dataset.to_table(columns=present)
    except OSError as exc:
        raise storage_error(storage, f"read table {name!r}", exc) from None


def read_table(
    storage: LakeStorage,
    name: str,
    columns: list[str] | None = None,
    filter: ds.Expression | None = None,
    schema: pa.Schema | None = None,
) -> pa.Table:
    """The table's current rows (optionally some columns / a pyarrow filter); empty if no table."""
    dataset = table_dataset(storage, name, schema=schema)
    if dataset is None:
        if schema is None:
            raise StorageError(f"table {name!r} does not exist in {storage.uri}: load a window first")
        empty = schema.empty_table()
        return empty.select(columns) if columns else empty
    try:
        try:
            return dataset.to_table(columns=columns, filter=filter)
        except pa.ArrowNotImplementedError:
            if filter is None:
                raise
            return _filter_after_read(dataset, columns, filter)
    except OSError as exc:
        raise storage_error(storage, f"read table {name!r}", exc) from None


def _filter_after_read(dataset: ds.Dataset, columns: list[str] | None, filter: ds.Expression) -> pa.Table:
    """Fallback for filters pyarrow cannot push into delta-rs files (they store strings as string_view).

    Batches are cast to the dataset schema first, then filtered, so memory holds only matches.
    """
    kept: list[pa.Table] = []
    for batch in dataset.to_batches():
        table = pa.Table.from_batches([batch]).filter(filter)
        if table.num_rows:
            kept.append(table.select(columns) if columns else table)
    if kept:
        return pa.concat_tables(kept)
    empty = dataset.schema.empty_table()
    return empty.select(columns) if columns else empty
