"""End-to-end `run`: embedded defaults, a separate emulator process, and bad input."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, clean_env
from twitter_pipeline.load import read_table
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration

TABLES_EXPECTED = (
    "tweets",
    "users",
    "media",
    "places",
    "polls",
    "hashtags",
    "mentions",
    "urls",
    "tweet_references",
    "included_tweets",
)


def _window(hours_back: int = 2) -> tuple[str, str]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours_back - 1)
    return (end - timedelta(hours=1)).isoformat(), end.isoformat()


def _tweet_ids(lake: Path) -> list[str]:
    return read_table(LakeStorage(str(lake)), "tweets", columns=["id"]).column("id").to_pylist()


def test_demo_run_fills_every_table_and_rerun_adds_no_duplicates(cli, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = cli("run", "--lake", str(lake))
    assert first.returncode == 0, first.stderr
    assert "emulator" in first.stderr  # the output says the built-in emulator was used
    ids = _tweet_ids(lake)
    assert len(ids) >= 1000 and len(ids) == len(set(ids))
    for name in TABLES_EXPECTED:
        assert (lake / "tables" / name / "_delta_log").is_dir(), name
    assert list((lake / "raw").rglob("*.jsonl.gz"))

    again = cli("run", "--lake", str(lake))
    assert again.returncode == 0, again.stderr
    ids_after = _tweet_ids(lake)
    assert len(ids_after) == len(set(ids_after)) >= len(ids)


def test_closed_window_rerun_is_skipped_and_changes_nothing(cli, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    start, end = _window(3)
    first = cli("run", "--lake", str(lake), "--start", start, "--end", end, "--no-quality")
    assert first.returncode == 0, first.stderr
    before = sorted(_tweet_ids(lake))
    raw_before = sorted(p.name for p in (lake / "raw").rglob("*.jsonl.gz"))
    second = cli("run", "--lake", str(lake), "--start", start, "--end", end, "--no-quality")
    assert second.returncode == 0, second.stderr
    assert "already complete" in second.stdout
    assert sorted(_tweet_ids(lake)) == before
    assert sorted(p.name for p in (lake / "raw").rglob("*.jsonl.gz")) == raw_before
    forced = cli("run", "--lake", str(lake), "--start", start, "--end", end, "--force", "--no-quality")
    assert forced.returncode == 0, forced.stderr
    assert sorted(_tweet_ids(lake)) == before  # fetched again, merged, no duplicates


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def emulator_process(tmp_path: Path):
    """`twitter-pipeline emulator` in its own process, as a user would start it."""
    port, token = _free_port(), "separate-process-token-5f3a9c"
    proc = subprocess.Popen(
        [*CLI, "emulator", "--port", str(port), "--token", token],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("emulator did not start")
    yield f"http://127.0.0.1:{port}", token
    proc.terminate()
    proc.wait(timeout=10)


def test_live_api_path_speaks_real_http_to_a_separate_emulator(cli, tmp_path: Path, emulator_process) -> None:
    base_url, token = emulator_process
    lake = tmp_path / "lake"
    start, end = _window(2)
    env = clean_env(X_BEARER_TOKEN=token, X_API_BASE_URL=base_url, TWITTER_PIPELINE_QUERY="#python OR data")
    done = cli("--log-level", "debug", "run", "--lake", str(lake), "--start", start, "--end", end, env=env)
    assert done.returncode == 0, done.stderr
    assert "source: built-in" not in done.stderr
    ids = _tweet_ids(lake)
    assert ids and len(ids) == len(set(ids))
    # The token must appear nowhere: output, logs, raw zone, state, tables.
    assert token not in done.stdout + done.stderr
    for path in lake.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            assert token.encode() not in data, path

    wrong = clean_env(
        X_BEARER_TOKEN="not-the-right-token", X_API_BASE_URL=base_url, TWITTER_PIPELINE_QUERY="data"
    )
    refused = cli("run", "--lake", str(lake), "--start", start, "--end", end, "--force", env=wrong)
    assert refused.returncode != 0
    assert "X_BEARER_TOKEN" in refused.stderr and "Traceback" not in refused.stderr
    assert "not-the-right-token" not in refused.stderr + refused.stdout
    assert sorted(_tweet_ids(lake)) == sorted(ids)  # what had landed stays intact


@pytest.mark.parametrize(
    ("args", "env_extra", "expect"),
    [
        (("run", "--source", "api"), {}, "X_BEARER_TOKEN"),
        (("run", "--source", "carrier-pigeon"), {}, "--source"),
        (("run",), {"X_BEARER_TOKEN": "t0k3n-for-no-query"}, "TWITTER_PIPELINE_QUERY"),
        (("run", "--start", "yesterday"), {}, "ISO 8601"),
        (("run", "--start", "2026-01-02T00:00:00Z", "--end", "2026-01-01T00:00:00Z"), {}, "--start"),
        (("run", "--endpoint", "sideways"), {}, "--endpoint"),
        (("backfill", "--start", "2026-01-01", "--end", "2026-01-02", "--every", "soon"), {}, "--every"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(cli, tmp_path: Path, args, env_extra, expect) -> None:
    done = (
        cli(*args, "--lake", str(tmp_path / "lake"), env=clean_env(**env_extra))
        if args[0] == "run"
        else cli(*args, env=clean_env(**env_extra))
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error:"), done.stderr
    assert expect in lines[-1]
    assert "Traceback" not in done.stderr
    assert "t0k3n-for-no-query" not in done.stderr + done.stdout


def test_unwritable_lake_fails_cleanly(cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    done = cli("run", "--lake", str(blocker / "lake"))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].startswith("error: cannot write")
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; covered by the file-as-dir case")
def test_read_only_lake_fails_cleanly(cli, tmp_path: Path) -> None:
    lake = tmp_path / "ro"
    lake.mkdir(mode=0o500)
    done = cli("run", "--lake", str(lake))
    assert done.returncode != 0 and "error:" in done.stderr


def test_usage_cap_stops_cleanly_and_keeps_what_was_fetched(cli, tmp_path: Path, emulator_factory) -> None:
    from tests.fixtures.emulator import EMULATOR_TEST_TOKEN

    # A daily cap: /2/usage/tweets reports the monthly one, so the run starts and meets the 429.
    server = emulator_factory(usage_cap=450, usage_cap_period="Daily")
    lake = tmp_path / "lake"
    start, end = _window(2)
    env = clean_env(X_BEARER_TOKEN=EMULATOR_TEST_TOKEN, X_API_BASE_URL=server.base_url)
    done = cli(
        "run", "--lake", str(lake), "--query", "data OR #python", "--start", start, "--end", end, env=env
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "cap" in last.lower() and "Daily" in last
    assert "Traceback" not in done.stderr
    ids = _tweet_ids(lake)
    assert ids and set(ids) == server.served_ids  # every post served before the cap is in the table
    # The cap is never retried in a loop: one refused request, then the run stopped.
    assert sum(1 for r in server.requests if r.status == 429) == 1


def test_a_monthly_cap_reported_by_the_usage_endpoint_stops_the_run_before_any_read(
    cli, tmp_path: Path, emulator_factory
) -> None:
    from tests.fixtures.emulator import EMULATOR_TEST_TOKEN

    server = emulator_factory(usage_cap=450)
    start, end = _window(2)
    env = clean_env(X_BEARER_TOKEN=EMULATOR_TEST_TOKEN, X_API_BASE_URL=server.base_url)
    done = cli("run", "--lake", str(tmp_path / "lake"), "--query", "data OR #python", "--start", start,
               "--end", end, env=env)  # fmt: skip
    assert done.returncode == 9, done.stderr  # errors.BudgetError
    last = done.stderr.strip().splitlines()[-1]
    assert (
        last.startswith("error: budget:")
        and "X API project cap budget of 450" in last
        and "Traceback" not in done.stderr
    )
    assert server.posts_read == 0 and not [r for r in server.requests if "/search/" in r.path]


def test_backfill_splits_windows_matches_one_run_and_skips_complete_ones(cli, tmp_path: Path) -> None:
    start, end = _window(4)
    split_lake, whole_lake = tmp_path / "split", tmp_path / "whole"
    backfill = ("backfill", "--start", start, "--end", end, "--every", "20m", "--lake", str(split_lake))
    first = cli(*backfill, "--no-quality")
    assert first.returncode == 0, first.stderr
    assert "windows" in first.stdout and "3" in first.stdout
    whole = cli("run", "--start", start, "--end", end, "--lake", str(whole_lake), "--no-quality")
    assert whole.returncode == 0, whole.stderr
    split_ids = _tweet_ids(split_lake)
    assert len(split_ids) == len(set(split_ids))
    assert set(split_ids) == set(_tweet_ids(whole_lake))  # three windows = one window, no gap, no overlap

    pages_before = sorted(p.name for p in (split_lake / "raw").rglob("*.jsonl.gz"))
    again = cli(*backfill, "--no-quality")
    assert again.returncode == 0, again.stderr
    assert "skipped" in again.stdout and "│ 3" in again.stdout.split("skipped", 1)[1].splitlines()[0]
    assert sorted(p.name for p in (split_lake / "raw").rglob("*.jsonl.gz")) == pages_before
