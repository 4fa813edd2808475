"""An import's one pass: pages checked and transformed once, with the archive's own error messages."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from tests.extract.test_archive import PAGE_1, PAGE_2
from twitter_pipeline.engine.import_pass import fits_in_memory, land_parsed, parse_files
from twitter_pipeline.errors import InputError
from twitter_pipeline.extract.archive import file_mtime, line_fetched_at, read_archive
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage


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


def test_only_archives_that_fit_are_held_in_memory(tmp_path: Path) -> None:
    small = tmp_path / "s.jsonl"
    small.write_bytes(PAGE_2)
    assert fits_in_memory([small])
    assert not fits_in_memory([tmp_path / "missing.jsonl"])  # the streaming path names it
