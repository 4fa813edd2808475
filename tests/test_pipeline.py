"""The pipeline end to end on S3 (moto over real HTTP): run, rerun, import, and both API spellings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.fixtures.emulator import EMULATOR_TEST_TOKEN
from twitter_pipeline import pipeline
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.load import read_table
from twitter_pipeline.settings import load_settings
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration

END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
START = END - timedelta(minutes=20)


def _ids(lake: str) -> list[str]:
    return read_table(LakeStorage(lake), "tweets", columns=["id"])["id"].to_pylist()


def test_run_and_rerun_on_s3_land_every_post_once(s3, s3_lake_uri: str) -> None:
    settings = load_settings(lake=s3_lake_uri)
    first = pipeline.run(settings, source="emulator", start=START, end=END)
    assert first.posts > 0 and first.quality["errors"] == 0
    ids = _ids(s3_lake_uri)
    assert len(ids) == len(set(ids)) == first.posts
    prefix = s3_lake_uri.split("/", 3)[3]
    keys = s3.keys(prefix)
    assert sum(k.endswith(".jsonl.gz") and "/raw/" in k for k in keys) == first.pages
    assert any("/tables/tweets/_delta_log/" in k for k in keys)

    forced = pipeline.run(settings, source="emulator", start=START, end=END, force=True)
    assert forced.posts == first.posts
    assert sorted(_ids(s3_lake_uri)) == sorted(ids)  # fetched again, merged, nothing doubled


def _archive(emulator, spelling: str, path: Path) -> Path:
    """A twarc2-style archive of one window, fetched in the given field spelling."""
    with XApiClient(emulator.base_url, EMULATOR_TEST_TOKEN, spelling=spelling) as client:
        lines = [
            page.body for page in client.search("recent", "data OR #python", start_time=START, end_time=END)
        ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _tweets(lake: str) -> dict[str, dict]:
    rows = read_table(LakeStorage(lake), "tweets").to_pylist()
    return {row["id"]: {k: v for k, v in row.items() if k != "fetched_at"} for row in rows}


def test_import_on_s3_lands_both_spellings_in_the_same_tables(emulator, s3, tmp_path: Path) -> None:
    classic = _archive(emulator, "tweets", tmp_path / "classic.jsonl")
    renamed = _archive(emulator, "posts", tmp_path / "renamed.jsonl")
    assert b'"edit_history_tweet_ids"' in classic.read_bytes()
    assert b'"edit_history_post_ids"' in renamed.read_bytes()

    lake_a, lake_b, both = s3.uri("spell-classic"), s3.uri("spell-posts"), s3.uri("spell-both")
    pipeline.import_files(load_settings(lake=lake_a), [classic])
    pipeline.import_files(load_settings(lake=lake_b), [renamed])
    a, b = _tweets(lake_a), _tweets(lake_b)
    assert a and a == b  # same posts, same columns, same values, whichever spelling came in

    summary = pipeline.import_files(load_settings(lake=both), [classic, renamed])
    assert summary.posts == len(a) and sorted(_ids(both)) == sorted(a)
    pages = [orjson.loads(line) for line in classic.read_bytes().splitlines()]
    texts = {p["id"]: p["text"] for page in pages for p in page.get("data", ())}  # a last page may be empty
    assert {k: v["text"] for k, v in _tweets(both).items()} == texts
