"""Synthetic posts never enter a real lake, and real posts never enter a demo lake.

Each lake records on its first write which kind of source it holds (`_source.json`); a run of
the other kind refuses in one line before it fetches anything.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.cli.conftest import clean_env
from tests.engine.conftest import Cli, api_env, tweet_ids
from tests.fixtures.emulator import EmulatorFactory

pytestmark = pytest.mark.integration


def _closed_window() -> list[str]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return ["--start", (end - timedelta(hours=1)).isoformat(), "--end", end.isoformat()]


def _refused(done, lake: Path) -> None:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "use another lake" in last, done.stderr


def test_a_live_run_refuses_a_lake_that_holds_synthetic_posts(
    cli: Cli, emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    command = ["run", "--lake", str(lake), "--query", "#python", *_closed_window()]
    demo = cli(*command, env=clean_env())  # no token, emulator chosen explicitly
    assert demo.returncode == 0, demo.stderr
    synthetic = sorted(tweet_ids(lake))
    assert synthetic
    assert orjson.loads((lake / "_source.json").read_bytes())["kind"] == "emulator"

    server = emulator_factory()
    live = cli(*command, env=api_env(server))
    _refused(live, lake)
    assert server.served_total == 0, "the refused run fetched nothing (no read billed)"
    assert sorted(tweet_ids(lake)) == synthetic, "the lake is unchanged"


def test_a_synthetic_run_refuses_a_live_lake(
    cli: Cli, emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    command = ["run", "--lake", str(lake), "--query", "#python", *_closed_window()]
    server = emulator_factory()
    live = cli(*command, env=api_env(server))
    assert live.returncode == 0, live.stderr
    recorded = orjson.loads((lake / "_source.json").read_bytes())
    assert recorded["kind"] == "api" and recorded["base_url"] == server.base_url
    real = sorted(tweet_ids(lake))

    _refused(cli(*command, "--source", "emulator", env=clean_env()), lake)
    assert sorted(tweet_ids(lake)) == real


def test_no_token_on_a_chosen_lake_is_an_error_not_synthetic_data(cli: Cli, tmp_path: Path) -> None:
    """Only the zero-config demo (default ./lake) may fall back to the emulator without being asked."""
    lake = tmp_path / "mylake"
    done = cli("run", "--lake", str(lake), "--query", "#python", env=clean_env(synthetic=False))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "X_BEARER_TOKEN" in done.stderr.strip().splitlines()[-1], done.stderr
    assert tweet_ids(lake) == []


def test_zero_config_demo_says_the_posts_are_synthetic(cli: Cli, tmp_path: Path) -> None:
    done = cli("run", "--query", "#python", "--max-pages", "1", env=clean_env(synthetic=False))
    assert done.returncode == 0, done.stderr
    assert "synthetic" in done.stderr.lower(), done.stderr
    assert tweet_ids(tmp_path / "lake"), "the demo lake ./lake in the working directory holds the posts"
