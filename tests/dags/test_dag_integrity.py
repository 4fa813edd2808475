"""The DAG file parses cleanly, quickly, and declares the schedule and safety settings we rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.dags.conftest import DAG_FILE, DAG_ID, DAGS_FOLDER, heavy_modules_after_parsing, load_dag


def test_dagbag_has_no_import_errors() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    assert DAG_ID in bag.dag_ids


def test_dag_module_imports_no_heavy_libraries() -> None:
    """Parse-time work stays tiny: the scheduler parses the file every 30 s; data libraries load in tasks."""
    assert heavy_modules_after_parsing(DAG_FILE) == []


def test_tasks_wiring_and_safety_settings() -> None:
    dag = load_dag()
    assert [t.task_id for t in dag.topological_sort()] == ["collect", "check_quality"]
    collect, quality = (dag.get_task(t) for t in ("collect", "check_quality"))
    assert collect.pool == "x_api"
    assert dag.max_active_runs >= 1
    for task in (collect, quality):
        assert task.retries >= 1
        assert task.retry_exponential_backoff
        assert task.execution_timeout is not None
    assert [outlet.uri for outlet in quality.outlets] == [dag.get_task("check_quality").outlets[0].uri]
    assert quality.outlets[0].uri.endswith("/tables/tweets")
    assert dag.doc_md and "data interval" in dag.doc_md


def test_each_run_window_is_one_hour_data_interval() -> None:
    """The timetable gives every run a real window (start < end), one hour by default, in UTC."""
    from airflow.serialization.encoders import coerce_to_core_timetable

    timetable = coerce_to_core_timetable(load_dag().timetable)
    # what `airflow dags test twitter_pipeline 2026-11-03T14:00:00+00:00` (and scripts/demo.sh) runs:
    manual = timetable.infer_manual_data_interval(run_after=_utc(2026, 11, 3, 14))
    assert (manual.start, manual.end) == (
        datetime(2026, 11, 3, 13, 0, tzinfo=UTC),
        datetime(2026, 11, 3, 14, 0, tzinfo=UTC),
    )
    # what the scheduler creates: consecutive, gap-free one-hour windows
    first = timetable.next_dagrun_info(
        last_automated_data_interval=None, restriction=_restriction(_utc(2026, 11, 3, 10))
    )
    second = timetable.next_dagrun_info(
        last_automated_data_interval=first.data_interval, restriction=_restriction(first.data_interval.start)
    )
    assert first.data_interval.start < first.data_interval.end == second.data_interval.start
    assert second.data_interval.end - second.data_interval.start == timedelta(hours=1)


def _utc(*parts: int) -> datetime:
    import pendulum  # Airflow's timetables compute with pendulum datetimes

    return pendulum.datetime(*parts, tz="UTC")


def _restriction(earliest: datetime):
    from airflow.timetables.base import TimeRestriction

    return TimeRestriction(earliest=earliest, latest=None, catchup=True)
