"""Delta tables under ``<lake>/tables/<name>``: create with the declared layout, MERGE with retries.

One place knows deltalake's API and error types, so the rest of the load stage speaks in
TableSpecs and Arrow readers, and every storage failure leaves here as a one-line `StorageError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from twitter_pipeline.errors import StorageError, one_line
from twitter_pipeline.load.parquet_format import writer_properties
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.storage.lake_storage import TABLES_PREFIX
from twitter_pipeline.transform.schema import TableSpec

log = logging.getLogger(__name__)

MAX_COMMIT_ATTEMPTS = 8


def table_key(name: str) -> str:
    return f"{TABLES_PREFIX}/{name}"


def table_uri(storage: LakeStorage, name: str) -> str:
    return storage.location(table_key(name))


def storage_error(storage: LakeStorage, action: str, exc: BaseException) -> StorageError:
    """One line naming the lake, what failed and the fix (never credentials: we pass none in text)."""
    return StorageError(
        f"cannot {action} in the lake at {storage.uri}: {one_line(exc)}; check that the storage is "
        "reachable and writable (AWS_ENDPOINT_URL, AWS credentials/profile, network), then rerun — "
        "loads are idempotent"
    )


def open_table(storage: LakeStorage, name: str) -> DeltaTable | None:
    """The Delta table, or None when it was never written."""
    uri = table_uri(storage, name)
    try:
        return DeltaTable(uri, storage_options=storage.delta_storage_options())
    except TableNotFoundError:
        return None
    except (DeltaError, OSError) as exc:
        if "not a delta table" in str(exc).lower() or "no files in log segment" in str(exc).lower():
            return None
        raise storage_error(storage, f"open table {name!r}", exc) from None


def ensure_table(storage: LakeStorage, spec: TableSpec) -> DeltaTable:
    """Open the table, creating it empty with the declared schema and partitioning if absent.

    Two loaders may race to create it; the loser's conditional write fails and it opens the winner's.
    """
    for _ in range(3):
        table = open_table(storage, spec.name)
        if table is not None:
            from twitter_pipeline.load.migrate import evolve_table

            return evolve_table(storage, spec, table)
        try:
            return DeltaTable.create(
                table_uri(storage, spec.name),
                spec.schema,
                mode="error",
                partition_by=list(spec.partition_by) or None,
                name=spec.name,
                description=spec.description or None,
                storage_options=storage.delta_storage_options(),
            )
        except (DeltaError, OSError) as exc:
            text = str(exc).lower()
            if "exists" in text or isinstance(exc, CommitFailedError):
                continue  # another loader created it first
            raise storage_error(storage, f"create table {spec.name!r}", exc) from None
    table = open_table(storage, spec.name)
    if table is None:
        raise StorageError(f"cannot create table {spec.name!r} in {storage.uri}: rerun the load")
    return table


@dataclass(frozen=True)
class MergeResult:
    """What one MERGE commit did."""

    version: int
    inserted: int
    updated: int
    attempts: int
    files_scanned: int = 0  # target files the MERGE read: what a window's load costs on a big table
    files_skipped: int = 0  # target files it ruled out from their statistics without reading them
    merge_ms: int = 0
    version_before: int = -1  # the snapshot the MERGE started from
    files_added: tuple[str, ...] = ()  # data files (paths under the table's folder) it wrote
    files_removed: tuple[str, ...] = ()  # data files it rewrote (no longer in the table)
    delta_schema: str = ""  # the table's schema as committed (Delta JSON)
    partition_by: tuple[str, ...] = ()


def merge_predicate(spec: TableSpec, columns: list[str], first_keys: list[str] | None = None) -> str:
    """Match on the natural key; partition columns join too (they derive from the key) for pruning.

    `first_keys` (the source's values of the first key, when few) are named as well: every matching
    pair satisfies it anyway, and delta-rs then skips each target file whose statistics exclude all
    of them — the source's key range alone rules out nothing once it includes old posts.
    """
    cols = list(spec.keys) + [c for c in spec.partition_by if c not in spec.keys and c in columns]
    predicate = " AND ".join(f"t.`{c}` = s.`{c}`" for c in cols)
    if first_keys:
        named = ", ".join("'" + value.replace("'", "''") + "'" for value in first_keys)
        predicate += f" AND t.`{spec.keys[0]}` IN ({named})"
    return predicate


def merge_into(
    storage: LakeStorage,
    spec: TableSpec,
    source: Callable[[], pa.RecordBatchReader],
    run_id: str,
    *,
    first_keys: list[str] | None = None,
) -> MergeResult:
    """MERGE a deduplicated source into the table in ONE commit, retrying on concurrent commits.

    `source` is a factory: a reader is consumed by an attempt, so each retry streams it afresh.
    Rows update only when the incoming copy was fetched no earlier than the stored one, so loading
    an old archive after a fresh fetch never rolls public metrics back; `spec.keep_on_update`
    columns are never overwritten.
    """
    columns = spec.schema.names
    predicate = merge_predicate(spec, columns, first_keys)
    update_if = "t.fetched_at IS NULL OR s.fetched_at >= t.fetched_at" if "fetched_at" in columns else None
    # delta-rs retries a commit itself (max_commit_retries); a MERGE whose files another loader
    # rewrote meanwhile fails with CommitFailedError and must run again on the new snapshot.
    retrying = Retrying(
        retry=retry_if_exception_type(CommitFailedError),
        stop=stop_after_attempt(MAX_COMMIT_ATTEMPTS),
        wait=wait_exponential(multiplier=0.4, max=5.0) + wait_random(0, 0.4),
        before_sleep=lambda state: log.info(
            "commit conflict on %s (attempt %d): merging again", spec.name, state.attempt_number
        ),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                table, version_before, files_before, metrics = _commit_once(
                    storage, spec, source, predicate, update_if, run_id
                )
        # The snapshot in hand now includes the commit: what it added is known without reading the
        # log again, so the quality checks read this window's files and never replay the table.
        files_after = set(table.file_uris())
        files_added = _relative_paths(storage, spec.name, files_after - files_before)
        files_removed = _relative_paths(storage, spec.name, files_before - files_after)
        delta_schema = table.schema().to_json()
        partition_by = tuple(table.metadata().partition_columns)
    except CommitFailedError as exc:
        raise StorageError(
            f"could not commit to table {spec.name!r} in {storage.uri} after {MAX_COMMIT_ATTEMPTS} attempts "
            f"({one_line(exc)}); another loader keeps committing — rerun later"
        ) from None
    except (DeltaError, OSError) as exc:
        raise storage_error(storage, f"merge into table {spec.name!r}", exc) from None
    return MergeResult(
        version=table.version(),
        inserted=int(metrics.get("num_target_rows_inserted", 0)),
        updated=int(metrics.get("num_target_rows_updated", 0)),
        attempts=attempt.retry_state.attempt_number,
        files_scanned=int(metrics.get("num_target_files_scanned", 0)),
        files_skipped=int(metrics.get("num_target_files_skipped_during_scan", 0)),
        merge_ms=int(metrics.get("execution_time_ms", 0)),
        version_before=version_before,
        files_added=files_added,
        files_removed=files_removed,
        delta_schema=delta_schema,
        partition_by=partition_by,
    )


def _relative_paths(storage: LakeStorage, name: str, uris: set[str]) -> tuple[str, ...]:
    """deltalake's file URIs as paths under the table's folder (a record that survives a lake move)."""
    root = storage.fs_path(table_key(name)).rstrip("/") + "/"
    paths = (storage.fs_path_of_uri(uri) for uri in uris)
    return tuple(sorted(path[len(root) :] if path.startswith(root) else path for path in paths))


def table_file_path(storage: LakeStorage, name: str, relative: str) -> str:
    """A path from `MergeResult.files_added` as a path on the lake's filesystem.

    (A local table reached through a symlink reports resolved absolute paths: those stay as they are.)
    """
    if relative.startswith("/"):
        return relative
    return f"{storage.fs_path(table_key(name)).rstrip('/')}/{relative}"


def _commit_once(
    storage: LakeStorage,
    spec: TableSpec,
    source: Callable[[], pa.RecordBatchReader],
    predicate: str,
    update_if: str | None,
    run_id: str,
) -> tuple[DeltaTable, int, set[str], dict[str, Any]]:
    """One attempt: the table after the commit, its version and files before, the commit's metrics."""
    table = open_table(storage, spec.name)
    created = _write_new_table(storage, spec, source, run_id) if table is None else None
    if created is not None:
        new_table, rows = created
        return new_table, -1, set(), {"num_target_rows_inserted": rows}
    table = _current_table(storage, spec, table)
    version_before, files_before = table.version(), set(table.file_uris())
    metrics = _merge_once(table, spec, source(), predicate, update_if, run_id)
    return table, version_before, files_before, metrics


def _current_table(storage: LakeStorage, spec: TableSpec, table: DeltaTable | None) -> DeltaTable:
    """The opened table migrated to the spec, or the table created empty (see `ensure_table`)."""
    if table is None:
        return ensure_table(storage, spec)
    from twitter_pipeline.load.migrate import evolve_table

    return evolve_table(storage, spec, table)


def _write_new_table(
    storage: LakeStorage, spec: TableSpec, source: Callable[[], pa.RecordBatchReader], run_id: str
) -> tuple[DeltaTable, int] | None:
    """Create the table with the source's rows as its first commit; None when it exists by now.

    A MERGE into an empty table costs about twice a plain write (50,000 posts: 0.35 s vs 0.2 s),
    and a fresh lake's first load pays that for every table. The write must commit version 0 or
    nothing: ``mode="error"`` checks only at the start, and delta-rs would rebase a losing append
    onto the winner's table (measured: duplicate rows under concurrent loaders), so commit retries
    are off. The loser gets None and merges.
    """
    started = time.monotonic()
    reader = source()
    rows = 0

    def counted() -> Iterator[pa.RecordBatch]:
        nonlocal rows
        for batch in reader:
            rows += batch.num_rows
            yield batch

    commit = CommitProperties(custom_metadata={"twitter_pipeline.run_id": run_id}, max_commit_retries=0)
    try:
        write_deltalake(
            table_uri(storage, spec.name),
            pa.RecordBatchReader.from_batches(reader.schema, counted()),
            mode="error",
            partition_by=list(spec.partition_by) or None,
            name=spec.name,
            description=spec.description or None,
            storage_options=storage.delta_storage_options(),
            commit_properties=commit,
            writer_properties=writer_properties(spec),
        )
    except (DeltaError, OSError) as exc:
        exists = "exists" in str(exc).lower() or isinstance(exc, CommitFailedError)
        if exists or open_table(storage, spec.name) is not None:
            return None  # another loader created it first
        raise storage_error(storage, f"create table {spec.name!r}", exc) from None
    table = open_table(storage, spec.name)
    if table is None:
        raise StorageError(f"cannot create table {spec.name!r} in {storage.uri}: rerun the load")
    log.debug("created %s with %d rows in %.3f s", spec.name, rows, time.monotonic() - started)
    return table, rows


def _merge_once(
    table: DeltaTable,
    spec: TableSpec,
    source: pa.RecordBatchReader,
    predicate: str,
    update_if: str | None,
    run_id: str,
) -> dict[str, Any]:
    """One MERGE attempt in one commit; returns delta-rs's metrics."""
    commit = CommitProperties(custom_metadata={"twitter_pipeline.run_id": run_id}, max_commit_retries=20)
    merger = table.merge(
        source,
        predicate=predicate,
        source_alias="s",
        target_alias="t",
        commit_properties=commit,
        writer_properties=writer_properties(spec),
        streamed_exec=False,  # the source is one bounded chunk: lets delta-rs prune files
    )
    columns = spec.schema.names
    if spec.keep_on_update:  # a partial update: the kept columns stay as first written
        updates = {c: f"s.`{c}`" for c in columns if c not in spec.keep_on_update}
        merger = merger.when_matched_update(updates, predicate=update_if)
    else:
        merger = merger.when_matched_update_all(predicate=update_if)
    return dict(merger.when_not_matched_insert_all().execute())
