"""Data-quality checks run after each window load; results become rows of the ``quality`` table.

Each check yields `CheckResult`s with a severity: ``error`` means the lake breaks its contract
(wrong schema, null or duplicate keys, posts lost between the raw pages and the tables) and the
caller should exit non-zero (`QualityReport.raise_for_errors`); ``warning`` flags what real data
legitimately contains: posts created outside the requested window (kept), authors or referenced
posts the API left out of ``includes`` (withheld, suspended, deleted or protected, with or without
an ``errors`` entry).

Checks read only the rows the window's load wrote (the files its MERGE commits added, see
`load.read.written_rows`) plus table metadata, so their cost is set by the window, never by
the size of the lake.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from twitter_pipeline.errors import QualityError
from twitter_pipeline.load.read import (
    committed_schema,
    loaded_files,
    read_columns,
    read_table,
    table_schema,
    written_rows,
)
from twitter_pipeline.load.window import LoadSummary, TableLoad
from twitter_pipeline.quality.schema_contract import schema_differences
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TableSpec

ERROR, WARNING = "error", "warning"
# Tables whose keys are read and counted at once: Parquet reads and group-bys run outside the GIL,
# so a window's 14 small tables take about half the time on two cores.
CHECK_THREADS = 4


@dataclass(frozen=True)
class CheckResult:
    """One check on one table: a row of the ``quality`` table."""

    run_id: str
    check_name: str
    table: str
    severity: str
    passed: bool
    observed: int | None
    expected: int | None
    detail: str
    checked_at: datetime

    def line(self) -> str:
        state = "ok" if self.passed else self.severity.upper()
        return f"{state:7} {self.check_name:28} {self.table:16} {self.detail}"


@dataclass
class QualityReport:
    """All results of one run's checks, with the verdict the CLI needs."""

    run_id: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    @property
    def errors(self) -> list[CheckResult]:
        return [r for r in self.failed if r.severity == ERROR]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.failed if r.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "checks": len(self.results),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "results": [{**asdict(r), "checked_at": r.checked_at.isoformat()} for r in self.results],
        }

    def counts(self) -> dict[str, Any]:
        """The small JSON-safe verdict a run summary carries (and Airflow's XCom passes on)."""
        checks, errors, warnings = len(self.results), len(self.errors), len(self.warnings)
        warned = [f"{r.check_name} on {r.table}" for r in self.warnings]
        headline = f"{checks} checks, {errors} errors, {warnings} warnings"
        return {
            "checks": checks,
            "errors": errors,
            "warnings": warnings,
            "warned": warned,
            "headline": headline + (f" ({'; '.join(warned)})" if warned else ""),
        }

    def raise_for_errors(self) -> None:
        """Raise `QualityError` (one line, naming each failed error check) if any error check failed."""
        if self.errors:
            names = "; ".join(f"{r.check_name} on {r.table}: {r.detail}" for r in self.errors[:5])
            more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
            raise QualityError(
                f"{len(self.errors)} data-quality check(s) failed for run {self.run_id}: {names}{more}; "
                "see the quality table for details"
            )


class _Checker:
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.now = datetime.now(UTC)
        self.results: list[CheckResult] = []

    def add(
        self,
        check: str,
        table: str,
        passed: bool,
        detail: str,
        observed: int | None = None,
        expected: int | None = None,
        severity: str = ERROR,
    ) -> None:
        self.results.append(
            CheckResult(self.run_id, check, table, severity, passed, observed, expected, detail, self.now)
        )


