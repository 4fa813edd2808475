"""Helpers for driving the real `twitter-pipeline` console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

CLI = [sys.executable, "-c", "from twitter_pipeline.cli import main; main()"]
# Variables that would switch the CLI away from its embedded defaults.
_CONTRACT_VARS = ("X_BEARER_TOKEN", "X_API_BASE_URL", "TWITTER_PIPELINE_LAKE", "TWITTER_PIPELINE_QUERY")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CONTRACT_VARS}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", **extra})
    return env


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the CLI as a user would; returns the finished process (stdout, stderr, returncode)."""

    def invoke(
        *args: str, env: dict[str, str] | None = None, timeout: float = 240
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args],
            capture_output=True,
            text=True,
            env=env or clean_env(),
            cwd=tmp_path,
            timeout=timeout,
        )

    return invoke
