"""Collections record the same quality checks as other runs, the window check included when closed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.collections.conftest import NOW, QUIET
from twitter_pipeline.collections import parse_collections, run_collection
from twitter_pipeline.emulator import EmulatorServer
from twitter_pipeline.load import read_run_record, read_table
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration

CONFIG = f"""
[[collections]]
name = "ai"
query = "#AI -is:retweet"

[[collections]]
name = "people"
accounts = ["{QUIET[0]}", "{QUIET[1]}"]
"""


@pytest.mark.parametrize("name", ["ai", "people"])
def test_a_closed_window_collection_run_records_the_window_check(
    frozen: EmulatorServer, settings, name: str
) -> None:
    end = NOW - timedelta(hours=1)
    start = end - timedelta(hours=6 if name == "people" else 1)
    summary = run_collection(settings, parse_collections(CONFIG).get(name), start=start, end=end, now=NOW)
    storage = LakeStorage(settings.lake)
    rows = [r for r in read_table(storage, "quality").to_pylist() if r["run_id"] == summary.run_id]
    record = read_run_record(storage, summary.run_id)
    assert record is not None and rows

    per_table = {
        (check, table)
        for table in record["tables"]
        for check in ("schema_contract", "non_null_keys", "unique_keys")
    }
    window_facts = {
        ("authors_in_users", "tweets"),
        ("referenced_posts_present", "tweet_references"),
        ("raw_vs_table_counts", "tweets"),
        ("created_at_in_window", "tweets"),
    }
    assert {(r["check_name"], r["table"]) for r in rows} == per_table | window_facts
    window = next(r for r in rows if r["check_name"] == "created_at_in_window")
    assert window["passed"], window["detail"]
    assert start.isoformat() in window["detail"]
