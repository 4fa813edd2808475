"""The CLI as a user runs it: run/backfill --collection, the `collections` listing, bad config."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import clean_env
from tests.cli.conftest import cli as cli  # the lead's subprocess-runner fixture
from tests.collections.conftest import QUIET, SEARCH_AND_ACCOUNTS

pytestmark = pytest.mark.integration

CONFIG = SEARCH_AND_ACCOUNTS


def test_run_collections_then_list_them(cli, tmp_path: Path) -> None:
    config = tmp_path / "collections.toml"
    config.write_text(CONFIG)
    lake = str(tmp_path / "lake")
    listing = cli("collections", "--lake", lake, "--json")  # ./collections.toml in the working dir
    assert listing.returncode == 0, listing.stderr
    assert '"last_status":null' in listing.stdout and '"name":"people"' in listing.stdout

    done = cli("run", "--collection", "ai", "--collection", "people", "--lake", lake, "--source", "emulator")
    assert done.returncode == 0, done.stderr
    assert "collection ai" in done.stdout and "collection people" in done.stdout
    # Handles already in `users` (an author the #AI search just landed) need no lookup: 0 to 2.
    assert re.search(r"2 resolved, [0-2] looked up", done.stdout), done.stdout

    table = cli("collections", "--lake", lake, env=clean_env(COLUMNS="250"))
    assert table.returncode == 0, table.stderr
    lines = {line.split("│")[1].strip(): line for line in table.stdout.splitlines() if line.startswith("│")}
    assert set(lines) == {"ai", "people"}
    assert "#AI -is:retweet" in lines["ai"] and f"@{QUIET[0]}, @{QUIET[1]}" in lines["people"]
    assert "@daily" in lines["people"] and " ok " in lines["ai"]

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=2)
    back = cli(
        "backfill",
        "--collection",
        "people",
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--every",
        "1h",
        "--lake",
        lake,
        "--source",
        "emulator",
        "--config",
        str(config),
    )
    assert back.returncode == 0, back.stderr
    assert "windows" in back.stdout and "people" in back.stdout


def test_config_mistakes_are_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    (tmp_path / "collections.toml").write_text('[[collections]]\nname = "a"\nquery = ""\n')
    bad = cli("collections")
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0
    assert "query is empty" in bad.stderr
    (tmp_path / "collections.toml").write_text(CONFIG)
    unknown = cli("run", "--collection", "nope", "--source", "emulator")
    assert unknown.returncode == 2 and "no collection named 'nope'" in unknown.stderr
    mixed = cli("run", "--collection", "ai", "--query", "x", "--source", "emulator")
    assert mixed.returncode == 2 and "cannot be combined with --collection" in mixed.stderr
