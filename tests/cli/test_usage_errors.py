"""Usage mistakes through the real console script: the usage line, one `error:` line, exit 2, no traceback.

Also with ``click`` unimportable: the no-Airflow install has typer (which bundles its own click) but no
``click`` package, and the handler must not depend on it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.conftest import CLI, clean_env

NO_CLICK = [
    sys.executable,
    "-c",
    "import sys; sys.modules['click'] = None; from twitter_pipeline.cli import entry; entry()",
]

CASES = [
    # (arguments, text the error line must contain)
    (["run", "--qeury", "x"], "--qeury"),
    (["backfill"], "--start"),
    (["backfill", "--start", "2026-01-01"], "--end"),
    (["run", "--max-pages", "0"], "--max-pages"),
    (["sql"], "STATEMENT"),
    (["import"], "FILE"),
    (["emulator", "--port", "abc"], "--port"),
    (["bogus"], "bogus"),
    (["run", "--query"], "--query"),
    (["maintain", "--retention-hours", "-1"], "--retention-hours"),
]


def _run(cmd: list[str], args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=clean_env(), timeout=60)


@pytest.mark.parametrize("cmd", [CLI, NO_CLICK], ids=["installed", "without-click"])
@pytest.mark.parametrize(("args", "named"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_usage_mistake_is_usage_line_and_one_error_line(cmd: list[str], args: list[str], named: str) -> None:
    done = _run(cmd, args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("Usage: twitter-pipeline"), done.stderr
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and named in errors[0], done.stderr
    assert "--help" in errors[0]  # says where to look
    assert done.stdout == ""  # nothing for a pipe to consume


@pytest.mark.parametrize("cmd", [CLI, NO_CLICK], ids=["installed", "without-click"])
def test_no_arguments_prints_help_and_exits_2(cmd: list[str]) -> None:
    done = _run(cmd, [])
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert "Usage: twitter-pipeline" in done.stdout and "run" in done.stdout


def test_help_exits_0() -> None:
    done = _run(CLI, ["run", "--help"])
    assert done.returncode == 0 and "--max-pages" in done.stdout


def test_bad_storage_timeout_is_one_line(cli) -> None:
    result = cli("sql", "SELECT 1", env={**clean_env(), "TWITTER_PIPELINE_STORAGE_TIMEOUT": "soon"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: TWITTER_PIPELINE_STORAGE_TIMEOUT is invalid: Input should be a valid number, "
        "unable to parse string as a number"
    ]
