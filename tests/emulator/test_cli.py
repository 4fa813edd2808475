"""`twitter-pipeline emulator` in a real subprocess: prints its URL, serves, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_emulator_command_serves_until_sigterm() -> None:
    env = {**os.environ, "X_EMULATOR_TOKEN": "cli-secret-token"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from twitter_pipeline.cli import entry; entry()", "emulator", "--port", "0",
         "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        ok = httpx.get(
            url + "/2/tweets/search/recent",
            params={"query": "data"},
            headers={"Authorization": "Bearer cli-secret-token"},
        )
        assert ok.status_code == 200 and ok.json()["meta"]["result_count"] == 10
        denied = httpx.get(
            url + "/2/tweets/search/recent", params={"query": "data"}, headers={"Authorization": "Bearer x"}
        )
        assert denied.status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "cli-secret-token" not in err


def test_emulator_help_explains_options() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from twitter_pipeline.cli import entry; entry()", "emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    options = "--port --host --seed --token --posts-per-hour --burst-every --error-rate --truncate-rate"
    for option in (*options.split(), "--reset-rate", "--usage-cap", "--delay-ms", "X_EMULATOR_TOKEN"):
        assert option in out
