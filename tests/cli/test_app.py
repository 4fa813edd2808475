"""The console script's exit (`cli.entry`): it ends the process at once, but never before a writer does."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def _entry_with_main(
    main_body: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The console script (`cli.entry`) in a subprocess, with `main` replaced by `main_body`."""
    script = (
        "import importlib, os, sys, threading, time\n"
        "from pathlib import Path\n"
        "app = importlib.import_module('twitter_pipeline.cli.app')  # the module, not the Typer app\n"
        "def main():\n" + textwrap.indent(textwrap.dedent(main_body), "    ") + "\n"
        "app.main = main\n"
        "app.entry()\n"
    )
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env)


def test_exit_waits_for_a_thread_still_writing_and_keeps_the_exit_code(tmp_path: Path) -> None:
    target = tmp_path / "page"
    failing_while_a_thread_writes = """
        def write_late():
            time.sleep(0.5)
            Path(sys.argv[1]).write_text("landed")
        threading.Thread(target=write_late).start()  # as an import's raw landing
        raise SystemExit(4)
    """
    done = _entry_with_main(failing_while_a_thread_writes, str(target))
    assert done.returncode == 4, done.stderr
    assert target.read_text() == "landed"


def _pool_of_the_console_script(env: dict[str, str]) -> str:
    done = _entry_with_main("import pyarrow as pa\nprint(pa.default_memory_pool().backend_name)", env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_command_uses_the_measured_arrow_allocator_unless_the_user_chose_one() -> None:
    from twitter_pipeline.cli.app import PROCESS_DEFAULTS

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    assert _pool_of_the_console_script(env) == PROCESS_DEFAULTS["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"
    assert _pool_of_the_console_script({**env, "ARROW_DEFAULT_MEMORY_POOL": "system"}) == "system"


def _threads_after_numpy(env: dict[str, str]) -> int:
    """OS threads of the console script's process once numpy (and its OpenBLAS) is loaded."""
    done = _entry_with_main("import numpy\nprint(len(os.listdir('/proc/self/task')))", env=env)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_the_command_starts_no_blas_threads_unless_the_user_asks_for_them() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    assert _threads_after_numpy(env) == 1  # the main thread alone: nothing spins beside the import
    assert _threads_after_numpy({**env, "OPENBLAS_NUM_THREADS": "2"}) == 2


def test_the_cli_parses_its_arguments_before_loading_the_heavy_libraries() -> None:
    """`--help` answers at once, and `import` starts reading its files while pydantic, pyarrow and
    deltalake load (extract.read_ahead): none of them is imported with the CLI itself."""
    probe = (
        "import sys, twitter_pipeline.cli\n"
        "print(sorted(m for m in ('pydantic', 'pydantic_settings', 'pyarrow', 'numpy', 'deltalake') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
