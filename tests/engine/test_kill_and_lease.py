"""A run killed while it loads is repaired by the next plain run; two runs of one unit never overlap."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import CLI
from tests.engine.conftest import Cli, api_env, raw_post_ids, tweet_ids
from tests.fixtures.emulator import EmulatorFactory
from twitter_pipeline.emulator import DEMO_QUERY

pytestmark = pytest.mark.integration


def _window_command(lake: Path, hours: int) -> list[str]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    start = end - timedelta(hours=hours)
    return [
        "run",
        "--lake",
        str(lake),
        "--query",
        DEMO_QUERY,
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
    ]


def _start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *command], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for(proc: subprocess.Popen[str], ready, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            return True
        time.sleep(0.005)
    return False


def test_sigkill_during_the_load_then_a_plain_rerun_lands_everything_once(
    cli: Cli, emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    server = emulator_factory()
    lake = tmp_path / "lake"
    command, env = _window_command(lake, hours=4), api_env(server)

    proc = _start(command, env, tmp_path)
    # the first table commit (a window this small is staged in memory: no staging file shows it)
    loading = _wait_for(proc, lambda: any(lake.glob("tables/*/_delta_log/*.json")))
    assert loading, "the run finished before its load began: give it a longer window"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not any(lake.glob("_runs/*.json")), "the load had finished before the kill"
    fetched = server.served_ids
    assert fetched and raw_post_ids(lake) == fetched

    rerun = cli(*command, env=env)
    assert rerun.returncode == 0, rerun.stderr
    ids = tweet_ids(lake)
    assert len(ids) == len(set(ids)), "duplicates after the rerun"
    assert set(ids) == fetched, "every post the killed run fetched landed, and only those"
    assert server.served_total == len(server.served_ids), "no page was fetched twice"
    assert not any(lake.glob("staging/**/*.parquet")), "the killed attempt's staged parts were removed"


def test_a_second_run_of_the_same_window_refuses_while_the_first_runs(
    cli: Cli, emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    server = emulator_factory(delay_ms=150)  # slow pages: the first run is still fetching
    lake = tmp_path / "lake"
    command, env = _window_command(lake, hours=2), api_env(server)

    first = _start(command, env, tmp_path)
    assert _wait_for(first, lambda: any(lake.glob("_leases/*.json"))), first.communicate()
    served_before = server.served_total
    second = cli(*command, env=env)
    assert second.returncode == 7, second.stderr
    last = second.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "another run of" in last and "wait for it" in last, second.stderr
    assert "Traceback" not in second.stderr

    _, err = first.communicate(timeout=240)
    assert first.returncode == 0, err
    ids = tweet_ids(lake)
    assert ids and len(ids) == len(set(ids))
    assert server.served_total == len(server.served_ids), "the refused run fetched no page"
    assert server.served_total >= served_before
    assert not any(lake.glob("_leases/*.json")), "the lease was given up at the end"
