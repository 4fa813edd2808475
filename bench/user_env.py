"""Our command as a user installs it: ``pip install .`` (pinned by constraints.txt) in its own venv.

The development venv holds the test extras, pandas among them, and pyarrow imports pandas on its
first ``pa.array`` call when it is installed (+0.3 s per process). A user's ``pip install
twitter-pipeline`` has no pandas, so the import benchmark runs the command from a venv with only
the package's own dependencies, just as twarc-csv runs from its own. Created in the benchmarks'
cache folder (outside the repository: linters and test discovery never see it); the package itself
is reinstalled from the working tree on every run, so the figures are those of the code measured.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.common import DEFAULT_CACHE, REPO_DIR

DEFAULT_VENV = DEFAULT_CACHE / "venv-user"


def _pip(venv: Path, *args: str) -> None:
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        check=True,
        timeout=1800,
    )


def user_cli(venv: Path = DEFAULT_VENV, log=print) -> str:
    """``twitter-pipeline`` of the user venv, with the working tree's code installed (not editable)."""
    cli = venv / "bin" / "twitter-pipeline"
    if not cli.exists():
        log(f"creating the user venv at {venv} (one time, about a minute)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        _pip(venv, "-c", str(REPO_DIR / "constraints.txt"), str(REPO_DIR))
    else:
        _pip(venv, "-c", str(REPO_DIR / "constraints.txt"), str(REPO_DIR))  # new dependencies, if any
        _pip(venv, "--no-deps", "--force-reinstall", str(REPO_DIR))  # this tree's code
    return str(cli)
