"""The DAG end to end under a real Airflow (``dag.test()``): emulator, local lake or S3, SQLite metadata.

Each run's window is its data interval; consecutive intervals add disjoint posts; rerunning an
interval leaves the tables as they were; a bearer token from the Airflow connection reaches the API
and appears in no task log, XCom, or lake object.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.dags.conftest import DAG_ID, load_dag, sync_dags_and_assets
from twitter_pipeline.emulator.constants import DEMO_QUERY

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _last_complete_hours(count: int) -> list[tuple[datetime, datetime]]:
    """The ``count`` one-hour windows before the current hour, oldest first."""
    top = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return [(top - timedelta(hours=n), top - timedelta(hours=n - 1)) for n in range(count, 0, -1)]


def _run(window_end: datetime):
    """One DAG run whose data interval ends at ``window_end`` (``airflow dags test`` semantics)."""
    sync_dags_and_assets()
    dag = load_dag()
    run = dag.test(logical_date=window_end)
    assert run.state == "success", f"DAG run {run.run_id} ended {run.state}"
    return run


def _xcoms(run_id: str) -> dict[str, object]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(XComModel.task_id, XComModel.key, XComModel.value).where(
                XComModel.dag_id == DAG_ID, XComModel.run_id == run_id
            )
        ).all()
    values: dict[str, object] = {}
    for task_id, key, value in rows:
        if key == "return_value":
            values[task_id] = json.loads(value) if isinstance(value, str) else value
    return values


def _tweets(lake: str) -> list[str]:
    from twitter_pipeline.load import read_table
    from twitter_pipeline.storage import LakeStorage

    return read_table(LakeStorage(lake), "tweets", columns=["id"]).column("id").to_pylist()


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def test_three_consecutive_intervals_then_rerun_changes_nothing(airflow_db: Path, pipeline_env: Path) -> None:
    windows = _last_complete_hours(3)
    counts: list[int] = []
    for start, end in windows:
        run = _run(end)
        assert (run.data_interval_start, run.data_interval_end) == (start, end)
        values = _xcoms(run.run_id)
        summary = values["collect"]
        assert isinstance(summary, dict)
        assert (_parse(summary["start"]), _parse(summary["end"])) == (start, end)
        assert summary["source"] == "emulator" and summary["posts"] > 0
        assert set(values) == {"collect", "check_quality"}
        assert len(json.dumps(summary)) < 2_000, "XCom carries a small summary, never data"
        counts.append(len(_tweets(str(pipeline_env))))

    ids = _tweets(str(pipeline_env))
    assert len(ids) == len(set(ids)), "duplicate tweet ids across intervals"
    assert counts[0] < counts[1] < counts[2], "each new interval adds posts"

    rerun = _run(windows[1][1])
    assert sorted(_tweets(str(pipeline_env))) == sorted(ids)
    assert _xcoms(rerun.run_id)["collect"]["skipped"] is True
    # every successful run announced the table to Asset-scheduled DAGs
    assert _asset_events(f"file://{pipeline_env}/tables/tweets") == 4


def _asset_events(uri: str) -> int:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(
            select(func.count(AssetEvent.id))
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == uri)
        )


def test_backfill_interval_on_s3_uses_full_archive(
    airflow_db: Path, pipeline_env: Path, s3_lake_uri: str, monkeypatch
) -> None:
    """A backfilled interval 10 days back, with the lake on S3: full-archive search, tables on S3."""
    monkeypatch.setenv("TWITTER_PIPELINE_LAKE", s3_lake_uri)
    assert load_dag().get_task("check_quality").outlets[0].uri == f"{s3_lake_uri}/tables/tweets"
    start, end = (moment - timedelta(days=10) for moment in _last_complete_hours(1)[0])
    run = _run(end)
    summary = _xcoms(run.run_id)["collect"]
    assert summary["lake"] == s3_lake_uri
    assert summary["endpoint"] == "all"
    assert (_parse(summary["start"]), _parse(summary["end"])) == (start, end)
    ids = _tweets(s3_lake_uri)
    assert len(ids) == len(set(ids)) >= summary["posts"] > 0
    assert not pipeline_env.exists(), "nothing may land in the local default lake"


def test_token_from_connection_reaches_the_api_and_never_leaks(
    airflow_db: Path, airflow_home: Path, pipeline_env: Path, monkeypatch, capfd
) -> None:
    from twitter_pipeline.emulator.config import EmulatorConfig
    from twitter_pipeline.emulator.server import EmulatorServer

    secret = "tp-test-bearer-0123456789abcdefXYZ"
    with EmulatorServer(EmulatorConfig(token=secret)) as emulator:
        monkeypatch.setenv("X_API_BASE_URL", emulator.base_url)
        monkeypatch.delenv("TWITTER_PIPELINE_SOURCE")  # a token: the API at X_API_BASE_URL
        monkeypatch.setenv("TWITTER_PIPELINE_QUERY", DEMO_QUERY)
        monkeypatch.setenv(
            "AIRFLOW_CONN_X_API_DEFAULT", json.dumps({"conn_type": "http", "password": secret})
        )
        _, end = _last_complete_hours(1)[0]
        run = _run(end)
        assert emulator.request_count > 0
        assert all(record.status == 200 for record in emulator.requests)

    values = _xcoms(run.run_id)
    assert values["collect"]["source"] == "api"
    captured = capfd.readouterr()
    assert secret not in captured.out + captured.err
    assert secret not in json.dumps(values)
    leaks = [str(path) for path in _all_files(airflow_home, pipeline_env) if secret.encode() in _read(path)]
    assert leaks == []


def test_wrong_token_fails_fast_without_retries(airflow_db: Path, pipeline_env: Path, monkeypatch) -> None:
    from twitter_pipeline.emulator.config import EmulatorConfig
    from twitter_pipeline.emulator.server import EmulatorServer

    with EmulatorServer(EmulatorConfig(token="the-right-token-abcdef")) as emulator:
        monkeypatch.setenv("X_API_BASE_URL", emulator.base_url)
        monkeypatch.delenv("TWITTER_PIPELINE_SOURCE")  # a token: the API at X_API_BASE_URL
        monkeypatch.setenv("TWITTER_PIPELINE_QUERY", DEMO_QUERY)
        monkeypatch.setenv("X_BEARER_TOKEN", "a-wrong-token-123456")
        sync_dags_and_assets()
        run = load_dag().test(logical_date=_last_complete_hours(1)[0][1])
    assert run.state == "failed"
    states = {ti.task_id: (ti.state, ti.try_number) for ti in run.get_task_instances()}
    assert states["collect"] == ("failed", 1), "an auth error must not be retried"
    assert emulator.requests and {record.status for record in emulator.requests} == {401}


def test_no_connection_and_no_token_fails_naming_the_connection(
    airflow_db: Path, pipeline_env: Path, monkeypatch, capfd
) -> None:
    """Without a token the DAG never falls back to synthetic posts unless the emulator was chosen."""
    monkeypatch.delenv("TWITTER_PIPELINE_SOURCE")
    sync_dags_and_assets()
    run = load_dag().test(logical_date=_last_complete_hours(1)[0][1])
    assert run.state == "failed"
    states = {ti.task_id: (ti.state, ti.try_number) for ti in run.get_task_instances()}
    assert states["collect"] == ("failed", 1), "a missing token is not retried"
    captured = capfd.readouterr()
    assert "add the Airflow connection 'x_api_default'" in captured.out + captured.err
    assert not (pipeline_env / "tables").exists() and not (pipeline_env / "raw").exists()


def _all_files(*roots: Path):
    for root in roots:
        if root.exists():
            yield from (path for path in root.rglob("*") if path.is_file())


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            return gzip.decompress(data)
        except OSError:
            return data
    return data


def test_a_budget_variable_stops_the_window_before_any_read_without_retries(
    airflow_db: Path, pipeline_env: Path, monkeypatch
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_TWITTER_PIPELINE_MAX_POSTS_PER_RUN", "10")  # the Variable, via env
    sync_dags_and_assets()
    run = load_dag().test(logical_date=_last_complete_hours(1)[0][1])
    assert run.state == "failed"
    states = {ti.task_id: (ti.state, ti.try_number) for ti in run.get_task_instances()}
    assert states["collect"] == ("failed", 1), "a spent budget must not be retried"
    assert not (pipeline_env / "tables" / "tweets").exists(), "no post was read"
