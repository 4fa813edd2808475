"""Scale-out on Airflow's CeleryExecutor, for real: two workers, one S3 lake, one X API budget.

PostgreSQL metadata, a Redis broker, scheduler + dag-processor + api-server, and two Celery workers
that are separate simulated machines (own working directory, ``TMPDIR``, ``HOME``, AIRFLOW_HOME and
DAG copy), all on loopback. The collections DAG runs four collections (two searches, two account lists)
while a three-hour backfill of the main DAG runs beside it, against one emulator and one moto S3 lake.
Asserted: every post the emulator served lands exactly once; both workers ran tasks; the ``x_api`` pool
bounded the extraction tasks in flight at every moment (emulator request log and task timestamps); no
worker process wrote outside its own disk or read another worker's; the token came from the Airflow
connection (the workers' environment has none, and the emulator accepts only that token).

``TP_CELERY_WORKERS=1`` (and ``TP_CELERY_CONCURRENCY``, ``TP_CELERY_BACKFILL_HOURS``) run the same
test with another shape: that is how deploy/README.md's throughput figures were measured (run with
``-s``: the test prints tasks per minute and where the time went).
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.collections.conftest import QUIET
from tests.dags.celery_cluster import CeleryCluster, Worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_TIMEOUT_S = 420  # a loaded 2-core machine needed ~290 s for the runs
POOL_SLOTS = 2
BACKFILL_HOURS = int(os.environ.get("TP_CELERY_BACKFILL_HOURS", "") or 3)
WORKERS = int(os.environ.get("TP_CELERY_WORKERS", "") or 2)
CONCURRENCY = int(os.environ.get("TP_CELERY_CONCURRENCY", "") or 2)  # task slots per worker
MAIN_QUERY = "#OpenSource -is:retweet"
SEARCHES = {"ai": "#AI -is:retweet", "python": "#Python"}
ACCOUNTS = {"people": list(QUIET[:2]), "more-people": [QUIET[2]]}
COLLECTIONS_DAG, MAIN_DAG = "twitter_collections", "twitter_pipeline"


def _collections_toml() -> str:
    parts = [f'[[collections]]\nname = "{n}"\nquery = "{q}"\nlookback = "10m"\n' for n, q in SEARCHES.items()]
    for name, handles in ACCOUNTS.items():
        listed = ", ".join(f'"{h}"' for h in handles)
        parts.append(f'[[collections]]\nname = "{name}"\naccounts = [{listed}]\nlookback = "1d"\n')
    return "\n".join(parts)


def _query(database_url: str, sql: str, *params: object) -> list[tuple]:
    import psycopg2

    dsn = database_url.replace("postgresql+psycopg2://", "postgresql://")
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())
    finally:
        conn.close()


def _user_ids(emulator, token: str) -> dict[str, str]:
    """user id → collection name, so timeline requests in the emulator's log map to their task."""
    out = {}
    for name, handles in ACCOUNTS.items():
        for handle in handles:
            response = httpx.get(
                f"{emulator.base_url}/2/users/by/username/{handle}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            out[response.json()["data"]["id"]] = name
    return out


def _task_of(record, user_collection: dict[str, str]) -> str | None:
    """Which extraction task sent a request: a collection, or the main DAG's window."""
    parts = record.path.strip("/").split("/")
    if parts[:3] == ["2", "users", "by"]:
        return next(n for n, handles in ACCOUNTS.items() if parts[-1] in handles)
    if parts[:2] == ["2", "users"] and len(parts) == 4:
        return user_collection[parts[2]]
    query = record.params.get("query")
    for name, search in SEARCHES.items():
        if query == search:
            return name
    if query == MAIN_QUERY:
        return f"window {record.params.get('start_time')}"
    return None


def _max_overlap(spans: list[tuple[float, float]]) -> int:
    """Most spans open at one moment (an end and a start at the same instant do not overlap)."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    best = now = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def test_celery_workers_share_one_lake_and_one_api_budget(
    postgres_server, redis_server, s3, emulator_factory, tmp_path: Path
) -> None:
    pytest.importorskip(
        "airflow.providers.celery", reason="pip install '.[airflow]' brings the Celery provider"
    )
    token = secrets.token_urlsafe(24)
    emulator = emulator_factory(token=token)
    user_collection = _user_ids(emulator, token)
    emulator.reset_ledger()

    shared = tmp_path / "shared"  # deployed configuration: the same file on every machine
    shared.mkdir()
    config = shared / "collections.toml"
    config.write_text(_collections_toml())
    lake = s3.uri(f"lake-{secrets.token_hex(5)}")
    # hourly intervals that end at minute `boundary`, set 5 minutes ago: no interval ends during the
    # test, so each DAG gets exactly one scheduled run (the last complete interval; catchup is off)
    boundary = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    schedule = f"{boundary.minute} * * * *"
    first = boundary - timedelta(hours=BACKFILL_HOURS + 1)  # the backfill: the hours before the last one
    cluster = CeleryCluster(
        root=tmp_path / "cluster",
        database_url=postgres_server.create_database(f"airflow_{secrets.token_hex(4)}"),
        broker_url=redis_server.url(int(secrets.token_hex(1), 16) % 16),
        workers=WORKERS,
        concurrency=CONCURRENCY,
        shared_paths=(shared,),
        extra_env={
            "TWITTER_PIPELINE_LAKE": lake,
            "TWITTER_PIPELINE_SOURCE": "api",
            "X_API_BASE_URL": emulator.base_url,
            "TWITTER_PIPELINE_QUERY": MAIN_QUERY,
            "TWITTER_PIPELINE_COLLECTIONS": str(config),
            "TWITTER_PIPELINE_START_DATE": first.replace(tzinfo=None).isoformat(),
            "TWITTER_PIPELINE_SCHEDULE": schedule,
            "TWITTER_PIPELINE_COLLECTIONS_SCHEDULE": schedule,
            "TWITTER_PIPELINE_MAX_ACTIVE_RUNS": str(BACKFILL_HOURS),
            "AWS_ALLOW_HTTP": "true",
        },
    )
    phases = {"start": time.monotonic()}
    cluster.prepare()
    # the token lives only in the connection (metadata DB): no worker has X_BEARER_TOKEN
    cluster.airflow(
        ["pools", "set", "x_api", str(POOL_SLOTS), "X API rate limit"],
        # `=`: a urlsafe token may start with "-", which argparse would take for an option
        ["connections", "add", "x_api_default", "--conn-type", "generic", f"--conn-password={token}"],
    )
    phases["db ready"] = time.monotonic()
    try:
        cluster.start()
        phases["api-server up"] = time.monotonic()
        _wait_for_dags(cluster, {COLLECTIONS_DAG, MAIN_DAG})
        phases["dags parsed"] = time.monotonic()
        # both DAGs get their scheduled run for the last complete hour; the backfill adds the hours before
        cluster.airflow(
            ["backfill", "create", "--dag-id", MAIN_DAG,
             "--from-date", first.isoformat(), "--to-date", (boundary - timedelta(hours=2)).isoformat()],
        )  # fmt: skip
        phases["backfill created"] = time.monotonic()
        runs = _wait_for_runs(cluster, expected={COLLECTIONS_DAG: 1, MAIN_DAG: BACKFILL_HOURS + 1})
        phases["runs done"] = time.monotonic()
    finally:
        cluster.stop()
    phases["stopped"] = time.monotonic()
    timeline = ", ".join(f"{k} +{v - phases['start']:.0f}s" for k, v in phases.items())

    db = cluster.database_url
    assert all(state == "success" for *_, state, _, _ in runs), f"{runs}\n{cluster.tails()}"
    backfill = sorted((s, e) for dag, run_type, _, s, e in runs if dag == MAIN_DAG and run_type == "backfill")
    assert len(backfill) == BACKFILL_HOURS
    assert all(e - s == timedelta(hours=1) for s, e in backfill)

    tasks = _query(
        db, "select dag_id, task_id, map_index, state, pool, start_date, end_date, run_id from task_instance"
    )
    assert {state for _, _, _, state, *_ in tasks} == {"success"}, tasks
    collects = [t for t in tasks if t[1] == "collect"]
    assert len(collects) == len(SEARCHES) + len(ACCOUNTS) + BACKFILL_HOURS + 1
    assert {pool for _, _, _, _, pool, *_ in collects} == {"x_api"}
    xcoms = _query(db, "select task_id, key from xcom where task_id = 'collect'")
    assert {key for _, key in xcoms} == {"return_value"}, "one XCom per task: each is an API round trip"

    # 1. every served post landed exactly once in the shared lake
    from twitter_pipeline.load import read_table
    from twitter_pipeline.storage import LakeStorage

    ids = read_table(LakeStorage(lake), "tweets", columns=["id"]).column("id").to_pylist()
    served = emulator.served_ids
    assert served, "the emulator served no post"
    assert len(ids) == len(set(ids)), "a post landed twice"
    assert served <= set(ids), f"{len(served - set(ids))} served posts are missing from the lake"

    # 2. both workers ran tasks (each task's log is on the machine that ran it)
    ran = {w.name: _tasks_in_logs(w) for w in cluster.worker_list}
    assert all(ran.values()), f"a worker ran nothing: {ran}"  # (trivially true with TP_CELERY_WORKERS=1)
    assert len(set().union(*ran.values())) == len(tasks), ran  # a retried task may have run on both

    # 3. the x_api pool held: requests grouped by the task that sent them, and the tasks' own times
    # the usage endpoint (the run's budget check) names no query or account: only extraction requests
    requests = [r for r in emulator.requests if r.status and not r.path.startswith("/2/usage/")]
    spans: dict[str, list[float]] = {}
    for record in requests:
        owner = _task_of(record, user_collection)
        assert owner is not None, f"a request no task explains: {record}"
        span = spans.setdefault(owner, [record.received, record.answered])
        span[0], span[1] = min(span[0], record.received), max(span[1], record.answered)
    assert len(spans) == len(collects), sorted(spans)
    in_flight = _max_overlap([(a, b) for a, b in spans.values()])
    assert in_flight <= POOL_SLOTS, f"{in_flight} extraction tasks called the API at once"
    running = _max_overlap([(t[5].timestamp(), t[6].timestamp()) for t in collects])
    assert running <= POOL_SLOTS

    # 4. nothing crossed a worker's local disk
    for worker in cluster.worker_list:
        audit = worker.audit_log.read_text() if worker.audit_log.exists() else ""
        assert not audit, f"{worker.name} touched files outside its own disk:\n{audit[:3000]}"
        assert not [p for p in worker.files() if p.parent.name not in ("dags",)], worker.files()

    ran_counts = {k: len(v) for k, v in ran.items()}
    mean_collect = sum((t[6] - t[5]).total_seconds() for t in collects) / len(collects)
    minutes = (max(t[6] for t in tasks) - min(t[5] for t in tasks)).total_seconds() / 60
    print(
        f"\ncelery: {WORKERS} worker(s) x {cluster.concurrency}, pool x_api={POOL_SLOTS}: "
        f"{len(tasks)} tasks in {minutes:.2f} min = {len(tasks) / minutes:.1f} tasks/min "
        f"({len(collects)} extract+load tasks, mean {mean_collect:.0f} s each); "
        f"API requests {len(requests)}, posts served {len(served)}, max tasks calling the API at once "
        f"{in_flight}; per worker {ran_counts}; {timeline}"
    )


def _wait_for_dags(cluster: CeleryCluster, dag_ids: set[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster.assert_alive()
        found = _query(cluster.database_url, "select dag_id from serialized_dag")
        if dag_ids <= {d for (d,) in found}:
            return
        time.sleep(1)
    pytest.fail(f"the dag-processor did not serialize {dag_ids} in {timeout:.0f} s\n{cluster.tails()}")


def _wait_for_runs(cluster: CeleryCluster, expected: dict[str, int]) -> list[tuple]:
    """Wait until every run is finished and the expected ones exist (a scheduled one may join in)."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    runs: list[tuple] = []
    while time.monotonic() < deadline:
        cluster.assert_alive()
        runs = _query(
            cluster.database_url,
            "select dag_id, run_type, state, data_interval_start, data_interval_end from dag_run",
        )
        counts = {d: sum(1 for r in runs if r[0] == d) for d in expected}
        if all(counts[d] >= n for d, n in expected.items()) and all(
            r[2] in ("success", "failed") for r in runs
        ):
            return runs
        time.sleep(2)
    pytest.fail(f"runs not finished in {RUN_TIMEOUT_S} s: {runs}\n{cluster.tails()}")


def _tasks_in_logs(worker: Worker) -> set[str]:
    """`dag/run/task[map_index]` of every task whose log this worker wrote."""
    out = set()
    for path in worker.task_logs():
        parts = {p.split("=", 1)[0]: p.split("=", 1)[1] for p in path.parts if "=" in p}
        dag, run, task = parts.get("dag_id"), parts.get("run_id"), parts.get("task_id")
        out.add(f"{dag}/{run}/{task}[{parts.get('map_index', '')}]")
    return out
