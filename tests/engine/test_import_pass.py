"""An import's one pass: pages checked and transformed once, with the archive's own error messages."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import orjson
import pytest

from tests.extract.test_archive import PAGE_1, PAGE_2
from twitter_pipeline.engine.import_pass import Landing, land_parsed, parse_files
from twitter_pipeline.errors import InputError
from twitter_pipeline.extract.archive import file_mtime, fits_in_memory, line_fetched_at, read_archive
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage, lake_storage


@pytest.mark.parametrize("name", ["tweets.jsonl", "tweets.jsonl.gz"])
def test_one_pass_gives_the_pages_and_times_the_full_parse_gives(tmp_path: Path, name: str) -> None:
    data = PAGE_1 + b"\n\n" + PAGE_2 + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    parsed = parse_files([path])
    expected = list(read_archive(path))  # the archive reader parses every line in full
    assert [p.body for p in parsed.pages] == [p.body for p in expected]
    assert [p.fetched_at for p in parsed.pages] == [p.fetched_at for p in expected]
    assert [p.request for p in parsed.pages] == [p.request for p in expected]
    assert parsed.posts == 2 and parsed.page_posts == [1, 1]
    assert sorted(next(parsed.batches())["tweets"]["id"].to_pylist()) == ["1", "2"]
    keys = land_parsed(RawZone(LakeStorage(str(tmp_path / "lake"))), "import-x", parsed, None)
    assert len(keys) == 2


def test_a_bad_line_in_a_later_batch_is_named_before_anything_lands(tmp_path: Path) -> None:
    lines = [PAGE_2] * 60 + [b'{"data": [1, 2']
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(InputError, match=r"big\.jsonl:61: not a JSON object \(.*\); fix or remove the line"):
        parse_files([path])


def test_a_flattened_post_gets_the_archive_hint(tmp_path: Path) -> None:
    path = tmp_path / "flat.jsonl"
    path.write_bytes(PAGE_2 + b'\n{"id":"1","text":"x","author_id":"2"}\n')
    with pytest.raises(InputError, match="flattened"):
        parse_files([path])


def test_twarc_tail_inside_a_post_text_is_not_taken_for_the_record(tmp_path: Path) -> None:
    post = {"data": [{"id": "1", "text": 'see "__twarc": {"retrieved_at": "1999-01-01T00:00:00Z"}'}]}
    line = orjson.dumps(post)
    path = tmp_path / "a.jsonl"
    path.write_bytes(line + b"\n")
    assert line_fetched_at(line, file_mtime(path)) is None  # the caller parses the line instead
    assert parse_files([path]).pages[0].fetched_at == file_mtime(path)


def test_a_twarc_record_far_from_the_line_end_still_gives_the_fetch_time(tmp_path: Path) -> None:
    padded = PAGE_1.replace(b'"version"', b'"padding":"' + b"x" * (70 << 10) + b'","version"')
    path = tmp_path / "padded.jsonl"
    path.write_bytes(padded + b"\n" + PAGE_2 + b"\n")
    fetched = [page.fetched_at for page in parse_files([path]).pages]
    assert fetched[0].year == 2023 and fetched[1] == file_mtime(path)


def test_only_archives_that_fit_are_held_in_memory(tmp_path: Path) -> None:
    small = tmp_path / "s.jsonl"
    small.write_bytes(PAGE_2)
    assert fits_in_memory([small])
    assert not fits_in_memory([tmp_path / "missing.jsonl"])  # the streaming path names it


def _recording_syncs(monkeypatch: pytest.MonkeyPatch, delay: float = 0.0) -> tuple[list[str], list[str]]:
    """The real fsyncs, recorded (optionally slowed), and any whole-filesystem sync attempted."""
    fsynced: list[str] = []
    whole: list[str] = []
    real_fsync = lake_storage._fsync_path

    def fsync(path: str) -> None:
        time.sleep(delay)
        real_fsync(path)
        fsynced.append(path)

    def syncfs(root: str) -> bool:
        whole.append(root)
        return False

    monkeypatch.setattr(lake_storage, "_fsync_path", fsync)
    monkeypatch.setattr(lake_storage, "_syncfs", syncfs)
    return fsynced, whole


def _archive_of(tmp_path: Path, pages: int) -> Path:
    path = tmp_path / "archive.jsonl"
    path.write_bytes(b"\n".join([PAGE_2] * pages) + b"\n")
    return path


def test_the_landing_thread_makes_its_own_pages_durable_without_a_filesystem_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsynced, whole = _recording_syncs(monkeypatch)
    storage = LakeStorage(str(tmp_path / "lake"))
    landing = Landing(RawZone(storage), "import-x", parse_files([_archive_of(tmp_path, 20)]), None)
    landing.wait()
    landing._thread.join()
    pages = {str(p) for p in (tmp_path / "lake" / "raw").rglob("*.jsonl.gz")}
    assert len(pages) == 20 and pages <= set(fsynced)
    assert not whole, "a background sync must not flush the whole filesystem"
    storage.make_durable()  # the load's barrier: nothing left to sync
    assert len(fsynced) == len(pages) + 1  # each page, and their one folder


def test_a_barrier_during_the_landing_sync_returns_only_once_every_page_is_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsynced, _ = _recording_syncs(monkeypatch, delay=0.02)
    storage = LakeStorage(str(tmp_path / "lake"))
    landing = Landing(RawZone(storage), "import-x", parse_files([_archive_of(tmp_path, 20)]), None)
    landing.wait()  # written, still being synced (20 × 20 ms)
    storage.make_durable()  # what the completion record's write does first
    pages = {str(p) for p in (tmp_path / "lake" / "raw").rglob("*.jsonl.gz")}
    assert pages <= set(fsynced)
