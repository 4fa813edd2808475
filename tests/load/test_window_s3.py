"""load_window against a real S3-compatible server (moto on loopback) over HTTP.

Covers what only S3 shows: conditional-write commits from two processes at once, and an outage
(server stopped) mid-write followed by a rerun that loses nothing and doubles nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.fixtures.s3 import MotoS3
from tests.load.helpers import SPECS, batch
from twitter_pipeline.errors import StorageError
from twitter_pipeline.load import load_window, read_run_record, read_table
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _ids(lake: LakeStorage) -> list[int]:
    return sorted(int(i) for i in read_table(lake, "tweets", columns=["id"])["id"].to_pylist())


def test_write_read_back_and_rerun_on_s3(s3: MotoS3, s3_lake_uri: str) -> None:
    lake = LakeStorage(s3_lake_uri)
    window = [batch([1, 2, 3]), batch([3, 4])]
    load_window(lake, "run-1", window, specs=SPECS)
    load_window(lake, "run-1", window, specs=SPECS)  # rerun
    load_window(lake, "run-2", [batch([4, 5])], specs=SPECS)  # overlapping window

    assert _ids(lake) == [1, 2, 3, 4, 5]
    assert read_table(lake, "users").num_rows == 1
    prefix = s3_lake_uri.split("/", 3)[3]
    keys = s3.keys(prefix)
    assert any(k.startswith(f"{prefix}/tables/tweets/created_date=2024-03-") for k in keys)
    assert f"{prefix}/_runs/run-1.json" in keys
    assert not [k for k in keys if "/staging/run=" in k]  # staging removed after success


def test_two_processes_loading_the_same_tables_lose_no_commit(s3: MotoS3, s3_lake_uri: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # overlapping key ranges, written at the same time, several batches each
    args = [[s3_lake_uri, "run-a", "0", "600", "100"], [s3_lake_uri, "run-b", "300", "900", "100"]]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.load.loader_proc", *a],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for a in args
    ]
    outputs = [proc.communicate(timeout=180) for proc in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]

    lake = LakeStorage(s3_lake_uri)
    assert _ids(lake) == list(range(900))  # both windows fully present, no duplicates
    assert read_run_record(lake, "run-a") is not None
    assert read_run_record(lake, "run-b") is not None
    summaries = [orjson.loads(out.splitlines()[-1]) for out, _ in outputs]
    assert sum(s["tables"]["tweets"]["source_rows"] for s in summaries) == 1200


def test_outage_while_staging_fails_clearly_and_a_rerun_completes(s3: MotoS3, s3_lake_uri: str) -> None:
    lake = LakeStorage(s3_lake_uri)
    load_window(lake, "run-0", [batch([1, 2])], specs=SPECS)

    def batches_then_outage():
        yield batch([2, 3])
        s3.stop()  # the S3 endpoint goes away in the middle of the window
        yield batch([4, 5])

    with pytest.raises(StorageError) as caught:
        load_window(lake, "run-1", batches_then_outage(), specs=SPECS, flush_bytes=1)
    message = str(caught.value)
    assert "\n" not in message and s3_lake_uri in message and "rerun" in message
    assert "testing-secret-key" not in message

    s3.start()
    assert read_run_record(lake, "run-1") is None
    load_window(lake, "run-1", [batch([2, 3]), batch([4, 5])], specs=SPECS)
    assert _ids(lake) == [1, 2, 3, 4, 5]
    assert read_run_record(lake, "run-1") is not None


def test_outage_between_table_commits_then_rerun_loses_nothing(s3: MotoS3, s3_lake_uri: str) -> None:
    lake = LakeStorage(s3_lake_uri)
    window = [batch([10, 11, 12]), batch([12, 13], author="u2")]

    def stop_after_first_table(load) -> None:
        s3.stop()

    with pytest.raises(StorageError, match="cannot"):
        load_window(lake, "run-1", window, specs=SPECS, on_table_loaded=stop_after_first_table)

    s3.start()
    assert read_run_record(lake, "run-1") is None  # users committed, tweets not: window not complete
    summary = load_window(lake, "run-1", window, specs=SPECS)
    assert summary.tables["users"].inserted == 0  # already there from the first attempt
    assert _ids(lake) == [10, 11, 12, 13]
    assert sorted(read_table(lake, "users", columns=["id"])["id"].to_pylist()) == ["u1", "u2"]
    assert read_run_record(lake, "run-1") is not None


def test_delta_options_use_conditional_writes_and_never_unsafe_rename(s3: MotoS3, s3_lake_uri: str) -> None:
    options = LakeStorage(s3_lake_uri).delta_storage_options()
    assert options["conditional_put"] == "etag"
    assert options["AWS_ALLOW_HTTP"] == "true"  # the moto endpoint is http://
    assert options["AWS_ENDPOINT_URL"] == s3.endpoint
    assert not any("UNSAFE" in key.upper() for key in options)
