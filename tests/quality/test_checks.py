"""Quality checks on real Delta tables (local lake): clean loads pass, planted problems are caught."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from tests.load.helpers import SPECS, api_error_batch, batch
from twitter_pipeline.errors import QualityError
from twitter_pipeline.load import load_window, read_table
from twitter_pipeline.load.delta_tables import table_uri
from twitter_pipeline.quality import check_window, run_checks
from twitter_pipeline.storage import LakeStorage

UTC = dt.UTC
MARCH = (dt.datetime(2024, 3, 1, tzinfo=UTC), dt.datetime(2024, 3, 4, tzinfo=UTC))


@pytest.fixture
def lake(tmp_path: Path) -> LakeStorage:
    return LakeStorage(str(tmp_path / "lake"))


def _failed(report) -> set[tuple[str, str]]:
    return {(r.check, r.table) for r in report.failed}


def test_a_clean_window_passes_every_check_and_is_stored(lake: LakeStorage) -> None:
    summary = load_window(
        lake, "run-1", [batch([1, 2, 3])], specs=SPECS, window_start=MARCH[0], window_end=MARCH[1]
    )
    report = check_window(lake, summary, raw_posts=3, specs=SPECS)

    assert report.ok and not report.failed, [r.line() for r in report.failed]
    checks = {r.check for r in report.results}
    assert {"schema_contract", "non_null_keys", "unique_keys", "authors_in_users"} <= checks
    assert {"created_at_in_window", "raw_vs_table_counts"} <= checks
    stored = read_table(lake, "quality")
    assert stored.num_rows == len(report.results)
    assert set(stored.column_names) == {
        "run_id",
        "check",
        "table",
        "severity",
        "passed",
        "observed",
        "expected",
        "detail",
        "checked_at",
    }
    check_window(lake, summary, raw_posts=3, specs=SPECS)  # re-checking replaces, never doubles
    assert read_table(lake, "quality").num_rows == len(report.results)


def test_posts_outside_the_window_are_flagged_not_dropped(lake: LakeStorage) -> None:
    start, end = MARCH[0], MARCH[0] + dt.timedelta(days=1)  # ids 1, 2 fall on March 2 and 3
    summary = load_window(lake, "run-1", [batch([0, 1, 2])], specs=SPECS, window_start=start, window_end=end)
    report = run_checks(lake, "run-1", summary, specs=SPECS)

    flagged = [r for r in report.failed if r.check == "created_at_in_window"]
    assert flagged and flagged[0].severity == "warning" and flagged[0].observed == 2
    assert report.ok  # a warning does not fail the run
    assert read_table(lake, "tweets").num_rows == 3


def test_missing_author_is_an_error_unless_the_api_reported_it(lake: LakeStorage) -> None:
    summary = load_window(lake, "run-1", [batch([1, 2])], specs=SPECS)
    # plant a post whose author never made it into users
    orphan = batch([7], author="ghost")["tweets"]
    write_deltalake(table_uri(lake, "tweets"), orphan, mode="append")
    report = run_checks(lake, "run-1", summary, specs=SPECS)
    assert ("authors_in_users", "tweets") in _failed(report)
    with pytest.raises(QualityError, match="authors_in_users"):
        report.raise_for_errors()

    load_window(lake, "run-2", [api_error_batch("ghost")], specs=SPECS)
    assert ("authors_in_users", "tweets") not in _failed(run_checks(lake, "run-2", specs=SPECS))


def test_duplicate_and_null_keys_and_schema_drift_are_caught(lake: LakeStorage) -> None:
    load_window(lake, "run-1", [batch([1, 2])], specs=SPECS)
    uri = table_uri(lake, "tweets")
    write_deltalake(uri, batch([2])["tweets"], mode="append")  # a duplicate key, planted behind MERGE
    users = read_table(lake, "users")
    extra = users.append_column("shoe_size", pa.array([42], pa.int64()))
    write_deltalake(table_uri(lake, "users"), extra, mode="append", schema_mode="merge")

    report = run_checks(lake, "run-1", specs=SPECS)
    failed = _failed(report)
    assert ("unique_keys", "tweets") in failed
    assert ("schema_contract", "users") in failed
    drift = next(r for r in report.failed if r.check == "schema_contract")
    assert "shoe_size" in drift.detail


def test_null_keys_dropped_at_load_and_lost_posts_are_errors(lake: LakeStorage) -> None:
    bad = batch([1, 2])
    bad["tweets"] = bad["tweets"].set_column(0, "id", pa.array(["1", None]))
    summary = load_window(lake, "run-1", [bad], specs=SPECS)
    report = run_checks(lake, "run-1", summary, raw_posts=3, specs=SPECS)  # the raw pages held 3

    failed = _failed(report)
    assert ("null_keys_at_load", "tweets") in failed
    assert ("raw_vs_table_counts", "tweets") in failed
    with pytest.raises(QualityError) as caught:
        report.raise_for_errors()
    assert "\n" not in str(caught.value)


@pytest.mark.integration
def test_checks_on_s3_catch_a_planted_duplicate(s3, s3_lake_uri: str) -> None:
    lake = LakeStorage(s3_lake_uri)
    summary = load_window(lake, "run-1", [batch([1, 2, 3])], specs=SPECS)
    assert check_window(lake, summary, raw_posts=3, specs=SPECS).ok
    write_deltalake(
        table_uri(lake, "tweets"),
        batch([3])["tweets"],
        mode="append",
        storage_options=lake.delta_storage_options(),
    )
    report = check_window(lake, summary, raw_posts=3, specs=SPECS)
    assert ("unique_keys", "tweets") in _failed(report)
    stored = read_table(lake, "quality").to_pydict()
    failed_rows = [c for c, p in zip(stored["check"], stored["passed"], strict=True) if not p]
    assert failed_rows == ["unique_keys"]


def test_a_load_half_done_elsewhere_never_shows_a_post_without_its_author(lake: LakeStorage) -> None:
    """Two workers: run-1's quality checks run while run-2 (new author) is between two table commits."""
    from twitter_pipeline.transform.schema import TABLES

    first = load_window(lake, "run-1", [batch([1, 2])], specs=TABLES)
    seen: list[str] = []

    def check_run_1_now(load) -> None:
        seen.append(load.table)
        report = run_checks(lake, "run-1", first, specs=TABLES)
        assert ("authors_in_users", "tweets") not in _failed(report), f"after {seen}"

    load_window(
        lake, "run-2", [batch([3, 4], author="newcomer")], specs=TABLES, on_table_loaded=check_run_1_now
    )
    assert seen.index("users") < seen.index("tweets")
