"""Each kind of run records exactly its set of quality checks; real-shaped archives pass with warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.cli.conftest import clean_env
from tests.fixtures.api_pages import make_pages
from twitter_pipeline.load import read_run_record, read_table
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration

ARCHIVE = Path(make_pages.__file__).with_name("archive.jsonl")
PER_TABLE = ("schema_contract", "non_null_keys", "unique_keys")
WINDOW_FACTS = {
    ("authors_in_users", "tweets"),
    ("referenced_posts_present", "tweet_references"),
    ("raw_vs_table_counts", "tweets"),
}


def _recorded(lake: Path) -> tuple[list[dict], dict]:
    storage = LakeStorage(str(lake))
    rows = read_table(storage, "quality").to_pylist()
    (run_id,) = {r["run_id"] for r in rows}
    record = read_run_record(storage, run_id)
    assert record is not None
    return rows, record


def _expected(record: dict, *extra: tuple[str, str]) -> set[tuple[str, str]]:
    per_table = {(check, table) for table in record["tables"] for check in PER_TABLE}
    return per_table | WINDOW_FACTS | set(extra)


def test_a_real_shaped_archive_imports_with_exit_0_and_its_anomalies_as_warnings(cli, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    done = cli("import", str(ARCHIVE), "--lake", str(lake), env=clean_env())
    assert done.returncode == 0, done.stderr
    assert "2 warnings (authors_in_users on tweets; referenced_posts_present on tweet_references)" in (
        " ".join(done.stdout.split())
    )

    rows, record = _recorded(lake)
    assert {(r["check_name"], r["table"]) for r in rows} == _expected(record)
    failed = {r["check_name"]: r for r in rows if not r["passed"]}
    assert set(failed) == {"authors_in_users", "referenced_posts_present"}
    assert all(r["severity"] == "warning" for r in failed.values())
    authors = failed["authors_in_users"]
    assert authors["observed"] == len(make_pages.EXPECTED["missing_authors"])
    assert "1 with an errors entry, 1 without" in authors["detail"]
    assert make_pages.U_SUSPENDED in authors["detail"] and make_pages.U_GONE in authors["detail"]
    referenced = failed["referenced_posts_present"]
    assert referenced["observed"] == len(make_pages.EXPECTED["missing_referenced"])
    assert "1 with an errors entry, 1 without" in referenced["detail"]

    posts_in_archive = sum(
        len(orjson.loads(line).get("data") or []) for line in ARCHIVE.read_bytes().splitlines()
    )
    assert len(read_table(LakeStorage(str(lake)), "tweets", columns=["id"])) == posts_in_archive


def test_a_closed_window_run_records_the_window_check_too(cli, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    start = end - timedelta(minutes=20)
    done = cli(
        "run", "--lake", str(lake), "--start", start.isoformat(), "--end", end.isoformat(), env=clean_env()
    )
    assert done.returncode == 0, done.stderr

    rows, record = _recorded(lake)
    assert {(r["check_name"], r["table"]) for r in rows} == _expected(
        record, ("created_at_in_window", "tweets")
    )
    window = next(r for r in rows if r["check_name"] == "created_at_in_window")
    assert window["passed"] and start.isoformat() in window["detail"]


def test_a_polling_run_has_no_window_to_check(cli, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    done = cli("run", "--lake", str(lake), "--max-pages", "2", env=clean_env())
    assert done.returncode == 0, done.stderr

    rows, record = _recorded(lake)
    assert {(r["check_name"], r["table"]) for r in rows} == _expected(record)


def test_a_run_counts_each_tables_keys_as_the_table_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from twitter_pipeline.engine.run import run_unit
    from twitter_pipeline.engine.units import ImportUnit
    from twitter_pipeline.quality import checks

    threads: dict[str, str] = {}
    real_count = checks._key_counts

    def counting(rows, name, key):
        threads[name] = threading.current_thread().name
        return real_count(rows, name, key)

    monkeypatch.setattr(checks, "_key_counts", counting)
    storage = LakeStorage(str(tmp_path / "lake"))
    outcome = run_unit(storage, ImportUnit(storage, [ARCHIVE]))
    assert outcome.loaded is not None and outcome.quality["errors"] == 0
    assert set(threads) == set(outcome.loaded.tables)  # every loaded table counted once…
    assert all(name.startswith("check-early") for name in threads.values())  # …while the load ran