def run_checks(
    storage: LakeStorage,
    run_id: str,
    summary: LoadSummary | None = None,
    *,
    raw_posts: int | None = None,
    specs: Mapping[str, TableSpec] | None = None,
    counted: KeyCounting | None = None,
) -> QualityReport:
    """Check a loaded window (read-only; see `record_report` to store the results).

    With `summary` (from `load_window`) every check reads only the rows that window's load wrote.
    Without it, the whole of each table is read (an audit of the lake, cost growing with it).
    `raw_posts` is the number of posts in the window's raw pages (``data`` items), compared with
    the tweets rows the load received. `counted`: keys already counted while the load ran.
    """
    if specs is None:
        from twitter_pipeline.transform.schema import TABLES

        specs = TABLES
    checker = _Checker(run_id)
    rows = _WindowRows(storage, summary)
    names = [n for n in specs if summary is None or n in summary.tables]
    schemas = {name: schema for name in names if (schema := rows.schema(name)) is not None}
    with ThreadPoolExecutor(max_workers=CHECK_THREADS, thread_name_prefix="check") as pool:
        counting = {
            name: _counted(counted, summary, name) or pool.submit(_key_counts, rows, name, specs[name].keys)
            for name in schemas
        }
        key_counts = {name: future.result() for name, future in counting.items()}
    for name, actual in schemas.items():
        spec = specs[name]
        diffs = schema_differences(actual, spec.schema)
        checker.add(
            "schema_contract",
            name,
            not diffs,
            "matches the TableSpec" if not diffs else "; ".join(diffs[:3]),
            observed=len(diffs),
            expected=0,
        )
        counts = key_counts[name]
        if counts is not None:
            _check_keys(checker, name, spec, counts)

    if summary is not None:
        for name, load in summary.tables.items():
            if load.null_key_rows:
                checker.add(
                    "null_keys_at_load",
                    name,
                    False,
                    f"{load.null_key_rows} staged rows had an incomplete key and were not loaded",
                    observed=load.null_key_rows,
                    expected=0,
                )
        tweets = summary.tables.get("tweets")
        if tweets is not None and ("window_start" in summary.metadata or "window_end" in summary.metadata):
            window = (
                f"[{summary.metadata.get('window_start', '…')}, {summary.metadata.get('window_end', '…')})"
            )
            checker.add(
                "created_at_in_window",
                "tweets",
                tweets.outside_window == 0,
                f"{tweets.outside_window} of {tweets.source_rows} posts created outside {window} (kept)",
                observed=tweets.outside_window,
                expected=0,
                severity=WARNING,
            )

    if "tweets" in specs and "users" in specs and "tweets" in names:
        _check_authors(checker, rows)
    if {"tweets", "tweet_references"} <= set(specs) and "tweets" in names:
        _check_references(checker, rows)

    if raw_posts is not None:
        # Rows the transform produced for tweets (before the window's dedup) must equal the posts in
        # the raw pages' `data`; the distinct count can be lower when pages overlap.
        tweets = summary.tables.get("tweets") if summary is not None else None
        produced = tweets.staged_rows if tweets is not None else 0
        distinct = tweets.source_rows if tweets is not None else 0
        lost = produced < raw_posts
        checker.add(
            "raw_vs_table_counts",
            "tweets",
            produced == raw_posts,
            f"{raw_posts} posts in the raw pages, {produced} transformed, {distinct} distinct loaded"
            + (" — posts were lost between raw and tables" if lost else ""),
            observed=produced,
            expected=raw_posts,
            severity=ERROR if lost else WARNING,
        )
    return QualityReport(run_id=run_id, results=checker.results)


class KeyCounting:
    """Each table's keys counted on worker threads as soon as the window's load commits the table.

    A load commits its tables tier by tier (`load.window.merge_tiers`), and a table's files are
    final once its `TableLoad` is reported: counting them while the next tier merges uses the
    cores the MERGEs leave idle (measured: ~30 ms of a 50,000-post import's checks move there).
    Pass `table_loaded` as the load's `on_table_loaded`, then this to `run_checks`; a table not
    counted here is counted there. A context manager: leaving it stops the workers.
    """

    def __init__(self, storage: LakeStorage, specs: Mapping[str, TableSpec]) -> None:
        self._storage, self._specs = storage, specs
        self._pool = ThreadPoolExecutor(max_workers=CHECK_THREADS, thread_name_prefix="check-early")
        self._counting: dict[str, tuple[TableLoad, Future[_KeyCounts | None]]] = {}

    def table_loaded(self, load: TableLoad) -> None:
        spec = self._specs.get(load.table)
        if spec is not None:
            rows = _WindowRows(self._storage, LoadSummary(run_id="", tables={load.table: load}))
            self._counting[load.table] = (load, self._pool.submit(_key_counts, rows, load.table, spec.keys))

    def of(self, load: TableLoad) -> Future[_KeyCounts | None] | None:
        """The counting of exactly this load of the table (None: not counted early)."""
        counted = self._counting.get(load.table)
        return counted[1] if counted is not None and counted[0] is load else None

    def __enter__(self) -> KeyCounting:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _counted(
    counted: KeyCounting | None, summary: LoadSummary | None, name: str
) -> Future[_KeyCounts | None] | None:
    load = summary.tables.get(name) if summary is not None else None
    return counted.of(load) if counted is not None and load is not None else None


class _WindowRows:
    """Columns of the rows a window's load wrote (every row of the table when there is no summary)."""

    def __init__(self, storage: LakeStorage, summary: LoadSummary | None) -> None:
        self.storage, self.summary = storage, summary
        self._datasets: dict[str, ds.Dataset | None] = {}  # the Delta log is read once per table

    def read(self, name: str, columns: list[str]) -> pa.Table | None:
        if self.summary is None:
            if table_schema(self.storage, name) is None:
                return None
            return read_table(self.storage, name, columns=columns)
        load = self.summary.tables.get(name)
        if load is None:
            return None
        if name not in self._datasets:
            self._datasets[name] = self._written(load)
        return read_columns(self.storage, name, self._datasets[name], columns)

    def schema(self, name: str) -> pa.Schema | None:
        """The table's schema as the window's load committed it (as stored now, for an audit)."""
        load = self.summary.tables.get(name) if self.summary is not None else None
        if load is not None and load.delta_schema:
            return committed_schema(load.delta_schema)
        return table_schema(self.storage, name)

    def _written(self, load: TableLoad) -> ds.Dataset | None:
        if load.files_added is not None and load.delta_schema:
            files, partition_by = load.files_added, load.partition_by or []
            return loaded_files(self.storage, load.table, files, load.delta_schema, partition_by)
        if load.files_added is not None:  # the load committed nothing to this table
            return None
        # a completion record from before loads kept their files: find them in the Delta log
        return written_rows(self.storage, load.table, load.version_before, load.version)

    def values(self, name: str, column: str) -> pa.Array:
        """Distinct non-null values of one column (empty when the window wrote no such table)."""
        table = self.read(name, [column])
        if table is None or column not in table.column_names:
            return pa.array([], pa.string())
        return pc.unique(table[column].combine_chunks().drop_null()).cast(pa.string())

    def reported(self, resource_type: str) -> pa.Array:
        """Ids the API reported in ``errors`` as objects of `resource_type` it could not return."""
        errors = self.read("api_errors", ["resource_type", "resource_id"])
        if errors is None or "resource_id" not in errors.column_names:
            return pa.array([], pa.string())
        ids = errors.filter(pc.equal(errors["resource_type"], resource_type))["resource_id"]
        return pc.unique(ids.combine_chunks().drop_null()).cast(pa.string())


