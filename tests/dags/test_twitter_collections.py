"""The collections DAG under a real Airflow (`dag.test()`): one mapped task per due collection in the
`x_api` pool, a failing collection isolated, and the run failing with the names of the failed ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.collections.conftest import SEARCH_AND_ACCOUNTS
from tests.dags.conftest import DAGS_FOLDER

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAG_ID = "twitter_collections"
CONFIG = (
    SEARCH_AND_ACCOUNTS
    + """
[[collections]]
name = "broken"
query = "(#AI OR"

[[collections]]
name = "night-owls"
query = "#Python"
schedule = "0 3 * * *"
"""
)


def _load_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "twitter_collections.py"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[DAG_ID]


def _task_instances(run_id: str) -> list[tuple[str, int, str, object]]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        tis = session.execute(
            select(TaskInstance.task_id, TaskInstance.map_index, TaskInstance.state, TaskInstance.pool).where(
                TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run_id
            )
        ).all()
        xcoms = {
            (t, m): json.loads(v) if isinstance(v, str) else v
            for t, m, v in session.execute(
                select(XComModel.task_id, XComModel.map_index, XComModel.value).where(
                    XComModel.dag_id == DAG_ID, XComModel.run_id == run_id, XComModel.key == "return_value"
                )
            ).all()
        }
    return [(t, m, s, p, xcoms.get((t, m))) for t, m, s, p in tis]


def test_mapped_collections_isolate_a_failure_and_report_it(
    airflow_db: Path, pipeline_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "collections.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("TWITTER_PIPELINE_COLLECTIONS", str(config))
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    run = _load_dag().test(logical_date=midnight)  # interval (23:00, 00:00]: @hourly and @daily are due
    assert run.state == "failed"
    rows = _task_instances(run.run_id)
    due = next(x for t, _, _, _, x in rows if t == "due_collections")
    assert due == ["ai", "people", "broken"]  # night-owls (03:00) is not due in this interval
    collects = sorted((m, s, p, x) for t, m, s, p, x in rows if t == "collect")
    assert [m for m, *_ in collects] == [0, 1, 2]
    assert all(s == "success" and p == "x_api" for _, s, p, _ in collects)
    by_name = {x["collection"]: x for *_, x in collects}
    assert by_name["ai"]["status"] == by_name["people"]["status"] == "ok"
    assert by_name["ai"]["posts"] > 0 and by_name["people"]["posts"] > 0
    assert by_name["broken"]["status"] == "failed" and by_name["broken"]["error"]
    (report_state,) = [s for t, _, s, _, _ in rows if t == "report"]
    assert report_state == "failed"
    from twitter_pipeline.collections import load_collections
    from twitter_pipeline.collections.status import collection_status
    from twitter_pipeline.storage import LakeStorage

    listing = {r.name: r for r in collection_status(load_collections(config), LakeStorage(str(pipeline_env)))}
    assert listing["people"].posts == by_name["people"]["posts"] and listing["broken"].last_status == "failed"
    assert listing["night-owls"].last_status is None
