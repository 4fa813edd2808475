"""SIGKILL a real extract process at several points, resume it, and check nothing is lost or doubled."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from twitter_pipeline.emulator import DEMO_QUERY
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKER = Path(__file__).with_name("extract_worker.py")
START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(minutes=60)


def start_worker(server, lake: Path) -> subprocess.Popen:
    env = {**os.environ, "X_BEARER_TOKEN": server.token}
    args = [sys.executable, str(WORKER), server.base_url, str(lake), DEMO_QUERY, "all", "100",
            START.isoformat(), END.isoformat()]  # fmt: skip
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def page_files(lake: Path) -> list[Path]:
    return sorted(p for p in (lake / "raw").rglob("page-*.jsonl.gz") if ".tmp-" not in p.name)


def kill_after(proc: subprocess.Popen, lake: Path, pages: int, timeout: float = 60) -> bool:
    """SIGKILL once `pages` raw pages exist (0: as soon as the run has claimed its checkpoint)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        ready = len(page_files(lake)) >= pages if pages else any((lake / "state").rglob("checkpoints/*.json"))
        if ready:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    proc.wait()
    return False


def test_sigkill_at_several_points_then_resume(emulator_factory, tmp_path):
    server = emulator_factory(delay_ms=60)
    lake = tmp_path / "lake"
    kills = 0
    for point in (0, 2, 6, 11):
        if kill_after(start_worker(server, lake), lake, point):
            kills += 1
    assert kills >= 3, "the worker finished before it could be killed: make the emulator slower"

    final = start_worker(server, lake)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()
    result = orjson.loads(out.splitlines()[-1])
    assert result["complete"] and result["resumed"]

    raw = RawZone(LakeStorage(str(lake)))
    files = page_files(lake)
    assert len(files) == result["pages"]
    assert [f.name for f in files] == [f"page-{n:06d}.jsonl.gz" for n in range(1, len(files) + 1)]
    assert {f.parent.name for f in files} == {f"run={result['run_id']}"}  # one run, continued

    ids = [post["id"] for key in result["raw_keys"] for post in raw.read(key).payload.get("data") or []]
    assert len(ids) == len(set(ids)), "a post landed twice"
    assert set(ids) == server.served_ids, "served posts are missing from the raw zone"
    assert result["posts"] == len(ids)

    # Every page request succeeded once, except at most the one in flight when a kill hit.
    tokens = collections.Counter(r.params.get("next_token") for r in server.requests if r.status == 200)
    refetched = sum(n - 1 for n in tokens.values())
    assert refetched <= kills
    assert len(tokens) == result["pages"]

    state_files = list((lake / "state").rglob("*.json"))
    assert not [p for p in state_files if "/checkpoints/" in str(p)], "the checkpoint must be cleared"
    assert [p for p in state_files if "/windows/" in str(p)], "the window must be recorded complete"