@dataclass(frozen=True)
class _KeyCounts:
    rows: int
    nulls: int  # null values over the key's columns
    distinct: int  # distinct key tuples


def _key_counts(rows: _WindowRows, name: str, key: tuple[str, ...]) -> _KeyCounts | None:
    """Counted on a worker thread: the table's key columns as the window wrote them."""
    keys = rows.read(name, list(key))
    if keys is None:
        return None
    nulls = sum(keys[column].null_count for column in key)
    distinct = keys.group_by(list(key)).aggregate([]).num_rows if keys.num_rows else 0
    return _KeyCounts(keys.num_rows, nulls, distinct)


def _check_keys(checker: _Checker, name: str, spec: TableSpec, counts: _KeyCounts) -> None:
    nulls = counts.nulls
    checker.add("non_null_keys", name, nulls == 0, f"{nulls} null key values in {counts.rows} rows", nulls, 0)
    duplicates = counts.rows - counts.distinct
    checker.add(
        "unique_keys",
        name,
        duplicates == 0,
        f"{duplicates} duplicate keys ({', '.join(spec.keys)}) in {counts.rows} rows",
        duplicates,
        0,
    )


def _absent(wanted: pa.Array, present: pa.Array) -> pa.Array:
    if not len(wanted) or not len(present):
        return wanted
    return wanted.filter(pc.invert(pc.is_in(wanted, value_set=present)))


def _add_absent(
    checker: _Checker,
    check: str,
    table: str,
    what: str,
    wanted: pa.Array,
    missing: pa.Array,
    reported: pa.Array,
) -> None:
    """A warning: the API leaves out of ``includes`` what it will not show (PITFALLS #14)."""
    in_errors = int(pc.sum(pc.is_in(missing, value_set=reported)).as_py() or 0) if len(reported) else 0
    sample = ", ".join(sorted(missing.to_pylist())[:5])
    checker.add(
        check,
        table,
        len(missing) == 0,
        f"{len(missing)} of {len(wanted)} {what}"
        + (
            f" ({in_errors} with an errors entry, {len(missing) - in_errors} without: withheld, suspended, "
            f"deleted or protected; kept); e.g. {sample}"
            if len(missing)
            else ""
        ),
        observed=len(missing),
        expected=0,
        severity=WARNING,
    )


def _check_authors(checker: _Checker, rows: _WindowRows) -> None:
    """Every result's author should be in the window's users; the API omits some, so this warns."""
    authors = rows.values("tweets", "author_id")
    missing = _absent(authors, rows.values("users", "id"))
    _add_absent(
        checker,
        "authors_in_users",
        "tweets",
        "authors absent from includes.users",
        authors,
        missing,
        rows.reported("user") if len(missing) else pa.array([], pa.string()),
    )


def _check_references(checker: _Checker, rows: _WindowRows) -> None:
    """Posts the results quote, reply to or repost should be in the window's posts; warns when not."""
    edges = rows.read("tweet_references", ["tweet_id", "referenced_tweet_id"])
    results = rows.values("tweets", "id")
    if edges is None or not edges.num_rows:
        referenced = pa.array([], pa.string())
    else:  # only results' references: the API expands one level, not the included posts' own
        from_results = pc.is_in(edges["tweet_id"], value_set=results) if len(results) else None
        chosen = (
            edges["referenced_tweet_id"]
            if from_results is None
            else edges.filter(from_results)["referenced_tweet_id"]
        )
        referenced = pc.unique(chosen.combine_chunks().drop_null()).cast(pa.string())
    known = pa.concat_arrays([results, rows.values("included_tweets", "id")])
    missing = _absent(referenced, pc.unique(known))
    _add_absent(
        checker,
        "referenced_posts_present",
        "tweet_references",
        "referenced posts absent from includes",
        referenced,
        missing,
        rows.reported("tweet") if len(missing) else pa.array([], pa.string()),
    )
