"""Quality checks on real Delta tables (local lake): clean loads pass, planted problems are caught."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import write_deltalake

from tests.load.helpers import SPECS, api_error_batch, batch
from twitter_pipeline.errors import QualityError
from twitter_pipeline.load import load_window, read_table
from twitter_pipeline.load.delta_tables import table_uri
from twitter_pipeline.quality import QUALITY_SPEC, check_window, record_report, run_checks
from twitter_pipeline.storage import LakeStorage

UTC = dt.UTC
MARCH = (dt.datetime(2024, 3, 1, tzinfo=UTC), dt.datetime(2024, 3, 4, tzinfo=UTC))


@pytest.fixture
def lake(tmp_path: Path) -> LakeStorage:
    return LakeStorage(str(tmp_path / "lake"))


def _failed(report) -> set[tuple[str, str]]:
    return {(r.check_name, r.table) for r in report.failed}


def test_a_clean_window_passes_every_check_and_is_stored(lake: LakeStorage) -> None:
    summary = load_window(
        lake, "run-1", [batch([1, 2, 3])], specs=SPECS, window_start=MARCH[0], window_end=MARCH[1]
    )
    report = check_window(lake, summary, raw_posts=3, specs=SPECS)

    assert report.ok and not report.failed, [r.line() for r in report.failed]
    checks = {r.check_name for r in report.results}
    assert {"schema_contract", "non_null_keys", "unique_keys", "authors_in_users"} <= checks
    assert {"created_at_in_window", "raw_vs_table_counts"} <= checks
    stored = read_table(lake, "quality")
    assert stored.num_rows == len(report.results)
    assert set(stored.column_names) == {
        "run_id",
        "check_name",
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

    flagged = [r for r in report.failed if r.check_name == "created_at_in_window"]
    assert flagged and flagged[0].severity == "warning" and flagged[0].observed == 2
    assert report.ok  # a warning does not fail the run
    assert read_table(lake, "tweets").num_rows == 3


def test_missing_authors_are_warnings_counted_with_and_without_an_errors_entry(lake: LakeStorage) -> None:
    """The API leaves withheld or suspended authors out of includes.users, sometimes with no errors entry."""
    ghost_posts = batch([7], author="ghost")
    gone_posts = batch([8], author="gone")
    window = {
        "tweets": pa.concat_tables([batch([1, 2])["tweets"], ghost_posts["tweets"], gone_posts["tweets"]]),
        "users": batch([1])["users"],  # only u1: ghost and gone are absent from includes.users
        **api_error_batch("ghost"),  # ghost is reported in errors, gone is not
    }
    summary = load_window(lake, "run-1", [window], specs=SPECS)
    report = check_window(lake, summary, raw_posts=4, specs=SPECS)

    assert report.ok  # a warning never fails the run
    warned = next(r for r in report.warnings if r.check_name == "authors_in_users")
    assert warned.observed == 2
    assert "1 with an errors entry, 1 without" in warned.detail and "ghost" in warned.detail
    stored = read_table(lake, "quality").to_pylist()
    assert {(r["check_name"], r["severity"], r["passed"]) for r in stored if not r["passed"]} == {
        ("authors_in_users", "warning", False)
    }


def test_checks_read_the_window_not_the_whole_lake(lake: LakeStorage) -> None:
    """An old orphan (or duplicate) in the lake no longer fails every later window."""
    load_window(lake, "run-1", [batch([1, 2])], specs=SPECS)
    write_deltalake(table_uri(lake, "tweets"), batch([7], author="ghost")["tweets"], mode="append")
    write_deltalake(table_uri(lake, "tweets"), batch([2])["tweets"], mode="append")  # planted duplicate
    later = load_window(lake, "run-2", [batch([40, 41], hour=2)], specs=SPECS)

    report = check_window(lake, later, raw_posts=2, specs=SPECS)
    assert not report.failed, [r.line() for r in report.failed]
    keys = next(r for r in report.results if (r.check_name, r.table) == ("unique_keys", "tweets"))
    assert "in 2 rows" in keys.detail  # the window's two rows were read, not the table's six


def test_a_matched_row_kept_older_still_counts_as_the_windows_row(lake: LakeStorage) -> None:
    """Loading an old archive after a fresh fetch keeps the newer row; its author is still found."""
    load_window(lake, "run-1", [batch([1, 2], hour=5)], specs=SPECS)
    old = load_window(lake, "run-2", [batch([1, 2], hour=1)], specs=SPECS)
    report = check_window(lake, old, raw_posts=2, specs=SPECS)
    assert not report.failed, [r.line() for r in report.failed]


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
    drift = next(r for r in report.failed if r.check_name == "schema_contract")
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
    report = run_checks(lake, "audit", specs=SPECS)  # no summary: an audit of whole tables
    assert ("unique_keys", "tweets") in _failed(report)
    record_report(lake, report)
    stored = read_table(lake, "quality", filter=pc.field("run_id") == "audit").to_pydict()
    failed_rows = [c for c, p in zip(stored["check_name"], stored["passed"], strict=True) if not p]
    assert failed_rows == ["unique_keys"]


def test_a_quality_table_with_the_old_check_column_is_migrated(lake: LakeStorage) -> None:
    """Older lakes keep their history; `check` (reserved in SQL) becomes `check_name`."""
    old_schema = pa.schema(
        [("check" if f.name == "check_name" else f.name, f.type) for f in QUALITY_SPEC.schema]
    )
    old_row = {"run_id": ["old-run"], "check": ["unique_keys"], "table": ["tweets"], "severity": ["error"]}
    old = pa.table({f.name: old_row.get(f.name, [None]) for f in old_schema}, schema=old_schema)
    write_deltalake(table_uri(lake, "quality"), old)

    summary = load_window(lake, "run-1", [batch([1])], specs=SPECS)
    check_window(lake, summary, raw_posts=1, specs=SPECS)

    stored = read_table(lake, "quality")
    assert "check" not in stored.column_names
    rows = {(r["run_id"], r["check_name"]) for r in stored.to_pylist()}
    assert ("old-run", "unique_keys") in rows and ("run-1", "unique_keys") in rows


def test_checks_read_the_files_the_load_recorded_without_opening_any_table(
    lake: LakeStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window's checks cost what it wrote: its record names its files and schema; no Delta log replay."""
    load_window(lake, "run-1", [batch([1, 2])], specs=SPECS)
    later = load_window(lake, "run-2", [batch([2, 40, 41], hour=2)], specs=SPECS)  # 2 updates a row

    tweets = later.tables["tweets"]
    assert (
        tweets.files_added
        and tweets.delta_schema
        and tweets.partition_by == list(SPECS["tweets"].partition_by)
    )
    table_dir = Path(lake.fs_path("tables/tweets"))
    assert all((table_dir / f).is_file() for f in tweets.files_added)
    import twitter_pipeline.load.read as read

    def no_table_opens(*args: object, **kwargs: object) -> None:
        raise AssertionError("the checks opened a Delta table")

    monkeypatch.setattr(read, "open_table", no_table_opens)
    report = check_window(lake, later, raw_posts=3, specs=SPECS)
    assert not report.failed, [r.line() for r in report.failed]
    keys = next(r for r in report.results if (r.check_name, r.table) == ("unique_keys", "tweets"))
    assert "in 3 rows" in keys.detail


