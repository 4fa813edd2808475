"""Reading archives ahead: the same run id and the same bytes as reading them when needed."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from twitter_pipeline.extract import archive
from twitter_pipeline.extract.archive import archive_lines, import_run_id
from twitter_pipeline.extract.read_ahead import ReadAhead

PAGE = b'{"data":[{"id":"1","text":"a"}],"meta":{"result_count":1}}'


def _files(tmp_path: Path) -> list[Path]:
    plain = tmp_path / "b.jsonl"
    plain.write_bytes(PAGE + b"\n" + PAGE.replace(b'"1"', b'"2"') + b"\n")
    packed = tmp_path / "a.jsonl.gz"
    packed.write_bytes(gzip.compress(PAGE))
    single = tmp_path / "c.json"
    single.write_bytes(PAGE)
    return [plain, packed, single]


def test_the_run_id_is_the_sha256_of_the_named_contents_in_name_order(tmp_path: Path) -> None:
    files = _files(tmp_path)
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):  # re-importing after an upgrade keeps the id
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    expected = f"import-{digest.hexdigest()[:16]}"
    assert import_run_id(files) == expected
    assert ReadAhead(files).run_id(files) == expected


def test_plain_archives_are_handed_over_once_and_parse_as_read_from_disk(tmp_path: Path) -> None:
    plain, packed, single = _files(tmp_path)
    ahead = ReadAhead([plain, packed, single])
    text = ahead.take(plain)
    assert text == plain.read_bytes()
    assert archive_lines(plain, text) == archive_lines(plain)
    assert ahead.take(plain) is None  # handed over: the read-ahead keeps no copy
    assert ahead.take(packed) is None and ahead.take(single) is None  # read by their own paths


def test_other_files_get_no_run_id_from_it(tmp_path: Path) -> None:
    files = _files(tmp_path)
    assert ReadAhead(files).run_id(files[:1]) is None


def test_a_missing_file_leaves_the_error_to_the_ordinary_path(tmp_path: Path) -> None:
    files = [*_files(tmp_path), tmp_path / "missing.jsonl"]
    ahead = ReadAhead(files)
    assert ahead.run_id(files) is None and ahead.take(files[0]) is None


def test_files_too_large_to_hold_are_not_read_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files(tmp_path)
    monkeypatch.setattr(archive, "MAX_HELD_BYTES", 10)
    ahead = ReadAhead(files)
    assert ahead.run_id(files) is None and ahead.take(files[0]) is None


def test_an_unreadable_file_is_not_an_error_of_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _files(tmp_path)

    def unreadable(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    ahead = ReadAhead(files)
    assert ahead.run_id(files) is None
