"""`import` of twarc2 JSONL archives: one tweets row per distinct id, text exactly as in the source."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from twitter_pipeline.load import read_table
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration


@pytest.fixture
def twarc_archive(cli, tmp_path: Path) -> Path:
    """A twarc2-style archive (one response page per line, plus `__twarc`) made from real emulator pages."""
    source_lake = tmp_path / "source-lake"
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    done = cli(
        "run",
        "--lake",
        str(source_lake),
        "--start",
        (end - timedelta(minutes=30)).isoformat(),
        "--end",
        end.isoformat(),
        "--no-quality",
    )
    assert done.returncode == 0, done.stderr
    zone = RawZone(LakeStorage(str(source_lake)))
    lines = []
    for key in zone.keys():  # noqa: SIM118  (RawZone.keys lists objects)
        page = orjson.loads(zone.read(key).body)
        page["__twarc"] = {
            "url": "https://api.x.com/2/tweets/search/recent",
            "version": "2.14.0",
            "retrieved_at": "2026-11-20T10:00:00+00:00",
        }
        lines.append(orjson.dumps(page))
    # the same page twice (an overlapping archive) must not duplicate rows
    archive = tmp_path / "archive.jsonl"
    archive.write_bytes(b"\n".join([*lines, lines[0]]) + b"\n")
    return archive


def _source_texts(archive: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    for line in archive.read_bytes().splitlines():
        for post in orjson.loads(line).get("data") or []:
            texts[post["id"]] = post["text"]
    return texts


def test_import_gives_one_row_per_distinct_id_with_identical_text(cli, tmp_path: Path, twarc_archive: Path):
    lake = tmp_path / "lake"
    done = cli("import", str(twarc_archive), "--lake", str(lake))
    assert done.returncode == 0, done.stderr
    tweets = read_table(LakeStorage(str(lake)), "tweets", columns=["id", "text"]).to_pylist()
    expected = _source_texts(twarc_archive)
    assert len(tweets) == len(expected)
    assert {row["id"]: row["text"] for row in tweets} == expected

    again = cli("import", str(twarc_archive), "--lake", str(lake))
    assert again.returncode == 0, again.stderr
    assert len(read_table(LakeStorage(str(lake)), "tweets", columns=["id"])) == len(expected)


def test_gzipped_archive_imports_the_same(cli, tmp_path: Path, twarc_archive: Path):
    packed = tmp_path / "archive.jsonl.gz"
    packed.write_bytes(gzip.compress(twarc_archive.read_bytes()))
    lake = tmp_path / "lake-gz"
    done = cli("import", str(packed), "--lake", str(lake))
    assert done.returncode == 0, done.stderr
    assert len(read_table(LakeStorage(str(lake)), "tweets", columns=["id"])) == len(
        _source_texts(twarc_archive)
    )


def test_malformed_line_fails_with_its_location_and_lands_nothing(cli, tmp_path: Path, twarc_archive: Path):
    lake = tmp_path / "lake"
    assert cli("import", str(twarc_archive), "--lake", str(lake)).returncode == 0
    before = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())

    broken = tmp_path / "broken.jsonl"
    good_lines = twarc_archive.read_bytes().splitlines()
    broken.write_bytes(b"\n".join([good_lines[0], b'{"data": [{"id": "1", "text": "trunc', good_lines[1]]))
    done = cli("import", str(broken), "--lake", str(lake))
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "broken.jsonl:2" in last
    assert "Traceback" not in done.stderr
    after = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())
    assert after == before  # nothing half-landed


def test_missing_file_is_a_clear_error(cli, tmp_path: Path):
    done = cli("import", str(tmp_path / "nope.jsonl"), "--lake", str(tmp_path / "lake"))
    assert done.returncode != 0 and "nope.jsonl" in done.stderr.strip().splitlines()[-1]
