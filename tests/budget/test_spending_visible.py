"""Spending is visible: the `usage` table answers SQL; the report shows reads per day against the budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.budget.test_budget_holds import QUERY, START, settings_for
from tests.fixtures.emulator import EmulatorFactory
from twitter_pipeline import pipeline
from twitter_pipeline.analyze.lake_sql import connect
from twitter_pipeline.analyze.report import build_report
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration


def test_usage_table_and_report_panel(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    server = emulator_factory(now=datetime(2026, 3, 1, tzinfo=UTC))
    lake = tmp_path / "lake"
    settings = settings_for(server, lake, max_posts_per_month=50_000)
    runs = [
        pipeline.run(settings, query=QUERY, start=START + k * timedelta(minutes=20),
                     end=START + (k + 1) * timedelta(minutes=20), source="api", max_posts=5_000)
        for k in range(2)
    ]  # fmt: skip
    read = sum(r.posts_read for r in runs)
    assert read == server.posts_read > 0
    with connect(LakeStorage(str(lake))) as con:
        rows = con.query("SELECT run_id, posts_read, posts_estimated, max_posts_per_run, max_posts_per_month "
                         "FROM usage ORDER BY run_id").to_pylist()  # fmt: skip
    assert [r["run_id"] for r in rows] == sorted(r.run_id for r in runs)
    assert [r["posts_read"] for r in rows] == [r["posts_estimated"] for r in rows]
    assert {(r["max_posts_per_run"], r["max_posts_per_month"]) for r in rows} == {(5_000, 50_000)}
    report = build_report(str(lake))
    assert "spending" in report.sections
    month = datetime.now(UTC)
    assert f"{read:,} posts read in {month:%B %Y} of a 50,000 monthly budget" in report.html
    assert "Post reads per day against the monthly budget" in report.html
