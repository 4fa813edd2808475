"""`twitter-pipeline report`: a self-contained page on empty, demo, hostile and S3 lakes."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.analyze.conftest import HOSTILE_TEXT, run_cli
from twitter_pipeline.analyze.report import build_report
from twitter_pipeline.load import read_table
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration

SECTIONS = [
    "posts-over-time",
    "sentiment",
    "hashtags",
    "mentions",
    "active-authors",
    "engaged-authors",
    "languages",
    "post-types",
    "engagement",
    "media",
    "top-posts",
    "places",
    "api-errors",
    "quality",
    "spending",
]


class _Tags(HTMLParser):
    """Collects tags and attributes, to check what a browser would execute or fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def assert_self_contained(page: str) -> None:
    tags = _tags(page)
    assert not [t for t, _ in tags if t in {"script", "iframe", "object", "embed", "link"}]
    for tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/svg+xml;base64,")
    assert "http://" not in page.replace('xmlns="http://www.w3.org', "")


def test_empty_lake_report_says_so(tmp_path: Path) -> None:
    out = tmp_path / "empty.html"
    (tmp_path / "new-lake").mkdir()  # an empty folder is a lake to be; a missing one is an error
    done = run_cli("report", "--lake", str(tmp_path / "new-lake"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "This lake has no tables yet" in page
    assert "No data-quality results" in page
    for key in SECTIONS:
        assert f'id="{key}"' in page
    assert 'data-chart="1"' not in page
    assert_self_contained(page)


def test_demo_lake_report(demo_lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = run_cli("report", "--lake", str(demo_lake), "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    posts = read_table(LakeStorage(str(demo_lake)), "tweets", columns=["id"]).num_rows
    assert f'{posts:,}</div><div class="kpi-label">posts' in page
    assert page.count('data-chart="1"') >= 8
    for key in SECTIONS:
        assert f'id="{key}"' in page
    assert "all checks passed" in page or "failed" in page  # the quality panel read the table
    assert str(demo_lake) in page
    assert_self_contained(page)
    assert f"report: {out}" in done.stderr


def test_window_options(run_main, demo_lake: Path, demo_window_bounds, tmp_path: Path) -> None:
    start, end = demo_window_bounds
    outside = build_report(str(demo_lake), end, end.replace(year=end.year + 1))
    assert outside.posts == 0 and "No posts were created in this window" in outside.html
    inside = build_report(str(demo_lake), start, end)
    assert inside.posts > 0
    code, _, err = run_main("report", "--lake", str(demo_lake), "--start", str(end), "--end", str(start))
    assert code == 2 and "--start must be before --end" in err
    code, _, err = run_main("report", "--lake", str(demo_lake), "--start", "yesterday")
    assert code == 2 and "ISO 8601" in err


def test_user_text_is_escaped(hostile_lake: Path) -> None:
    page = build_report(str(hostile_lake)).html
    assert HOSTILE_TEXT not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page  # markupsafe spells " as &#34;
    assert "&lt;img src=x onerror=alert(" in page  # the display name, cut to fit
    assert_self_contained(page)
    assert "今日はデータの日" in page and "البيانات رائعة اليوم" in page
    assert re.search(r'<div class="post" dir="auto" lang="ar">', page)


def test_report_on_s3(s3_lake_uri: str, tmp_path: Path, demo_window_bounds) -> None:
    from twitter_pipeline import pipeline
    from twitter_pipeline.settings import load_settings

    start, _ = demo_window_bounds
    summary = pipeline.run(
        load_settings(lake=s3_lake_uri),
        source="emulator",
        start=start,
        end=start + timedelta(minutes=3),
    )
    assert summary.posts > 0
    page = build_report(s3_lake_uri).html
    posts = read_table(LakeStorage(s3_lake_uri), "tweets", columns=["id"]).num_rows
    assert posts == summary.table_rows["tweets"]
    assert f'{posts:,}</div><div class="kpi-label">posts' in page
    assert page.count('data-chart="1"') >= 8
    sql = run_cli(
        "sql", "SELECT count(*) AS n FROM tweets WHERE lang = 'en'", "--lake", s3_lake_uri, "-f", "csv"
    )
    assert sql.returncode == 0, sql.stderr
    assert int(sql.stdout.splitlines()[1]) > 0
