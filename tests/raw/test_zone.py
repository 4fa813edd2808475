"""Raw zone: pages round-trip byte-exact, keys are stable, writes are atomic."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from twitter_pipeline.raw.pages import PageRequest, RawPage
from twitter_pipeline.raw.zone import RawZone, decode_page, encode_page
from twitter_pipeline.storage import LakeStorage

BODY = '{"data":[{"id":"1","text":"héllo 世界 مرحبا 🎉"}],"meta":{"result_count":1}}'.encode()


def _page(body: bytes = BODY) -> RawPage:
    request = PageRequest("search_recent", "/2/tweets/search/recent", {"query": "data", "max_results": "100"})
    return RawPage(request=request, body=body, fetched_at=datetime(2026, 11, 26, 10, 0, tzinfo=UTC))


def test_round_trip_keeps_exact_bytes_and_request(tmp_path: Path) -> None:
    zone = RawZone(LakeStorage(str(tmp_path)))
    key = zone.write("run-1", 1, _page())
    assert key == "raw/endpoint=search_recent/date=2026-11-26/run=run-1/page-000001.jsonl.gz"
    back = zone.read(key)
    assert back.body == BODY
    assert back.request.params == {"query": "data", "max_results": "100"}
    assert back.fetched_at == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert list(zone.keys()) == [key] and zone.run_keys("run-1") == [key]


def test_file_is_gzip_jsonl_readable_by_line_tools(tmp_path: Path) -> None:
    zone = RawZone(LakeStorage(str(tmp_path)))
    key = zone.write("run-1", 1, _page())
    lines = gzip.decompress((tmp_path / key).read_bytes()).split(b"\n")
    envelope, body = orjson.loads(lines[0]), lines[1]
    assert envelope["request"]["endpoint"] == "search_recent" and body == BODY


def test_encoding_is_deterministic_and_detects_corruption() -> None:
    assert encode_page(_page()) == encode_page(_page())
    tampered = gzip.compress(
        gzip.decompress(encode_page(_page())).replace(b"hello", b"HELLO").replace(b"1}", b"2}")
    )
    with pytest.raises(ValueError, match="sha256"):
        decode_page(tampered)


def test_no_temporary_files_left_behind(tmp_path: Path) -> None:
    zone = RawZone(LakeStorage(str(tmp_path)))
    for seq in range(1, 4):
        zone.write("run-2", seq, _page())
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]
