"""The production shape, for real: PostgreSQL metadata DB, LocalExecutor, scheduler + dag-processor +
api-server (Airflow 3 workers report to the execution API) as separate processes, one *scheduled* run.

This is what the EC2 deployment runs under systemd; here the components share one process group so
teardown can stop all of them (``kill -TERM -- -pgid``) however many children they spawned.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.dags.conftest import DAG_FILE, DAG_ID, REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_TIMEOUT_S = 420


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _airflow_env(tmp_path: Path, database_url: str, api_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__", "X_"))}
    home = tmp_path / "airflow-home"
    home.mkdir()
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(_dags_folder_with_only_this_dag(tmp_path)),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "TWITTER_PIPELINE_LAKE": str(tmp_path / "lake"),
            "TWITTER_PIPELINE_SOURCE": "emulator",
            "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        }
    )
    env.pop("TWITTER_PIPELINE_QUERY", None)
    env.pop("TWITTER_PIPELINE_SCHEDULE", None)
    # catchup from the start of the last complete hour: the scheduler owes exactly that one run now
    # (without catchup, Airflow 3 waits for the end of the current interval before the first run)
    last_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    env["TWITTER_PIPELINE_START_DATE"] = last_hour.replace(tzinfo=None).isoformat()
    env["TWITTER_PIPELINE_CATCHUP"] = "true"
    return env


def _dags_folder_with_only_this_dag(tmp_path: Path) -> Path:
    """This test is about twitter_pipeline: other DAGs of the repo would only compete for the 2 cores."""
    folder = tmp_path / "dags"
    folder.mkdir()
    shutil.copy2(DAG_FILE, folder / DAG_FILE.name)
    return folder


def _airflow(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        ["airflow", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"airflow {' '.join(args)} failed:\n{result.stderr[-3000:]}"


def _dag_runs(database_url: str) -> tuple[list[tuple], list[tuple]]:
    import psycopg2

    dsn = database_url.replace("postgresql+psycopg2://", "postgresql://")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select run_type, state, data_interval_start, data_interval_end from dag_run where dag_id = %s",
            (DAG_ID,),
        )
        runs = cur.fetchall()
        cur.execute(
            "select task_id, state, try_number from task_instance where dag_id = %s order by task_id",
            (DAG_ID,),
        )
        tasks = cur.fetchall()
    conn.close()
    return list(runs), list(tasks)


def test_scheduler_runs_the_dag_on_postgres_with_local_executor(postgres_server, tmp_path: Path) -> None:
    pytest.importorskip("psycopg2", reason="psycopg2 comes with the airflow extra: pip install '.[airflow]'")
    database_url = postgres_server.create_database(f"airflow_{secrets.token_hex(4)}")
    api_port = _free_port()
    env = _airflow_env(tmp_path, database_url, api_port)
    _airflow(env, "db", "migrate")
    _airflow(env, "pools", "set", "x_api", "1", "X API rate limit")

    log_path = tmp_path / "components.log"
    # workers report to the api-server's execution API: start it first, the others once it listens
    components = (
        "airflow api-server & "
        f"until (exec 3<>/dev/tcp/127.0.0.1/{api_port}) 2>/dev/null; do sleep 1; done; "
        "airflow dag-processor & airflow scheduler & wait"
    )
    with log_path.open("wb") as log:
        group = subprocess.Popen(
            ["bash", "-c", components],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: teardown kills every child
        )
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        runs, tasks = [], []
        while time.monotonic() < deadline:
            runs, tasks = _dag_runs(database_url)
            if runs and all(state in ("success", "failed") for _, state, _, _ in runs):
                break
            assert group.poll() is None, "an Airflow component exited:\n" + _tail(log_path)
            time.sleep(3)
        else:
            pytest.fail(f"no finished scheduled run in {RUN_TIMEOUT_S} s: {runs} {tasks}\n{_tail(log_path)}")
    finally:
        _stop_group(group)

    assert runs, "the scheduler created no run"
    for run_type, state, start, end in runs:  # one, or two if the hour turned during the test
        assert run_type == "scheduled"
        assert state == "success", f"{tasks}\n{_tail(log_path)}"
        assert end - start == timedelta(hours=1)
    assert {task_id for task_id, _, _ in tasks} == {"collect", "check_quality"}
    assert {task_state for _, task_state, _ in tasks} == {"success"}

    from twitter_pipeline.load import read_table
    from twitter_pipeline.storage import LakeStorage

    ids = read_table(LakeStorage(str(tmp_path / "lake")), "tweets", columns=["id"]).column("id").to_pylist()
    assert len(ids) == len(set(ids)) > 0


def _stop_group(group: subprocess.Popen) -> None:
    """SIGTERM the whole process group, then SIGKILL whatever is left after a grace period."""
    try:
        pgid = os.getpgid(group.pid)
    except ProcessLookupError:
        return
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        group.poll()  # reap the group leader so it does not linger as a zombie
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        os.killpg(pgid, signal.SIGKILL)
    group.wait(timeout=30)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
