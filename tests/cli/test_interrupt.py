"""Ctrl-C and SIGTERM in the middle of a real run: exit 130/143, one line saying what was kept, resumable."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, clean_env
from twitter_pipeline.load import read_table
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration


def _interrupt_after_pages(lake: Path, signum: int, pages: int = 3) -> subprocess.CompletedProcess[str]:
    """Start `run`, wait until `pages` responses have arrived (info log lines), then send `signum`."""
    args = [*CLI, "--log-level", "info", "run", "--lake", str(lake)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    assert proc.stderr is not None
    seen: list[str] = []
    for line in proc.stderr:
        seen.append(line)
        if sum("/search/recent -> 200" in s for s in seen) >= pages:  # pages, not counts or usage
            proc.send_signal(signum)
            break
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(args, proc.returncode, out, "".join(seen) + err)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_run_exits_128_plus_signal_and_the_next_run_resumes(
    tmp_path: Path, signum: int, code: int
) -> None:
    lake = tmp_path / "lake"
    stopped = _interrupt_after_pages(lake, signum)
    assert stopped.returncode == code, stopped.stderr[-2000:]
    assert "Traceback" not in stopped.stderr
    lines = [line for line in stopped.stderr.splitlines() if line.startswith("interrupted")]
    assert len(lines) == 1, stopped.stderr[-2000:]
    line = lines[0]
    assert signal.Signals(signum).name in line
    assert "page(s)" in line and str(lake) in line  # what is already safe, and where
    assert f"run --lake {lake}` again to resume" in line
    assert stopped.stdout == ""  # no half summary on stdout
    assert list((lake / "raw").rglob("*.jsonl.gz"))  # the fetched pages are kept

    again = subprocess.run(
        [*CLI, "run", "--lake", str(lake)], capture_output=True, text=True, env=clean_env(), timeout=240
    )
    assert again.returncode == 0, again.stderr
    ids = read_table(LakeStorage(str(lake)), "tweets", columns=["id"]).column("id").to_pylist()
    assert ids and len(ids) == len(set(ids))
