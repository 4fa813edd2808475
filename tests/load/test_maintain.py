"""`twitter-pipeline maintain`: compaction and vacuum keep every row, drop small and stale files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.s3 import MotoS3
from tests.load.helpers import SPECS, batch
from twitter_pipeline.load import load_window, read_table
from twitter_pipeline.load.maintain import list_tables, maintain_table
from twitter_pipeline.storage import LakeStorage


def _fill(lake: LakeStorage, windows: int = 4) -> None:
    for n in range(windows):  # every window adds files in every partition
        load_window(lake, f"run-{n}", [batch(list(range(n * 10, n * 10 + 12)), hour=n + 1)], specs=SPECS)


def test_compact_and_vacuum_keep_rows_and_remove_small_files(tmp_path: Path) -> None:
    lake = LakeStorage(str(tmp_path / "lake"))
    _fill(lake)
    before = read_table(lake, "tweets").sort_by("id")

    upkeep = maintain_table(lake, "tweets", retention_hours=0)

    assert upkeep.files_compacted > upkeep.files_written > 0
    assert upkeep.files_after == 3  # one file per created_date partition
    assert upkeep.files_vacuumed >= upkeep.files_compacted
    assert read_table(lake, "tweets").sort_by("id").equals(before)
    assert list_tables(lake) == ["tweets", "users"]


def test_cli_maintain_prints_a_summary_and_rejects_unknown_tables(tmp_path: Path) -> None:
    lake = LakeStorage(str(tmp_path / "lake"))
    _fill(lake, windows=2)
    cli = [
        sys.executable,
        "-c",
        "from twitter_pipeline.cli import entry; entry()",
        "maintain",
        "--lake",
        lake.uri,
    ]
    ok = subprocess.run([*cli, "--retention-hours", "0"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "tweets" in ok.stdout and "users" in ok.stdout and "vacuumed" in ok.stdout

    bad = subprocess.run([*cli, "--table", "nope"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "no table nope" in bad.stderr and "tweets" in bad.stderr


@pytest.mark.integration
def test_maintain_on_s3(s3: MotoS3, s3_lake_uri: str) -> None:
    lake = LakeStorage(s3_lake_uri)
    _fill(lake, windows=3)
    upkeep = maintain_table(lake, "tweets", retention_hours=0)
    assert upkeep.files_after == 3
    assert sorted(read_table(lake, "tweets", columns=["id"])["id"].to_pylist(), key=int) == [
        str(i) for i in range(32)
    ]
    assert os.environ["AWS_ENDPOINT_URL"] == s3.endpoint
