"""A post that was fetched is a post that lands: a load that fails at any point is repaired by a plain rerun.

Each case breaks the lake's storage at one point of the load (a real write failure, not a mock),
runs the real console script against a real emulator on loopback, unbreaks the storage and runs
the same command again. The rerun must land exactly the posts the server sent, once each, and
fetch no page a second time (the emulator counts every post it serves, duplicates included).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.collections.conftest import QUIET
from tests.engine.conftest import Cli, api_env, raw_pages, raw_post_ids, search_archive, tweet_ids
from tests.fixtures.emulator import EmulatorFactory

pytestmark = pytest.mark.integration

# Where the load breaks. Tables commit in declared order (tweets first, users later); the load's
# completion record `_runs/<run_id>.json` is written after every table.
BREAKS = {
    "after fetch, before load": "tables",  # no table can be written (a small window stages in memory)
    "between two table commits": "tables/users",
    "after the tables, before the run record": "_runs",
}
QUERY = "#python"


def _break(lake: Path, where: str) -> Path:
    blocker = lake / where
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the lake needs a folder: every write below it fails")
    return blocker


def _unbreak(blocker: Path) -> None:
    blocker.unlink()


def _assert_failed_cleanly(done) -> None:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error:"), done.stderr


def _command(kind: str, lake: Path, tmp_path: Path) -> list[str]:
    if kind == "polling":
        return ["run", "--lake", str(lake), "--query", QUERY, "--no-quality"]
    if kind == "closed window":
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        start = end - timedelta(hours=3)
        bounds = ["--start", start.isoformat(), "--end", end.isoformat()]
        return ["run", "--lake", str(lake), "--query", QUERY, *bounds]
    if kind == "account timeline":
        config = tmp_path / "collections.toml"
        config.write_text(f'[[collections]]\nname = "people"\naccounts = ["{QUIET[0]}"]\nlookback = "2d"\n')
        return ["run", "--lake", str(lake), "--collection", "people", "--config", str(config)]
    raise AssertionError(kind)


@pytest.mark.parametrize("point", list(BREAKS))
@pytest.mark.parametrize("kind", ["polling", "closed window", "account timeline"])
def test_a_plain_rerun_lands_every_fetched_post_once(
    cli: Cli, emulator_factory: EmulatorFactory, tmp_path: Path, kind: str, point: str
) -> None:
    server = emulator_factory()
    lake = tmp_path / "lake"
    command, env = _command(kind, lake, tmp_path), api_env(server)

    blocker = _break(lake, BREAKS[point])
    _assert_failed_cleanly(cli(*command, env=env))
    fetched = server.served_ids
    assert fetched, "the failing run fetched posts"
    assert raw_post_ids(lake) == fetched, "every fetched page is in the raw zone"

    _unbreak(blocker)
    rerun = cli(*command, env=env)
    assert rerun.returncode == 0, rerun.stderr

    ids = tweet_ids(lake)
    assert len(ids) == len(set(ids)), "duplicates after the rerun"
    assert set(ids) == server.served_ids, "the lake holds exactly the posts the server sent"
    assert fetched <= set(ids), "every post of the failed run landed"
    assert server.served_total == len(server.served_ids), "a page was fetched twice"
    staged = sorted(str(p.relative_to(lake)) for p in lake.glob("staging/**/*.parquet"))
    assert not staged, "the rerun removed every staged part of the failed load"


@pytest.mark.parametrize("point", list(BREAKS))
def test_an_import_whose_load_failed_is_repaired_by_importing_again(
    cli: Cli, emulator_factory: EmulatorFactory, tmp_path: Path, point: str
) -> None:
    archive = tmp_path / "archive.jsonl"
    sent = search_archive(emulator_factory(), archive, "data OR #python", pages=4)
    lake = tmp_path / "lake"
    command = ["import", str(archive), "--lake", str(lake)]
    env = api_env(emulator_factory())  # imports need no API; the token only marks the lake as live

    blocker = _break(lake, BREAKS[point])
    _assert_failed_cleanly(cli(*command, env=env))
    pages = raw_pages(lake)
    assert pages and raw_post_ids(lake) == sent

    _unbreak(blocker)
    rerun = cli(*command, env=env)
    assert rerun.returncode == 0, rerun.stderr
    ids = tweet_ids(lake)
    assert len(ids) == len(set(ids)) and set(ids) == sent
    assert raw_pages(lake) == pages, "the rerun landed no second copy of the pages"


def test_a_committed_closed_window_is_not_fetched_again(
    cli: Cli, emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    """A committed closed window is complete: running it again fetches nothing and changes nothing."""
    server = emulator_factory()
    lake = tmp_path / "lake"
    command, env = _command("closed window", lake, tmp_path), api_env(server)
    assert cli(*command, env=env).returncode == 0
    before, served = sorted(tweet_ids(lake)), server.served_total
    again = cli(*command, env=env)
    assert again.returncode == 0, again.stderr
    assert sorted(tweet_ids(lake)) == before and server.served_total == served
