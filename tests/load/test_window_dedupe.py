"""Planning a window's deduplication one key range at a time gives exactly the one-pass plan.

Large windows are planned in ranges of the first key so the planner's memory stays bounded; these
tests shrink the range size so a small window takes that path, and compare it with one range.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tests.load.helpers import SPECS, batch, fetched
from twitter_pipeline.load import load_window, read_table, window_dedupe
from twitter_pipeline.load.staging import StagedTable, StagingArea
from twitter_pipeline.storage import LakeStorage


@pytest.fixture
def lake(tmp_path: Path) -> LakeStorage:
    return LakeStorage(str(tmp_path / "lake"))


def _with_null_id(window: dict[str, pa.Table], position: int) -> dict[str, pa.Table]:
    ids = window["tweets"]["id"].to_pylist()
    ids[position] = None
    return {**window, "tweets": window["tweets"].set_column(0, "id", pa.array(ids))}


def _window() -> list[dict[str, pa.Table]]:
    """Overlapping batches (ids as strings, so "10" sorts before "9"), refetches and null keys."""
    return [
        batch(list(range(0, 120)), hour=3, text="a"),
        _with_null_id(batch(list(range(100, 220)), hour=5, text="b"), 7),
        batch(list(range(50, 150, 2)), hour=4, text="c"),
        _with_null_id(batch(list(range(200, 260)), hour=5, text="d"), 0),
        batch(list(range(0, 260, 5)), hour=5, text="e"),
    ]


def _stage(lake: LakeStorage) -> StagedTable:
    staging = StagingArea(lake, "run-1", {n: s.schema for n, s in SPECS.items()}, flush_bytes=4_000)
    for window_batch in _window():
        staging.add_batch(window_batch)
    staged = staging.finish()["tweets"]
    assert len(staged.paths) > 1  # several parts, so whole parts are skipped by their statistics
    return staged


def test_planning_by_key_ranges_equals_one_range(lake: LakeStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    staged = _stage(lake)
    window = (fetched(0), fetched(0).replace(day=3))
    whole = window_dedupe.plan_window(lake, SPECS["tweets"], staged, chunk_rows=30, window=window)
    monkeypatch.setattr(window_dedupe, "BUCKET_ROWS", 40)
    monkeypatch.setattr(window_dedupe, "SAMPLE_ROWS", 25)
    assert len(window_dedupe._key_ranges(lake, SPECS["tweets"], staged)) > 3
    ranged = window_dedupe.plan_window(lake, SPECS["tweets"], staged, chunk_rows=30, window=window)

    assert (
        (ranged.distinct_keys, ranged.null_key_rows) == (whole.distinct_keys, whole.null_key_rows) == (260, 2)
    )
    assert (ranged.created_min, ranged.created_max) == (whole.created_min, whole.created_max)
    assert ranged.outside_window == whole.outside_window > 0
    assert ranged.chunks == whole.chunks == 9
    for ranged_chunk, whole_chunk in zip(ranged.rows, whole.rows, strict=True):
        assert ranged_chunk.keys() == whole_chunk.keys()
        for part in whole_chunk:
            assert np.array_equal(ranged_chunk[part], whole_chunk[part])


def test_a_window_loaded_by_key_ranges_keeps_the_newest_copy_of_each_post(
    lake: LakeStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window_dedupe, "BUCKET_ROWS", 40)
    monkeypatch.setattr(window_dedupe, "SAMPLE_ROWS", 25)
    summary = load_window(lake, "run-1", _window(), specs=SPECS, flush_bytes=4_000, chunk_rows=50)

    rows = read_table(lake, "tweets", columns=["id", "text"]).to_pydict()
    texts = dict(zip(rows["id"], rows["text"], strict=True))
    assert sorted(texts, key=int) == [str(i) for i in range(260)]
    assert texts["0"] == "e 0" and texts["1"] == "a 1"  # hour 5 beats hour 3
    assert texts["100"] == "e 100" and texts["101"] == "b 101" and texts["102"] == "b 102"
    assert summary.tables["tweets"].null_key_rows == 2
    assert summary.tables["tweets"].commits == 6


def test_a_window_that_fits_the_buffer_stays_in_memory_and_loads_the_same(
    lake: LakeStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No staging file is written for a small window; its tables equal those of a window staged in parts."""
    staging = StagingArea(lake, "run-1", {n: s.schema for n, s in SPECS.items()})
    for window_batch in _window():
        staging.add_batch(window_batch)
    held = staging.finish()["tweets"]
    assert held.held and not held.paths and held.rows == sum(b["tweets"].num_rows for b in _window())
    assert not (Path(lake.fs_path("staging"))).exists()

    monkeypatch.setattr(window_dedupe, "BUCKET_ROWS", 40)  # key ranges over the held part too
    monkeypatch.setattr(window_dedupe, "SAMPLE_ROWS", 25)
    in_parts = LakeStorage(str(tmp_path / "parts"))
    held_summary = load_window(lake, "run-1", _window(), specs=SPECS, chunk_rows=50)
    parts_summary = load_window(in_parts, "run-1", _window(), specs=SPECS, flush_bytes=4_000, chunk_rows=50)
    for name in ("tweets", "users"):
        assert held_summary.tables[name].source_rows == parts_summary.tables[name].source_rows
        assert _sorted_rows(lake, name) == _sorted_rows(in_parts, name)


def _sorted_rows(lake: LakeStorage, name: str) -> list[dict]:
    return sorted(read_table(lake, name).to_pylist(), key=str)


def test_a_chunk_whose_rows_all_win_is_read_without_copying_them(lake: LakeStorage) -> None:
    staging = StagingArea(lake, "run-1", {n: s.schema for n, s in SPECS.items()})
    staging.add_batch(batch(list(range(0, 50)), hour=1))  # no key twice: every row wins
    staged = staging.finish()["tweets"]
    plan = window_dedupe.plan_window(lake, SPECS["tweets"], staged)
    read = window_dedupe.chunk_reader(lake, SPECS["tweets"], staged, plan, 0).read_all()

    held_ids = staged.held[0]["id"].chunks[0]
    assert read["id"].chunks[0].buffers()[2].address == held_ids.buffers()[2].address  # the same memory
    assert read.to_pydict() == staged.held[0].select(read.column_names).to_pydict()


def test_a_chunk_with_a_losing_copy_keeps_only_the_winners(lake: LakeStorage) -> None:
    staging = StagingArea(lake, "run-1", {n: s.schema for n, s in SPECS.items()})
    staging.add_batch(batch([1, 2, 3], hour=1, text="old"))
    staging.add_batch(batch([2], hour=2, text="new"))
    staged = staging.finish()["tweets"]
    plan = window_dedupe.plan_window(lake, SPECS["tweets"], staged)
    read = window_dedupe.chunk_reader(lake, SPECS["tweets"], staged, plan, 0).read_all()
    assert sorted(zip(read["id"].to_pylist(), read["text"].to_pylist(), strict=True)) == [
        ("1", "old 1"),
        ("2", "new 2"),
        ("3", "old 3"),
    ]
