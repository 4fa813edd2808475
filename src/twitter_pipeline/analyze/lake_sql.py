"""DuckDB over the lake: every Delta table of a lake as a view, for local folders and S3 alike.

DuckDB cannot install `httpfs`/`delta` offline (PITFALLS #5), so each table is registered as a
pyarrow dataset over the current Delta snapshot's files (`twitter_pipeline.load.table_dataset`,
which also avoids the deltalake exit abort, PITFALLS #1). String columns are declared
``string_view``: DuckDB 2.x pushes string filter constants into Arrow scans as ``string_view``,
and pyarrow has no kernel comparing ``string`` with ``string_view`` (every ``WHERE lang = 'en'``
would fail otherwise). Partition columns stay ``string`` (pyarrow parses them from paths).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from twitter_pipeline.errors import PipelineError
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.storage.lake_storage import TABLES_PREFIX


class QueryError(PipelineError):
    """A SQL query the user wrote (or a report query) failed: bad syntax, unknown table or column."""

    exit_code = 2


@dataclass
class LakeConnection:
    """A DuckDB connection with the lake's tables registered as views (name → row-less schema)."""

    con: duckdb.DuckDBPyConnection
    storage: LakeStorage
    tables: dict[str, pa.Schema] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # declared tables registered empty (declared=True)

    def has(self, name: str) -> bool:
        return name in self.tables

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run one statement and return its rows as Arrow; DuckDB errors become a one-line QueryError."""
        try:
            relation = self.con.sql(sql, params=dict(params) if params else None)
            return relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.Error as exc:
            self._reset()
            raise QueryError(self.explain(exc)) from None

    def query_one(self, sql: str) -> pa.Table:
        """`query` for exactly one statement, as `sql` promises: a second one is an error, not a surprise."""
        try:
            count = len(self.con.extract_statements(sql))
        except duckdb.Error as exc:
            raise QueryError(self.explain(exc)) from None
        if count != 1:
            found = "no SQL statement" if count == 0 else f"{count} statements"
            raise QueryError(f"{found} given: `sql` runs exactly one statement (run it once per statement)")
        return self.query(sql)

    def _reset(self) -> None:
        """Drop a failed statement's pending result so the connection takes the next one."""
        with contextlib.suppress(duckdb.Error):
            self.con.abort()

    def explain(self, exc: BaseException) -> str:
        """DuckDB's message on one line, plus the tables that exist when a table was not found."""
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        message = " ".join(lines[:2]) if lines else type(exc).__name__
        if len(message) > 400:
            message = message[:399] + "…"
        if isinstance(exc, duckdb.CatalogException) and "table" in message.lower():
            available = ", ".join(sorted(self.tables)) or "none (load data first: twitter-pipeline run)"
            message += f"; tables in {self.storage.uri}: {available}"
        return message

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> LakeConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def list_tables(storage: LakeStorage) -> list[str]:
    """Names of the Delta tables under ``<lake>/tables/`` (folders holding a ``_delta_log``)."""
    from twitter_pipeline.errors import StorageError, one_line

    base = storage.fs_path(TABLES_PREFIX)
    selector = pafs.FileSelector(base, recursive=False, allow_not_found=True)
    try:
        infos = storage.filesystem.get_file_info(selector)
        names = sorted(info.base_name for info in infos if info.type == pafs.FileType.Directory)
        logs = storage.filesystem.get_file_info([f"{base}/{name}/_delta_log" for name in names])
    except OSError as exc:
        raise StorageError(
            f"cannot list the tables of {storage.uri}: {one_line(exc)}; check the lake location and access"
        ) from None
    return [name for name, log in zip(names, logs, strict=True) if log.type != pafs.FileType.NotFound]


def _as_view_type(data_type: pa.DataType) -> pa.DataType:
    """The same type with every string (also inside lists and structs) read as ``string_view``."""
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return pa.string_view()
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return pa.list_(data_type.value_field.with_type(_as_view_type(data_type.value_type)))
    if pa.types.is_struct(data_type):
        return pa.struct([f.with_type(_as_view_type(f.type)) for f in data_type])
    return data_type


