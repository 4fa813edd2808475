"""Helpers for driving the real `twitter-pipeline` console script (`cli.entry`) in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

CLI = [sys.executable, "-c", "from twitter_pipeline.cli import entry; entry()"]
# Variables that would switch the CLI away from its embedded defaults.
_CONTRACT_VARS = (
    "X_BEARER_TOKEN",
    "X_API_BASE_URL",
    "TWITTER_PIPELINE_LAKE",
    "TWITTER_PIPELINE_QUERY",
    "TWITTER_PIPELINE_SOURCE",
)


def clean_env(*, synthetic: bool | None = None, **extra: str) -> dict[str, str]:
    """No contract variables. Without a token the emulator is chosen explicitly (`synthetic`), as
    lakes in tmp are not the zero-config demo lake; pass ``synthetic=False`` to test that rule."""
    env = {k: v for k, v in os.environ.items() if k not in _CONTRACT_VARS}
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    if synthetic is None:
        synthetic = "X_BEARER_TOKEN" not in extra
    if synthetic:
        env["TWITTER_PIPELINE_SOURCE"] = "emulator"
    env.update(extra)
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
