"""The report DAG: scheduled on the pipeline DAG's tweets Asset, writes the day's report into the lake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.dags.conftest import DAGS_FOLDER, heavy_modules_after_parsing, load_dag

REPORT_DAG_FILE = DAGS_FOLDER / "twitter_report.py"
REPORT_DAG_ID = "twitter_report"


def load_report_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPORT_DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[REPORT_DAG_ID]


def test_scheduled_on_the_asset_the_pipeline_emits(pipeline_env: Path) -> None:
    emitted = load_dag().get_task("check_quality").outlets
    report = load_report_dag()
    scheduled_on = list(report.timetable.asset_condition.objects)
    assert [(a.name, a.uri) for a in scheduled_on] == [(a.name, a.uri) for a in emitted]
    assert scheduled_on[0].uri == f"file://{pipeline_env}/tables/tweets"
    task = report.get_task("publish_report")
    assert task.retries >= 1 and task.execution_timeout is not None
    assert report.doc_md and "reports/report-" in report.doc_md


def test_dag_module_imports_no_heavy_libraries() -> None:
    assert heavy_modules_after_parsing(REPORT_DAG_FILE) == []


@pytest.mark.integration
@pytest.mark.slow
def test_run_writes_todays_report_into_the_lake(airflow_db: Path, pipeline_env: Path) -> None:
    from twitter_pipeline import pipeline
    from twitter_pipeline.settings import load_settings

    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    summary = pipeline.run(load_settings(), source="emulator", start=end - timedelta(minutes=5), end=end)
    assert summary.posts > 0
    run = load_report_dag().test()
    assert run.state == "success"
    today = datetime.now(UTC).date()
    written = pipeline_env / "reports" / f"report-{today:%Y-%m-%d}.html"
    if not written.exists():  # the run straddled midnight UTC
        written = pipeline_env / "reports" / f"report-{end.date():%Y-%m-%d}.html"
    page = written.read_text(encoding="utf-8")
    assert 'data-chart="1"' in page and str(pipeline_env) in page
