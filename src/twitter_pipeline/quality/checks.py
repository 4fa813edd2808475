"""Data-quality checks run after each window load; results become rows of the ``quality`` table.

Each check yields `CheckResult`s with a severity: ``error`` means the lake breaks its contract
(wrong schema, null or duplicate keys, posts lost) and the caller should exit non-zero
(`QualityReport.raise_for_errors`); ``warning`` flags something to look at (for example posts
created outside the requested window: flagged, never dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from twitter_pipeline.errors import QualityError
from twitter_pipeline.load.read import read_table, table_schema
from twitter_pipeline.load.window import LoadSummary
from twitter_pipeline.quality.schema_contract import schema_differences
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TableSpec

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class CheckResult:
    """One check on one table: a row of the ``quality`` table."""

    run_id: str
    check: str
    table: str
    severity: str
    passed: bool
    observed: int | None
    expected: int | None
    detail: str
    checked_at: datetime

    def line(self) -> str:
        state = "ok" if self.passed else self.severity.upper()
        return f"{state:7} {self.check:22} {self.table:16} {self.detail}"


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
        return {
            "checks": checks,
            "errors": errors,
            "warnings": warnings,
            "headline": f"{checks} checks, {errors} errors, {warnings} warnings",
        }

    def raise_for_errors(self) -> None:
        """Raise `QualityError` (one line, naming each failed error check) if any error check failed."""
        if self.errors:
            names = "; ".join(f"{r.check} on {r.table}: {r.detail}" for r in self.errors[:5])
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
) -> QualityReport:
    """Check the lake's tables after a load (read-only; see `record_report` to store the results).

    `raw_posts` is the number of posts in the window's raw pages (``data`` items); compared with
    the tweets rows the load received. `summary` (from `load_window`) supplies those per-window
    facts, plus null keys dropped at load and rows created outside the requested window.
    """
    if specs is None:
        from twitter_pipeline.transform.schema import TABLES

        specs = TABLES
    checker = _Checker(run_id)
    present: dict[str, pa.Table] = {}
    for name, spec in specs.items():
        actual = table_schema(storage, name)
        if actual is None:
            continue
        diffs = schema_differences(actual, spec.schema)
        checker.add(
            "schema_contract",
            name,
            not diffs,
            "matches the TableSpec" if not diffs else "; ".join(diffs[:3]),
            observed=len(diffs),
            expected=0,
        )
        present[name] = read_table(storage, name, columns=list(spec.keys))
        _check_keys(checker, name, spec, present[name])

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

    if "tweets" in specs and "users" in specs and "tweets" in present:
        _check_authors(checker, storage)

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


def _check_keys(checker: _Checker, name: str, spec: TableSpec, keys: pa.Table) -> None:
    nulls = 0
    for key in spec.keys:
        nulls += keys[key].null_count
    checker.add(
        "non_null_keys", name, nulls == 0, f"{nulls} null key values in {keys.num_rows} rows", nulls, 0
    )
    distinct = keys.group_by(list(spec.keys)).aggregate([]).num_rows if keys.num_rows else 0
    duplicates = keys.num_rows - distinct
    checker.add(
        "unique_keys",
        name,
        duplicates == 0,
        f"{duplicates} duplicate keys ({', '.join(spec.keys)}) in {keys.num_rows} rows",
        duplicates,
        0,
    )


def _check_authors(checker: _Checker, storage: LakeStorage) -> None:
    """Every post's author is in users, unless the API reported that user as an error.

    Reads `tweets` first, `users` and `api_errors` after: loads commit those before `tweets`
    (`load.window.merge_order`), so a load running elsewhere at the same time never shows up here as
    a post whose author is missing.
    """
    authors = read_table(storage, "tweets", columns=["author_id"])["author_id"]
    authors = pc.unique(authors.drop_null())
    known = (
        pc.unique(read_table(storage, "users", columns=["id"])["id"])
        if table_schema(storage, "users")
        else None
    )
    missing = authors if known is None else authors.filter(pc.invert(pc.is_in(authors, value_set=known)))
    explained = 0
    if len(missing) and table_schema(storage, "api_errors") is not None:
        errors = read_table(storage, "api_errors", columns=["resource_type", "resource_id"])
        reported = errors.filter(pc.equal(errors["resource_type"], "user"))["resource_id"].drop_null()
        if len(reported):
            in_errors = pc.is_in(missing, value_set=pc.unique(reported))
            explained = int(pc.sum(in_errors).as_py() or 0)
            missing = missing.filter(pc.invert(in_errors))
    sample = ", ".join(missing.slice(0, 3).to_pylist())
    checker.add(
        "authors_in_users",
        "tweets",
        len(missing) == 0,
        f"{len(missing)} author ids missing from users"
        + (f" (e.g. {sample})" if sample else "")
        + (f"; {explained} reported by the API as errors" if explained else ""),
        observed=len(missing),
        expected=0,
    )