def scan_schema(schema: pa.Schema, partition_columns: list[str]) -> pa.Schema:
    """The schema to scan a table with: strings as ``string_view`` except partition columns."""
    return pa.schema(
        [f if f.name in partition_columns else f.with_type(_as_view_type(f.type)) for f in schema],
        metadata=schema.metadata,
    )


def open_dataset(storage: LakeStorage, name: str) -> ds.Dataset | None:
    """A DuckDB-friendly pyarrow dataset over one table's current snapshot (None if absent)."""
    from twitter_pipeline.load import table_dataset
    from twitter_pipeline.load.delta_tables import open_table, storage_error

    table = open_table(storage, name)
    if table is None:
        return None
    try:
        partition_columns = list(table.metadata().partition_columns)
        schema = pa.schema(table.schema().to_arrow())
    except OSError as exc:
        raise storage_error(storage, f"read table {name!r}", exc) from None
    return table_dataset(storage, name, schema=scan_schema(schema, partition_columns))


# Tables whose rows belong to one post, and the column that names it: what a collection filters.
POST_KEYED_TABLES = {
    "tweets": "id",
    "hashtags": "tweet_id",
    "mentions": "tweet_id",
    "urls": "tweet_id",
    "tweet_references": "tweet_id",
}


def connect(
    storage: LakeStorage | str,
    *,
    declared: bool = False,
    threads: int | None = None,
    collection: str | None = None,
) -> LakeConnection:
    """An in-memory DuckDB with every table of the lake registered as a view (UTC session).

    With `declared`, tables the schema declares but the lake does not hold yet are registered
    empty, so the report's queries run (and say "no posts") on a new or empty lake. With
    `collection`, the post tables show only that collection's posts (see `collection_posts`).
    """
    lake = storage if isinstance(storage, LakeStorage) else LakeStorage(storage)
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    registered: dict[str, pa.Schema] = {}
    for name in list_tables(lake):
        dataset = open_dataset(lake, name)
        if dataset is None:
            continue
        con.register(name, dataset)
        registered[name] = dataset.schema
    lake_connection = LakeConnection(con=con, storage=lake, tables=registered)
    if declared:
        from twitter_pipeline.transform.schema import TABLES

        for name, spec in TABLES.items():
            if name not in registered:
                con.register(name, scan_schema(spec.schema, list(spec.partition_by)).empty_table())
        lake_connection.missing = sorted(set(TABLES) - set(registered))
    if collection:
        _filter_to_collection(lake_connection, collection)
    return lake_connection


def _filter_to_collection(lake: LakeConnection, collection: str) -> None:
    """Hide each post table behind a view of the collection's posts (the full table is `<name>_all`)."""
    if "collection_posts" not in lake.tables:
        lake.close()
        raise QueryError(
            f"{lake.storage.uri} has no collection_posts table: fetch with --collection first "
            "(twitter-pipeline run --collection NAME)"
        )
    known = {row[0] for row in lake.con.sql("SELECT DISTINCT collection FROM collection_posts").fetchall()}
    if collection not in known:
        lake.close()
        raise QueryError(
            f"no posts of collection {collection!r} in {lake.storage.uri}; collections there: "
            f"{', '.join(sorted(known)) or 'none'}"
        )
    name = collection.replace("'", "''")
    for table, column in POST_KEYED_TABLES.items():
        if table not in lake.tables and table not in lake.missing:
            continue
        lake.con.execute(f'ALTER VIEW "{table}" RENAME TO "{table}_all"')
        lake.con.execute(
            f'CREATE VIEW "{table}" AS SELECT * FROM "{table}_all" WHERE "{column}" IN '
            f"(SELECT tweet_id FROM collection_posts WHERE collection = '{name}')"
        )
