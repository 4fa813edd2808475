"""`twitter-pipeline sql`: every output format, and one clear line for bad SQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.analyze.conftest import run_cli
from twitter_pipeline.load import read_table
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration

BY_LANG = "SELECT lang, count(*) AS posts FROM tweets GROUP BY lang ORDER BY posts DESC, lang"


@pytest.fixture(scope="module")
def lang_counts(demo_lake: Path) -> dict[str, int]:
    langs = read_table(LakeStorage(str(demo_lake)), "tweets", columns=["lang"]).column("lang").to_pylist()
    return {lang: langs.count(lang) for lang in set(langs)}


def test_table_format(run_main, demo_lake: Path, lang_counts) -> None:
    code, out, err = run_main("sql", BY_LANG, "--lake", str(demo_lake))
    assert code == 0, err
    top = max(lang_counts, key=lambda k: (lang_counts[k], k))
    assert f"{lang_counts[top]}" in out and top in out
    assert f"{len(lang_counts)} rows" in out


def test_table_format_cuts_long_text_and_keeps_markup_literal(run_main, hostile_lake: Path) -> None:
    sql = "SELECT text, '[bold]x[/bold]' AS m FROM tweets ORDER BY id"
    code, out, err = run_main("sql", sql, "--lake", str(hostile_lake))
    assert code == 0, err
    assert "[bold]x[/bold]" in out
    assert "…" in out  # the 80-character hostile text is cut at 60
    assert "今日はデータの日" in out
    code, out, err = run_main("sql", "SELECT * FROM tweets", "--lake", str(hostile_lake), "--max-rows", "1")
    assert code == 0 and "4 rows (showing 1;" in out


def test_csv_to_stdout(demo_lake: Path, lang_counts) -> None:
    done = run_cli("sql", BY_LANG, "--lake", str(demo_lake), "--format", "csv")  # a real process: exit code
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["lang"]: int(r["posts"]) for r in rows} == lang_counts


def test_json_to_file_with_nested_and_huge_values(run_main, demo_lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    sql = "SELECT id, media_keys, sum(like_count) AS likes FROM tweets GROUP BY ALL ORDER BY id LIMIT 5"
    code, _, err = run_main("sql", sql, "--lake", str(demo_lake), "--format", "json", "--out", str(out))
    assert code == 0, err
    rows = json.loads(out.read_text())
    assert len(rows) == 5 and all(isinstance(r["likes"], int) for r in rows)
    assert all(r["media_keys"] is None or isinstance(r["media_keys"], list) for r in rows)
    code, stdout, _ = run_main("sql", "SELECT 1 AS one", "--lake", str(demo_lake), "-f", "json")
    assert code == 0 and json.loads(stdout) == [{"one": 1}]


def test_parquet_needs_out_and_writes_all_rows(run_main, demo_lake: Path, tmp_path: Path) -> None:
    code, _, err = run_main("sql", "SELECT * FROM tweets", "--lake", str(demo_lake), "--format", "parquet")
    assert code != 0 and "--out" in err
    out = tmp_path / "tweets.parquet"
    code, _, err = run_main(
        "sql", "SELECT * FROM tweets", "--lake", str(demo_lake), "-f", "parquet", "-o", str(out)
    )
    assert code == 0, err
    expected = read_table(LakeStorage(str(demo_lake)), "tweets")
    assert pq.read_table(out).num_rows == expected.num_rows


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT * FROM tweetz", ["tweetz", "tables in", "hashtags", "tweets"]),
        ("SELEC 1", ["syntax error", "SELEC"]),
        ("SELECT no_such_column FROM tweets", ["no_such_column"]),
    ],
)
def test_bad_sql_is_one_line_and_non_zero(demo_lake: Path, sql: str, words: list[str]) -> None:
    done = run_cli("sql", sql, "--lake", str(demo_lake))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in done.stderr


def test_unknown_format_and_help(run_main) -> None:
    code, _, err = run_main("sql", "SELECT 1", "--format", "xml")
    assert code != 0 and "table, csv, json, parquet" in err
    code, out, _ = run_main("sql", "--help")
    assert code == 0
    for option in ("--lake", "--format", "--out", "--max-rows"):
        assert option in out
