"""Commands that read the lake check it first; `sql` runs exactly one statement; --out needs its folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, clean_env

NO_LAKE = 8  # errors.NoLakeError.exit_code, promised in the README's exit-code table


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=clean_env(), cwd=cwd, timeout=120
    )


def _one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


READERS = [
    ["sql", "select 1"],
    ["report", "--out", "r.html"],
    ["maintain"],
]


@pytest.mark.parametrize("command", READERS, ids=[c[0] for c in READERS])
@pytest.mark.parametrize(
    ("make", "says"),
    [
        ("file", "is a file, not a lake"),
        ("missing", "no lake at"),
        ("other", "is not a lake"),
    ],
)
def test_reading_something_that_is_not_a_lake(
    tmp_path: Path, command: list[str], make: str, says: str
) -> None:
    target = tmp_path / "target"
    if make == "file":
        target.write_text("not a lake\n")
    elif make == "other":
        (target / "photos").mkdir(parents=True)
    done = _cli(*command, "--lake", str(target), cwd=tmp_path)
    assert done.returncode == NO_LAKE
    line = _one_error(done)
    assert says in line and str(target) in line
    assert not (tmp_path / "r.html").exists()


def test_collections_on_a_file_is_an_error_but_a_new_lake_is_not(tmp_path: Path) -> None:
    (tmp_path / "collections.toml").write_text('[[collections]]\nname = "a"\nquery = "x"\n')
    (tmp_path / "afile").write_text("")
    bad = _cli("collections", "--lake", str(tmp_path / "afile"), cwd=tmp_path)
    assert bad.returncode == NO_LAKE and "is a file" in _one_error(bad)
    new = _cli("collections", "--lake", str(tmp_path / "not-yet"), "--format", "json", cwd=tmp_path)
    assert new.returncode == 0, new.stderr
    assert '"name":"a"' in new.stdout


@pytest.mark.parametrize(("statement", "says"), [("select 1; select 2", "2 statements"), ("  ", "no SQL")])
def test_sql_runs_exactly_one_statement(tmp_path: Path, statement: str, says: str) -> None:
    (tmp_path / "lake").mkdir()
    done = _cli("sql", statement, "--lake", str(tmp_path / "lake"), cwd=tmp_path)
    assert done.returncode == 2
    assert says in _one_error(done) and done.stdout == ""


def test_out_into_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    out = tmp_path / "no" / "such" / "x.csv"
    done = _cli(
        "sql", "select 1", "-f", "csv", "-o", str(out), "--lake", str(tmp_path / "lake"), cwd=tmp_path
    )
    assert done.returncode == 2 and "does not exist" in _one_error(done)
    assert not (tmp_path / "no").exists()  # nothing created on the way
    report = _cli("report", "--lake", str(tmp_path / "lake"), "--out", str(out), cwd=tmp_path)
    assert report.returncode == 2 and "does not exist" in _one_error(report)
    assert not (tmp_path / "no").exists()
