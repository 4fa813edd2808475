"""Replaying twarc2 JSONL archives and saved single pages as raw pages, exactly as saved."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from twitter_pipeline.errors import InputError
from twitter_pipeline.extract.archive import (
    archive_lines,
    line_fetched_at,
    read_archive,
    read_archives,
    validate_archive,
)

PAGE_1 = (
    b'{"data":[{"id":"2","text":"hi","author_id":"9"}],"includes":{"users":[{"id":"9","username":"a"}]},'
    b'"meta":{"result_count":1,"newest_id":"2","oldest_id":"2","next_token":"t1"},'
    b'"__twarc":{"url":"https://api.twitter.com/2/tweets/search/all?query=x","version":"2.14.0",'
    b'"retrieved_at":"2023-05-01T10:00:00+00:00"}}'
)
PAGE_2 = b'{"data":[{"id":"1","text":"yo"}],"meta":{"result_count":1,"newest_id":"1","oldest_id":"1"}}'


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


@pytest.mark.parametrize("name", ["tweets.jsonl", "tweets.jsonl.gz"])
def test_twarc_jsonl_pages_are_exact_and_blank_lines_ok(tmp_path, name):
    path = write(tmp_path / name, PAGE_1 + b"\n\n" + PAGE_2 + b"\r\n")
    pages = list(read_archive(path))
    assert [p.body for p in pages] == [PAGE_1, PAGE_2]
    assert pages[0].request.endpoint == "import" and pages[0].request.path == name
    assert pages[1].request.params == {"file": name, "line": "3"}
    assert pages[0].fetched_at.year == 2023  # twarc's retrieved_at is kept
    assert pages[0].payload["data"][0]["id"] == "2"
    assert validate_archive(path) == 2


@pytest.mark.parametrize("name", ["page.json", "page.json.gz"])
def test_single_page_json_even_pretty_printed(tmp_path, name):
    pretty = orjson.dumps(orjson.loads(PAGE_2), option=orjson.OPT_INDENT_2)
    path = write(tmp_path / name, pretty + b"\n")
    pages = list(read_archive(path))
    assert len(pages) == 1 and pages[0].body == pretty
    assert pages[0].result_count == 1


def test_malformed_line_names_file_and_line_before_anything_is_yielded(tmp_path):
    path = write(tmp_path / "bad.jsonl", PAGE_1 + b"\n" + PAGE_2 + b"\n" + b'{"data": [1, 2\n')
    pages = read_archive(path)
    with pytest.raises(InputError, match=r"bad\.jsonl:3: not a JSON object \(.*\); fix or remove the line"):
        next(pages)


def test_non_object_line_and_flattened_post(tmp_path):
    path = write(tmp_path / "arr.jsonl", b"[1,2]\n")
    with pytest.raises(InputError, match=r"arr\.jsonl:1: not a JSON object \(a JSON array\)"):
        list(read_archive(path))
    flat = write(tmp_path / "flat.jsonl", b'{"id":"1","text":"x","author_id":"2"}\n')
    with pytest.raises(InputError, match="flattened"):
        list(read_archive(flat))


def test_missing_and_truncated_gzip(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(read_archive(tmp_path / "nope.jsonl"))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(PAGE_1 * 50)[:-30])
    with pytest.raises(InputError, match="damaged or cut short"):
        list(read_archive(cut))


def test_read_archives_checks_every_file_first(tmp_path):
    good = write(tmp_path / "good.jsonl", PAGE_1 + b"\n")
    bad = write(tmp_path / "bad.jsonl", b"nope\n")
    pages = read_archives([good, bad])
    with pytest.raises(InputError, match=r"bad\.jsonl:1"):
        next(pages)


def test_land_archives_is_all_or_nothing_and_idempotent(tmp_path):
    from twitter_pipeline.extract.archive import land_archives
    from twitter_pipeline.raw.zone import RawZone
    from twitter_pipeline.storage import LakeStorage

    raw = RawZone(LakeStorage(str(tmp_path / "lake")))
    good = write(tmp_path / "good.jsonl.gz", PAGE_1 + b"\n" + PAGE_2 + b"\n")
    bad = write(tmp_path / "bad.jsonl", PAGE_2 + b"\n{oops\n")
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        land_archives(raw, [good, bad])
    assert list(raw.keys()) == []  # nothing half-landed

    first = land_archives(raw, [good])
    assert first.pages == 2 and first.posts == 2
    assert [raw.read(k).body for k in first.raw_keys] == [PAGE_1, PAGE_2]
    blobs = {k: raw.storage.read_bytes(k) for k in first.raw_keys}
    again = land_archives(raw, [good])
    assert again.run_id == first.run_id and again.raw_keys == first.raw_keys
    assert {k: raw.storage.read_bytes(k) for k in again.raw_keys} == blobs
    assert len(list(raw.keys())) == 2
    with pytest.raises(InputError, match="no files"):
        land_archives(raw, [])


@pytest.mark.parametrize(
    "text",
    [
        PAGE_1 + b"\n" + PAGE_2 + b"\n",
        PAGE_1 + b"\r\n\r\n" + PAGE_2,  # CRLF, a blank line, no final newline
        b"  " + PAGE_1 + b"\t\n \n" + PAGE_2 + b" \x0b\n\n",  # whitespace around lines, blank lines
    ],
)
def test_archive_lines_are_views_of_the_file_stripped_as_before(tmp_path, text):
    path = write(tmp_path / "a.jsonl", text)
    whole, lines = archive_lines(path)
    assert whole == text
    expected = [(n, raw.strip()) for n, raw in enumerate(text.split(b"\n"), start=1) if raw.strip()]
    assert [(n, bytes(line)) for n, line in lines] == expected
    assert all(isinstance(line, memoryview) and line.obj is whole for _, line in lines)  # no copies


def test_the_twarc_record_is_read_from_a_line_view_and_from_bytes(tmp_path):
    fallback = datetime(2000, 1, 1, tzinfo=UTC)
    expected = datetime(2023, 5, 1, 10, tzinfo=UTC)
    assert line_fetched_at(PAGE_1, fallback) == expected
    assert line_fetched_at(memoryview(b"  " + PAGE_1)[2:], fallback) == expected
    assert line_fetched_at(PAGE_2, fallback) is None  # no record: the caller parses the line


def test_a_twarc_record_beyond_the_searched_tail_is_found_by_parsing_the_line(tmp_path):
    padded = PAGE_1.replace(b'"version"', b'"padding":"' + b"x" * (70 << 10) + b'","version"')
    assert line_fetched_at(padded, datetime(2000, 1, 1, tzinfo=UTC)) is None
    path = write(tmp_path / "padded.jsonl", padded + b"\n")
    assert [p.fetched_at.year for p in read_archive(path)] == [2023]
