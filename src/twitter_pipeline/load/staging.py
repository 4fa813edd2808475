"""Stage a window's batches as Parquet parts so the merge can read the whole window with bounded memory.

The transform yields many small batches whose keys are unique only within a batch; the Delta MERGE
needs one source with unique keys. Staging to ``<lake>/staging/run=<run_id>/<table>/part-*.parquet``
lets us deduplicate the whole window afterwards without holding it in RAM. A window that never
outgrew the buffer (`flush_bytes`) stays in memory instead: writing and reading it back would cost
more than the MERGEs (a 50,000-post import: 0.3 s of Parquet encoding), and memory is bounded by the
same buffer either way. Nothing relies on staged parts surviving a crash: a rerun stages afresh.
Each staged row carries ``_load_seq`` (its batch number) so later batches win ties on ``fetched_at``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from twitter_pipeline.errors import StorageError, one_line
from twitter_pipeline.storage import LakeStorage

STAGING_PREFIX = "staging"
SEQ_COLUMN = "_load_seq"
# Buffer at most this many bytes over all tables before writing parts: few parts, bounded memory.
DEFAULT_FLUSH_BYTES = 48 * 1024 * 1024


def staging_prefix(run_id: str) -> str:
    return f"{STAGING_PREFIX}/run={run_id}"


def discard_staging(storage: LakeStorage, run_id: str) -> None:
    """Delete every staged part of a run whose pages have since been loaded under another run id."""
    storage.delete_prefix(staging_prefix(run_id))


@dataclass
class StagedTable:
    """The parts written for one table and how many rows they hold."""

    name: str
    schema: pa.Schema
    paths: list[str] = field(default_factory=list)  # filesystem paths (see LakeStorage.fs_path)
    rows: int = 0
    held: list[pa.Table] = field(default_factory=list)  # the parts, when the window stayed in memory

    @property
    def parts(self) -> int:
        return len(self.held) or len(self.paths)


class StagingArea:
    """Buffers batches per table and writes them as Parquet parts under the run's staging prefix."""

    def __init__(
        self,
        storage: LakeStorage,
        run_id: str,
        schemas: dict[str, pa.Schema],
        flush_bytes: int = DEFAULT_FLUSH_BYTES,
    ) -> None:
        self.storage = storage
        self.run_id = run_id
        # Staged parts accept null keys (they are counted and left out at merge time, not here).
        self.schemas = {name: _all_nullable(schema) for name, schema in schemas.items()}
        self.flush_bytes = flush_bytes
        # Each load attempt stages in its own folder: a rerun never mixes with a crashed attempt's
        # parts, and one process's cleanup never deletes another's.
        self.attempt = uuid.uuid4().hex[:12]
        self.prefix = f"{staging_prefix(run_id)}/attempt={self.attempt}"
        self.tables: dict[str, StagedTable] = {}
        self._buffers: dict[str, list[pa.Table]] = {}
        self._buffered_bytes: dict[str, int] = {}
        self._seq = 0

    def add_batch(self, batch: dict[str, pa.Table]) -> None:
        """Stage one transform batch (a table name → Arrow table mapping)."""
        self._seq += 1
        for name, table in batch.items():
            if table is None or table.num_rows == 0:
                continue
            schema = self.schemas.get(name)
            if schema is None:
                raise ValueError(f"no TableSpec for table {name!r}: declare it in transform.schema.TABLES")
            table = _conform(table, schema)
            seq = pa.array([self._seq] * table.num_rows, pa.int64())
            table = table.append_column(pa.field(SEQ_COLUMN, pa.int64(), nullable=False), seq)
            self._buffers.setdefault(name, []).append(table)
            self._buffered_bytes[name] = self._buffered_bytes.get(name, 0) + table.nbytes
            while sum(self._buffered_bytes.values()) >= self.flush_bytes:
                self._flush(max(self._buffered_bytes, key=self._buffered_bytes.__getitem__))

    def finish(self) -> dict[str, StagedTable]:
        """Write what is still buffered (or hold it, when nothing was written); returns the staged tables."""
        hold = not self.tables  # the whole window fit in the buffer
        for name in list(self._buffers):
            self._flush(name, hold=hold)
        return self.tables

    def _flush(self, name: str, hold: bool = False) -> None:
        parts = self._buffers.pop(name, [])
        self._buffered_bytes[name] = 0
        if not parts:
            return
        table = pa.concat_tables(parts)
        staged = self.tables.setdefault(name, StagedTable(name=name, schema=table.schema))
        if hold:
            staged.held.append(table)
            staged.rows += table.num_rows
            return
        key = f"{self.prefix}/{name}/part-{len(staged.paths):05d}.parquet"
        path = self.storage.fs_path(key)
        try:
            if not self.storage.is_s3:
                from pathlib import Path

                Path(path).parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                table, path, filesystem=self.storage.filesystem, compression="zstd", row_group_size=16_384
            )
        except OSError as exc:
            raise StorageError(
                f"cannot write staging data to {self.storage.location(key)}: {one_line(exc)}; "
                "check that the lake is reachable and writable, then rerun (the load is idempotent)"
            ) from None
        staged.paths.append(path)
        staged.rows += table.num_rows

    def cleanup(self) -> None:
        """Remove the run's staging parts: called only after every table committed.

        Parts of earlier, failed attempts of the same run go too: they are never read again, and
        the unit's lease guarantees that no other process is loading this run right now.
        """
        self.storage.delete_prefix(staging_prefix(self.run_id))


def _all_nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Select and cast to the declared schema so every part of a table has identical types."""
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        for name in missing:
            field_ = schema.field(name)
            table = table.append_column(field_, pa.nulls(table.num_rows, field_.type))
    table = table.select(schema.names)
    if table.schema.equals(schema):
        return table
    return table.cast(schema)
