"""The README's exit-code table is the code's: every row matches the exception (or signal) behind it."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

from tests.cli.conftest import CLI, clean_env
from twitter_pipeline import errors
from twitter_pipeline.cli.interrupt import Interrupted
from twitter_pipeline.engine.lease import LeaseHeldError

README = Path(__file__).resolve().parents[2] / "README.md"

BEHIND = {
    1: errors.PipelineError,
    2: errors.ConfigError,
    3: errors.ApiError,
    4: errors.StorageError,
    5: errors.InputError,
    6: errors.QualityError,
    7: LeaseHeldError,
    8: errors.NoLakeError,
    9: errors.BudgetError,
}


def _readme_codes() -> dict[str, str]:
    section = README.read_text(encoding="utf-8").split("| exit code | meaning |", 1)[1]
    rows = re.findall(r"^\| ([0-9 /]+) \| (.+) \|$", section.split("\n\n", 1)[0], flags=re.M)
    return {code.strip(): meaning for code, meaning in rows}


def test_every_documented_exit_code_is_the_code_of_its_error() -> None:
    documented = _readme_codes()
    assert set(documented) == {"0", *(str(c) for c in BEHIND), "130 / 143"}
    for code, error in BEHIND.items():
        assert error.exit_code == code, error
    assert (Interrupted(signal.SIGINT).exit_code, Interrupted(signal.SIGTERM).exit_code) == (130, 143)
    # every error class users can meet has a row
    users_errors = [
        c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.PipelineError)
    ]
    assert {c.exit_code for c in users_errors} <= set(BEHIND)


def test_a_lake_that_cannot_be_written_exits_4(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    done = subprocess.run(
        [*CLI, "run", "--lake", str(blocker / "lake")],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 4, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: cannot write")
    assert "Traceback" not in done.stderr


def test_an_unexpected_failure_is_one_line_and_exit_1(
    tmp_path: Path,
    monkeypatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    """A bug of ours (not a PipelineError) still ends as one `error:` line, never a traceback."""
    import sys

    import pytest

    from twitter_pipeline import pipeline
    from twitter_pipeline.cli.app import main

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("boom\nsecond line")

    archive = tmp_path / "a.jsonl"
    archive.write_text('{"data": []}\n')
    monkeypatch.setattr(pipeline, "import_files", broken)
    monkeypatch.setattr(
        sys, "argv", ["twitter-pipeline", "import", str(archive), "--lake", str(tmp_path / "lake")]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "error: unexpected failure (ValueError: boom); this is a bug in twitter-pipeline: "
        "rerun with --log-level debug for the traceback and report it"
    )
