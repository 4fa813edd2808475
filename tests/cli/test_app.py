"""The console script's exit (`cli.entry`): it ends the process at once, but never before a writer does."""

from __future__ import annotations

import os
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


def _pool_of_the_console_script(env: dict[str, str]) -> str:
    script = (
        "import importlib\n"
        "app = importlib.import_module('twitter_pipeline.cli.app')\n"
        "def report():\n"
        "    import pyarrow as pa\n"
        "    print(pa.default_memory_pool().backend_name)\n"
        "app.main = report\n"
        "app.entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


def test_the_command_uses_the_measured_arrow_allocator_unless_the_user_chose_one() -> None:
    from twitter_pipeline.cli.app import ARROW_MEMORY_POOL

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    assert _pool_of_the_console_script(env) == ARROW_MEMORY_POOL
    assert _pool_of_the_console_script({**env, "ARROW_DEFAULT_MEMORY_POOL": "system"}) == "system"