def test_a_record_without_files_is_checked_from_the_delta_log(lake: LakeStorage) -> None:
    """Completion records written before loads kept their files still check the same rows."""
    from twitter_pipeline.engine.run import summary_from_record
    from twitter_pipeline.load import read_run_record

    load_window(lake, "run-1", [batch([1, 2])], specs=SPECS)
    load_window(lake, "run-2", [batch([2, 40, 41], hour=2)], specs=SPECS)
    record = read_run_record(lake, "run-2")
    assert record is not None
    for table in record["tables"].values():
        for kept in ("files_added", "delta_schema", "partition_by"):
            table.pop(kept)
    old = summary_from_record(record)
    report = run_checks(lake, "run-2", old, raw_posts=3, specs=SPECS)
    assert not report.failed, [r.line() for r in report.failed]
    keys = next(r for r in report.results if (r.check_name, r.table) == ("unique_keys", "tweets"))
    assert "in 3 rows" in keys.detail


def _results(report) -> list[tuple[str, str, bool, int | None]]:
    return sorted((r.check_name, r.table, r.passed, r.observed) for r in report.results)


def test_keys_counted_while_the_window_loads_give_the_same_checks(
    lake: LakeStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twitter_pipeline.quality import checks

    window = [batch([1, 2, 3]), batch([3, 4], hour=2), api_error_batch("9")]
    counted_at: list[str] = []
    real_count = checks._key_counts

    def counting(rows, name, key):
        counted_at.append(name)
        return real_count(rows, name, key)

    monkeypatch.setattr(checks, "_key_counts", counting)
    with checks.KeyCounting(lake, SPECS) as early:
        summary = load_window(lake, "run-1", window, specs=SPECS, on_table_loaded=early.table_loaded)
        assert all(early.of(load) is not None for load in summary.tables.values())  # counting began
        report = run_checks(lake, "run-1", summary, raw_posts=5, specs=SPECS, counted=early)
    assert sorted(counted_at) == ["api_errors", "tweets", "users"]  # once each: the checks took them

    other = LakeStorage(str(tmp_path / "other"))
    loaded = load_window(other, "run-1", window, specs=SPECS)
    plain = run_checks(other, "run-1", loaded, raw_posts=5, specs=SPECS)
    assert _results(report) == _results(plain) and report.ok


def test_a_table_counted_for_another_load_is_counted_again(lake: LakeStorage) -> None:
    from twitter_pipeline.quality import checks

    with checks.KeyCounting(lake, SPECS) as early:
        load_window(lake, "run-1", [batch([1, 2])], specs=SPECS, on_table_loaded=early.table_loaded)
        summary = load_window(lake, "run-2", [batch([1, 2, 3])], specs=SPECS)  # not seen by `early`
        report = run_checks(lake, "run-2", summary, specs=SPECS, counted=early)
    unique = next(r for r in report.results if r.check_name == "unique_keys" and r.table == "tweets")
    assert unique.detail.endswith("in 3 rows")  # run-2's rows, not run-1's counted early
