"""Output fit for pipes and scripts: no 80-column squeeze outside a terminal, `--format json`, wide `sql`."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, clean_env
from tests.collections.conftest import QUIET, SEARCH_AND_ACCOUNTS

pytestmark = pytest.mark.integration


def _cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=clean_env(**env), cwd=cwd, timeout=240
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small lake from a two-page demo run, whose summary comes back as JSON."""
    where = tmp_path_factory.mktemp("out") / "lake"
    done = _cli("run", "--lake", str(where), "--max-pages", "2", "--format", "json", cwd=where.parent)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # stdout is exactly one JSON document
    assert summary["pages"] == 2 and summary["posts"] > 0 and summary["lake"] == str(where)
    assert summary["complete"] is False and summary["table_rows"]["tweets"] == summary["posts"]
    return where


def test_collections_through_a_pipe_keep_one_line_per_row(tmp_path: Path, lake: Path) -> None:
    (tmp_path / "collections.toml").write_text(SEARCH_AND_ACCOUNTS)
    listing = _cli("collections", "--lake", str(lake), cwd=tmp_path, COLUMNS="60")
    assert listing.returncode == 0, listing.stderr
    people = [line for line in listing.stdout.splitlines() if "people" in line]
    assert len(people) == 1 and f"@{QUIET[0]}, @{QUIET[1]}" in people[0]  # grep finds the whole row
    assert "never run" in people[0]

    as_json = _cli("collections", "--lake", str(lake), "--format", "json", cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    rows = json.loads(as_json.stdout)
    assert [r["name"] for r in rows] == ["ai", "people"] and rows[1]["kind"] == "accounts"

    bad = _cli("collections", "--format", "xml", cwd=tmp_path)
    assert bad.returncode == 2 and "error: --format 'xml' is unknown" in bad.stderr


def test_maintain_json_lists_every_table(tmp_path: Path, lake: Path) -> None:
    args = ["maintain", "--lake", str(lake), "--format", "json", "-t", "tweets", "-t", "users"]
    done = _cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(r["table"] for r in json.loads(done.stdout)) == ["tweets", "users"]


def test_sql_wide_result_in_a_pipe_is_one_line_per_row(tmp_path: Path, lake: Path) -> None:
    done = _cli("sql", "select * from tweets limit 3", "--lake", str(lake), cwd=tmp_path, COLUMNS="80")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 3 and all("fetched_at" not in r and r.count("│") > 20 for r in rows)
    header = next(line for line in done.stdout.splitlines() if "created_at" in line)
    assert "fetched_at" in header  # every column on the header line, none folded away


def test_sql_wide_result_in_a_terminal_is_shown_as_records(tmp_path: Path, lake: Path) -> None:
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "sql", "select * from tweets limit 2", "--lake", str(lake)],
        stdout=secondary,
        stderr=subprocess.PIPE,
        env=clean_env(COLUMNS="100"),
        cwd=tmp_path,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert proc.wait(timeout=120) == 0
    screen = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode())  # styles stay under NO_COLOR
    assert screen.count("-[ record ") == 2
    assert any(line.startswith("fetched_at") for line in screen.splitlines())
    assert "shown as records" in screen and "--format csv or json" in screen
    assert max(len(line.rstrip()) for line in screen.splitlines()) <= 100


def test_import_and_backfill_summaries_as_json(tmp_path: Path) -> None:
    archive = Path(__file__).resolve().parents[1] / "fixtures" / "api_pages" / "archive.jsonl"
    lake = tmp_path / "lake"
    imported = _cli("import", str(archive), "--lake", str(lake), "--format", "json", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    summary = json.loads(imported.stdout)
    assert summary["source"] == "import" and summary["pages"] >= 1 and summary["posts"] >= 1

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    window = ["--start", (end - timedelta(hours=1)).isoformat(), "--end", end.isoformat()]
    other = tmp_path / "demo"
    back = _cli("backfill", *window, "--every", "1h", "--lake", str(other), "--format", "json", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    totals = json.loads(back.stdout)
    assert totals["windows"] == 1 and totals["posts"] > 0 and totals["lake"] == str(other)
