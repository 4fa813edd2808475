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


@pytest.mark.parametrize("pages", [3, 20])  # a few: fsync each; many: one syncfs
def test_pages_are_synced_by_the_next_durable_write_not_one_by_one(tmp_path: Path, pages: int) -> None:
    storage = LakeStorage(str(tmp_path))
    zone = RawZone(storage)
    keys = [zone.write("run-1", seq, _page()) for seq in range(1, pages + 1)]
    assert storage._unsynced == [storage.fs_path(k) for k in keys]  # no fsync per page yet
    storage.write_bytes("state/checkpoint.json", b"{}")  # a durable write: the barrier runs first
    assert storage._unsynced == []
    assert all(zone.read(k).body == BODY for k in keys)


def test_zcat_reads_a_raw_page(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("zcat") is None:
        pytest.skip("zcat is not installed")
    zone = RawZone(LakeStorage(str(tmp_path)))
    key = zone.write("run-1", 1, _page())
    out = subprocess.run(["zcat", str(tmp_path / key)], capture_output=True, check=True).stdout
    assert out.split(b"\n", 1)[1] == BODY


def test_a_page_cut_short_is_refetched_not_counted(tmp_path: Path) -> None:
    from twitter_pipeline.extract.checkpointed import recover_unrecorded_pages
    from twitter_pipeline.extract.state import Checkpoint, StateStore, Window

    storage = LakeStorage(str(tmp_path))
    zone, state = RawZone(storage), StateStore(storage, "api")
    checkpoint = Checkpoint(endpoint="search_recent", query="data", window=Window(), run_id="run-1")
    checkpoint.updated_at = "2026-11-26T09:59:00+00:00"  # saved just before the first page
    first = zone.write("run-1", 1, _page())
    second = zone.write("run-1", 2, _page())
    (tmp_path / second).write_bytes(b"\x1f\x8b")  # what a power loss can leave of an unsynced page
    assert recover_unrecorded_pages(zone, checkpoint, state) == 1
    assert checkpoint.raw_keys == [first] and checkpoint.seq == 1


def test_resume_lists_only_the_days_since_the_checkpoint(tmp_path: Path) -> None:
    from twitter_pipeline.extract.checkpointed import recover_unrecorded_pages
    from twitter_pipeline.extract.state import Checkpoint, StateStore, Window

    storage = LakeStorage(str(tmp_path))
    zone, state = RawZone(storage), StateStore(storage, "api")
    checkpoint = Checkpoint(endpoint="search_recent", query="data", window=Window(), run_id="run-1")
    checkpoint.updated_at = "2026-11-26T09:59:00+00:00"
    first = zone.write("run-1", 1, _page())
    old = RawPage(_page().request, BODY, datetime(2026, 10, 1, tzinfo=UTC))
    zone.write("run-1", 2, old)  # a day long before the checkpoint: never listed
    assert recover_unrecorded_pages(zone, checkpoint, state) == 1
    assert checkpoint.raw_keys == [first]
