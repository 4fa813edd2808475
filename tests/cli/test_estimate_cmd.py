"""`estimate`, `--dry-run` and `--max-posts` through the real console script against a loopback emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import clean_env
from tests.fixtures.emulator import EMULATOR_TEST_TOKEN
from twitter_pipeline.emulator import EmulatorServer
from twitter_pipeline.load import read_table
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration
QUERY = "#python OR #ai"
START, END = "2026-02-28T10:00:00Z", "2026-02-28T12:00:00Z"


@pytest.fixture
def server(emulator_factory) -> EmulatorServer:
    from datetime import UTC, datetime

    return emulator_factory(now=datetime(2026, 3, 1, tzinfo=UTC), usage_cap=1_000_000)


def env_for(server: EmulatorServer, **extra: str) -> dict[str, str]:
    return clean_env(X_BEARER_TOKEN=EMULATOR_TEST_TOKEN, X_API_BASE_URL=server.base_url, **extra)


def search_requests(server: EmulatorServer) -> list:
    return [r for r in server.requests if "/search/" in r.path]


def test_estimate_json_equals_what_the_run_then_reads(cli, server: EmulatorServer, tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    env = env_for(server, TWITTER_PIPELINE_PRICE_PER_POST="0.01")
    done = cli("estimate", "-q", QUERY, "--start", START, "--end", END, "--format", "json", "--lake", lake,
               env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    est = json.loads(done.stdout)
    assert est["granularity"] == "hour" and len(est["buckets"]) == 2
    assert est["posts"] == sum(b["posts"] for b in est["buckets"]) > 0
    assert est["requests"] == -(-est["posts"] // 100)  # one window: pages of 100 posts
    assert est["cost"] == pytest.approx(est["posts"] * 0.01)
    assert est["usage"] == {"cap": 1_000_000, "used": 0, "remaining": 1_000_000, "reset_day": 1}
    assert server.posts_read == 0 and not search_requests(server)
    run = cli("run", "-q", QUERY, "--start", START, "--end", END, "--lake", lake, "--no-quality", env=env)
    assert run.returncode == 0, run.stderr
    assert server.posts_read == est["posts"] == len(read_table(LakeStorage(lake), "tweets", columns=["id"]))
    assert len(search_requests(server)) == est["requests"]
    assert f"{est['posts']} (estimate {est['posts']})" in run.stdout  # the summary's "posts read" row


def test_estimate_table_shows_a_chart_the_cost_and_the_budget(
    cli, server: EmulatorServer, tmp_path: Path
) -> None:
    done = cli("estimate", "-q", QUERY, "--start", START, "--end", END, "--max-posts", "100",
               "--lake", str(tmp_path / "lake"), env=env_for(server))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2026-02-28 10:00  █" in done.stdout and "2026-02-28 11:00  █" in done.stdout
    assert "$" in done.stdout and "per post read" in done.stdout
    assert "does NOT fit" in done.stdout and "1,000,000 this month" in done.stdout


def test_dry_runs_fetch_no_post_and_write_nothing(cli, server: EmulatorServer, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    run = cli("run", "-q", QUERY, "--start", START, "--end", END, "--lake", str(lake), "--dry-run",
              env=env_for(server))  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "dry run: no post was fetched" in run.stdout and "search requests" in run.stdout
    backfill = cli("backfill", "-q", QUERY, "--start", START, "--end", END, "--every", "20m",
                   "--lake", str(lake), "--dry-run", env=env_for(server))  # fmt: skip
    assert backfill.returncode == 0, backfill.stderr
    assert "│ windows            │ 6" in backfill.stdout
    assert server.posts_read == 0 and not search_requests(server) and not lake.exists()


def test_a_max_posts_below_the_window_stops_before_any_read_with_one_line(
    cli, server: EmulatorServer, tmp_path: Path
) -> None:
    done = cli("run", "-q", QUERY, "--start", START, "--end", END, "--lake", str(tmp_path / "lake"),
               "--max-posts", "10", env=env_for(server))  # fmt: skip
    assert done.returncode == 9  # errors.BudgetError
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: budget:") and "per-run budget of 10" in last and "--max-posts" in last
    assert "Traceback" not in done.stderr and server.posts_read == 0


@pytest.mark.parametrize(
    ("args", "fix"),
    [
        (["--granularity", "week"], "--granularity"),
        (["--format", "xml"], "--format"),
        (["-q", QUERY, "--start", START], "--end"),
        (["-c", "people"], "account timelines"),
    ],
)
def test_bad_estimate_options_end_with_one_error_line(
    cli, server: EmulatorServer, tmp_path: Path, args: list[str], fix: str
) -> None:
    config = tmp_path / "collections.toml"
    config.write_text('[[collections]]\nname = "people"\naccounts = ["XDevelopers"]\n')
    done = cli(
        "estimate", "--lake", str(tmp_path / "lake"), "--config", str(config), *args, env=env_for(server)
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and fix in last and "Traceback" not in done.stderr


def test_a_polling_dry_run_counts_what_came_after_the_last_run(cli, emulator_factory, tmp_path: Path) -> None:
    live = emulator_factory()  # wall clock: polling windows end now
    lake, env = str(tmp_path / "lake"), env_for(live)
    first = cli("run", "-q", "data", "--lake", lake, "--no-quality", "--format", "json", env=env)
    assert first.returncode == 0, first.stderr
    read = live.posts_read
    dry = cli("run", "-q", "data", "--lake", lake, "--dry-run", "--format", "json", env=env)
    assert dry.returncode == 0, dry.stderr
    est = json.loads(dry.stdout)["estimates"][0]
    assert 0 <= est["posts"] < read  # seconds of new posts after the last run, not the hour again
    assert live.posts_read == read  # the dry run read nothing
