"""The peer's own virtual environment: twarc-csv 0.7.2 calls ``DataFrame.applymap``, gone in pandas 3.

Created on first use next to the benchmarks (``bench/.venv-twarc``, git-ignored) with the ordinary
``venv`` + ``pip`` clients, so a fresh clone needs no extra setup step; later runs reuse it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.common import BENCH_DIR

TWARC_REQUIREMENTS = ("twarc-csv==0.7.2", "pandas>=2.2,<3")
ENV_VAR = "TWITTER_PIPELINE_BENCH_TWARC_VENV"


def default_venv() -> Path:
    return Path(os.environ.get(ENV_VAR) or BENCH_DIR / ".venv-twarc")


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def is_ready(venv: Path) -> bool:
    python = venv_python(venv)
    if not python.exists():
        return False
    probe = subprocess.run(
        [str(python), "-c", "import twarc_csv, pandas; assert int(pandas.__version__.split('.')[0]) < 3"],
        capture_output=True,
        timeout=120,
    )
    return probe.returncode == 0


def ensure_venv(venv: Path, log=print) -> Path:
    """The venv's python, creating the venv and installing the peer when missing (about a minute)."""
    if is_ready(venv):
        return venv_python(venv)
    log(f"creating the twarc-csv venv at {venv} (one time, about a minute)")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv_python(venv)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *TWARC_REQUIREMENTS],
        check=True,
    )  # fmt: skip
    if not is_ready(venv):
        raise RuntimeError(f"twarc-csv did not install into {venv}: delete the folder and run again")
    return venv_python(venv)
