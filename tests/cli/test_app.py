"""The console script's exit (`cli.entry`): it ends the process at once, but never before a writer does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# `main` fails while a worker thread (as an import's raw landing) is still writing a file.
FAILING_WHILE_A_THREAD_WRITES = """
import importlib, sys, threading, time
from pathlib import Path

app = importlib.import_module("twitter_pipeline.cli.app")  # the module (the package exports the Typer app)

def write_late():
    time.sleep(0.5)
    Path(sys.argv[1]).write_text("landed")

def failing_main():
    threading.Thread(target=write_late).start()
    raise SystemExit(4)

app.main = failing_main
app.entry()
"""


def test_exit_waits_for_a_thread_still_writing_and_keeps_the_exit_code(tmp_path: Path) -> None:
    target = tmp_path / "page"
    done = subprocess.run(
        [sys.executable, "-c", FAILING_WHILE_A_THREAD_WRITES, str(target)], capture_output=True, text=True
    )
    assert done.returncode == 4, done.stderr
    assert target.read_text() == "landed"
