"""Help screens as users read them: markup-free, no type noise on flags, commands in workflow order."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, clean_env
from twitter_pipeline.cli.progress import api_errors_text

COMMANDS = ["run", "backfill", "import", "estimate", "collections", "sql", "report", "maintain", "emulator"]
ROOT = Path(__file__).resolve().parents[2]


def _help(*args: str) -> str:
    done = subprocess.run(
        [*CLI, *args, "--help"], capture_output=True, text=True, env=clean_env(), timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_commands_are_listed_in_workflow_order() -> None:
    listing = _help().split("Commands:")[1].splitlines()
    names = [line.split()[0] for line in listing if line.strip()]
    assert names == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_no_type_noise_on_flags(command: str) -> None:
    text = _help(command)
    assert "<bool>" not in text and "╭" not in text  # plain text, fit for a pipe
    options = [line for line in text.splitlines() if line.lstrip().startswith("-")]
    assert not [line for line in options if "<int" in line or "<float" in line or "<str>" in line]
    assert text.startswith(f"Usage: twitter-pipeline {command}")


def test_toml_table_syntax_survives_in_help() -> None:
    assert "[[collections]]" in _help("collections")


def test_api_errors_show_distinct_and_reported_counts() -> None:
    assert api_errors_text(12, {"api_errors": 10}) == "10 (12 reported across pages)"
    assert api_errors_text(3, {"api_errors": 3}) == "3"
    assert api_errors_text(4, {}) == "4"  # nothing loaded (a skipped window): what the pages said


def test_license_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
