"""The benchmarks still execute: ``python -m bench --smoke`` end to end, at toy sizes.

Timings are printed, never asserted (a shared CI machine makes them noise); what is checked is that
every benchmark ran, produced its rows and wrote a results file describing the machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPECTED_IN_RESULTS = (
    "**CPU**",
    "**Python**",
    "pyarrow",
    "| import | ours (whole process) |",
    "| import | bare parse (whole process) |",
    "import / bare parse of the file (time)",
    "| transform (breakdown) | ours |",
    "| transform (breakdown) | naive pandas |",
    "| transform (breakdown) | bare orjson parse |",
    "ours / bare parse (time)",
    "pipeline peak RSS (quality on)",
    "big lake / near-empty lake (CPU time)",
    "share of the allowed request rate used",
    "| report |",
)


@pytest.mark.integration
def test_every_benchmark_runs_in_smoke_mode(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out), "--cache-dir", str(tmp_path / "cache")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = out.read_text()
    assert "benchmark failed" not in text
    for needle in EXPECTED_IN_RESULTS:
        assert needle in text, f"{needle!r} missing from the results:\n{text}"


def test_help_lists_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    for option in ("--smoke", "--quick", "--posts", "--only", "--out", "--rounds"):
        assert option in result.stdout
