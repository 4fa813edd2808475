"""load_window on a local lake folder: real Delta tables in a temp dir, read back through read_table."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.compute as pc
import pytest

from tests.load.helpers import SPECS, batch
from twitter_pipeline.load import load_window, read_run_record, read_table
from twitter_pipeline.load.delta_tables import open_table
from twitter_pipeline.storage import LakeStorage


@pytest.fixture
def lake(tmp_path: Path) -> LakeStorage:
    return LakeStorage(str(tmp_path / "lake"))


def _ids(storage: LakeStorage, table: str = "tweets") -> list[str]:
    return sorted(read_table(storage, table, columns=["id"])["id"].to_pylist(), key=int)


def test_load_then_read_back(lake: LakeStorage) -> None:
    summary = load_window(lake, "run-1", [batch([1, 2, 3]), batch([4, 5])], specs=SPECS)

    assert _ids(lake) == ["1", "2", "3", "4", "5"]
    assert summary.tables["tweets"].inserted == 5
    assert summary.tables["users"].source_rows == 1  # the same author in both batches, merged once
    texts = read_table(lake, "tweets", columns=["text"], filter=pc.field("id") == "4")["text"].to_pylist()
    assert texts == ["post 4"]


def test_tweets_are_partitioned_by_created_date(lake: LakeStorage) -> None:
    load_window(lake, "run-1", [batch([0, 1, 2])], specs=SPECS)

    table = open_table(lake, "tweets")
    assert table is not None
    assert list(table.metadata().partition_columns) == ["created_date"]
    dirs = {p.name for p in (Path(lake.location("tables/tweets"))).iterdir() if p.is_dir()}
    assert {"created_date=2024-03-01", "created_date=2024-03-02", "created_date=2024-03-03"} <= dirs
    dates = read_table(lake, "tweets", columns=["created_date"])["created_date"].to_pylist()
    assert sorted(dates) == ["2024-03-01", "2024-03-02", "2024-03-03"]


def test_rerun_of_a_window_adds_no_duplicates(lake: LakeStorage) -> None:
    window = [batch([1, 2, 3]), batch([3, 4])]
    load_window(lake, "run-1", window, specs=SPECS)
    again = load_window(lake, "run-1", window, specs=SPECS)

    assert _ids(lake) == ["1", "2", "3", "4"]
    assert again.tables["tweets"].inserted == 0
    assert read_table(lake, "users").num_rows == 1


def test_duplicates_across_batches_keep_the_newest_fetch(lake: LakeStorage) -> None:
    load_window(
        lake, "run-1", [batch([1, 2], hour=5, text="new"), batch([2, 3], hour=1, text="old")], specs=SPECS
    )

    rows = read_table(lake, "tweets", columns=["id", "text"]).sort_by("id").to_pydict()
    assert rows == {"id": ["1", "2", "3"], "text": ["new 1", "new 2", "old 3"]}


def test_overlapping_windows_merge_and_an_older_fetch_never_wins(lake: LakeStorage) -> None:
    load_window(lake, "run-a", [batch([1, 2, 3], hour=5, text="fresh")], specs=SPECS)
    # an overlapping import of an older archive: ids 2..4, fetched earlier
    summary = load_window(lake, "run-b", [batch([2, 3, 4], hour=1, text="stale")], specs=SPECS)

    rows = read_table(lake, "tweets", columns=["id", "text"]).sort_by("id").to_pydict()
    assert rows == {"id": ["1", "2", "3", "4"], "text": ["fresh 1", "fresh 2", "fresh 3", "stale 4"]}
    assert summary.tables["tweets"].inserted == 1
    # a later fetch of the same posts does update them
    load_window(lake, "run-c", [batch([1], hour=9, text="later")], specs=SPECS)
    assert read_table(lake, "tweets", filter=pc.field("id") == "1")["text"].to_pylist() == ["later 1"]


def test_null_keys_are_counted_and_never_loaded(lake: LakeStorage) -> None:
    bad = batch([1, 2])
    ids = bad["tweets"]["id"].to_pylist()
    ids[1] = None
    bad["tweets"] = bad["tweets"].set_column(0, "id", __import__("pyarrow").array(ids))
    summary = load_window(lake, "run-1", [bad], specs=SPECS)

    assert summary.tables["tweets"].null_key_rows == 1
    assert _ids(lake) == ["1"]


def test_large_window_is_merged_in_chunks_without_duplicates(lake: LakeStorage) -> None:
    summary = load_window(
        lake, "run-1", [batch(list(range(50))), batch(list(range(25, 80)))], specs=SPECS, chunk_rows=20
    )

    assert summary.tables["tweets"].commits == 4
    assert _ids(lake) == [str(i) for i in range(80)]


def test_completion_record_is_written_last_and_staging_is_removed(lake: LakeStorage) -> None:
    summary = load_window(lake, "run-1", [batch([1, 2])], specs=SPECS, metadata={"raw_posts": 2})

    record = read_run_record(lake, "run-1")
    assert record is not None and record["status"] == "complete"
    assert record["tables"]["tweets"]["version"] == summary.tables["tweets"].version
    assert record["metadata"] == {"raw_posts": 2}
    assert list(lake.list("staging")) == []


def test_a_failure_after_the_first_table_leaves_the_window_incomplete_and_a_rerun_finishes(
    lake: LakeStorage,
) -> None:
    def crash_after_first(load) -> None:
        raise RuntimeError(f"crash after {load.table}")

    with pytest.raises(RuntimeError, match="crash after users"):
        load_window(lake, "run-1", [batch([1, 2])], specs=SPECS, on_table_loaded=crash_after_first)
    assert read_run_record(lake, "run-1") is None  # readers do not see the window as complete

    load_window(lake, "run-1", [batch([1, 2])], specs=SPECS)
    assert read_run_record(lake, "run-1") is not None
    assert _ids(lake) == ["1", "2"]
    assert read_table(lake, "users").num_rows == 1


def test_a_failing_source_stops_before_any_commit(lake: LakeStorage) -> None:
    def batches():
        yield batch([1, 2])
        raise ValueError("truncated page")

    with pytest.raises(ValueError, match="truncated page"):
        load_window(lake, "run-1", batches(), specs=SPECS)
    assert open_table(lake, "tweets") is None
    assert read_run_record(lake, "run-1") is None


def test_bad_run_id_is_a_config_error(lake: LakeStorage) -> None:
    from twitter_pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="run id"):
        load_window(lake, "../escape", [batch([1])], specs=SPECS)


def test_read_path_exits_cleanly_in_a_fresh_process(lake: LakeStorage) -> None:
    """PITFALLS #1: reading through deltalake's own Arrow path aborts at exit; ours must not."""
    load_window(lake, "run-1", [batch([1, 2, 3])], specs=SPECS)
    script = textwrap.dedent(
        f"""
        from twitter_pipeline.load import read_table, table_schema
        from twitter_pipeline.storage import LakeStorage
        lake = LakeStorage({lake.uri!r})
        assert read_table(lake, "tweets").num_rows == 3
        assert table_schema(lake, "users") is not None
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(6)]
    codes = [proc.wait(timeout=120) for proc in procs]
    assert codes == [0] * 6  # 134 would be the abort at exit


def test_a_reader_during_a_load_never_sees_a_post_without_its_author(lake: LakeStorage) -> None:
    """Another worker reading while this load is between two table commits: posts come after users."""
    from twitter_pipeline.transform.schema import TABLES

    seen: list[str] = []

    def column(table: str, name: str) -> set[str]:
        if open_table(lake, table) is None:
            return set()
        return set(read_table(lake, table, columns=[name]).column(name).to_pylist())

    def read_now(load) -> None:
        seen.append(load.table)
        missing = column("tweets", "author_id") - column("users", "id")
        assert not missing, f"after {seen}: posts whose author is not in users yet: {missing}"

    load_window(lake, "run-1", [batch([1, 2], author="newcomer")], specs=TABLES, on_table_loaded=read_now)
    assert seen.index("users") < seen.index("tweets")


def test_a_new_table_is_created_with_its_rows_in_one_commit(lake: LakeStorage) -> None:
    """The first load of a table writes it (no empty create, no MERGE); the record names its files."""
    summary = load_window(lake, "run-1", [batch([1, 2, 3])], specs=SPECS)

    table = open_table(lake, "tweets")
    assert table is not None and table.version() == 0
    tweets = summary.tables["tweets"]
    assert (tweets.version_before, tweets.version, tweets.inserted) == (-1, 0, 3)
    assert sorted(tweets.files_added or []) == sorted(
        str(Path(uri).relative_to(lake.fs_path("tables/tweets"))) for uri in table.file_uris()
    )
    assert table.history()[0]["twitter_pipeline.run_id"] == "run-1"


def test_a_loader_that_loses_the_race_to_create_a_table_merges_instead(
    lake: LakeStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two loaders may both find a table missing: the second one's create fails and it MERGEs."""
    from twitter_pipeline.load import delta_tables

    load_window(lake, "run-1", [batch([1, 2])], specs=SPECS)  # the winner created every table
    real_open, looked = delta_tables.open_table, set()

    def missing_at_first_look(storage: LakeStorage, name: str):  # the loser looked before the winner wrote
        if name not in looked:
            looked.add(name)
            return None
        return real_open(storage, name)

    monkeypatch.setattr(delta_tables, "open_table", missing_at_first_look)
    summary = load_window(lake, "run-2", [batch([2, 3])], specs=SPECS)

    monkeypatch.setattr(delta_tables, "open_table", real_open)
    assert _ids(lake) == ["1", "2", "3"]
    assert (summary.tables["tweets"].inserted, summary.tables["tweets"].updated) == (1, 1)
    assert read_table(lake, "users").num_rows == 1


def test_a_small_chunk_names_its_keys_in_the_merge_condition() -> None:
    """Named first keys let delta-rs skip files; quotes in a value cannot break out of the literal."""
    from twitter_pipeline.load.delta_tables import merge_predicate

    spec = SPECS["tweets"]
    plain = merge_predicate(spec, spec.schema.names)
    named = merge_predicate(spec, spec.schema.names, ["1", "o'clock"])
    assert named == plain + " AND t.`id` IN ('1', 'o''clock')"


def test_a_window_with_old_and_new_posts_merges_the_same_with_named_keys(lake: LakeStorage) -> None:
    """Many narrow files, then a small window updating two old posts and adding new ones."""
    load_window(lake, "run-1", [batch(list(range(0, 300)))], specs=SPECS, chunk_rows=50)
    later = load_window(lake, "run-2", [batch([3, 250, 400, 401], hour=5, text="new")], specs=SPECS)

    assert (later.tables["tweets"].inserted, later.tables["tweets"].updated) == (2, 2)
    rows = read_table(lake, "tweets", columns=["id", "text"]).to_pydict()
    texts = dict(zip(rows["id"], rows["text"], strict=True))
    assert len(texts) == 302 and len(rows["id"]) == 302
    assert [texts[i] for i in ("3", "250", "400", "401")] == ["new 3", "new 250", "new 400", "new 401"]
    assert texts["4"] == "post 4"


def test_loaders_racing_to_create_the_tables_never_duplicate_a_row(tmp_path: Path) -> None:
    """Six loaders start on a fresh lake at once (Celery workers on a new lake): one creates each
    table, the others merge. Before commit retries were turned off for the first write, delta-rs
    rebased a losing create onto the winner's table and the rows landed twice (1 trial in 10)."""
    import threading

    for trial in range(8):
        lake = LakeStorage(str(tmp_path / f"lake-{trial}"))
        barrier = threading.Barrier(6)
        failures: list[BaseException] = []

        def load(
            number: int,
            lake: LakeStorage = lake,
            barrier: threading.Barrier = barrier,
            failures: list[BaseException] = failures,
        ) -> None:
            barrier.wait()
            try:
                load_window(lake, f"run-{number}", [batch([1, 2, 3])], specs=SPECS)
            except BaseException as exc:  # reported by the test thread
                failures.append(exc)

        threads = [threading.Thread(target=load, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures
        assert _ids(lake) == ["1", "2", "3"], f"trial {trial}"
        assert read_table(lake, "users").num_rows == 1, f"trial {trial}"
