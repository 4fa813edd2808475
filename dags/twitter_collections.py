"""
### twitter_collections — every collection of `collections.toml`, one mapped task each

A **collection** is a named search or a list of accounts (user timelines) with its own schedule and
incremental state (see `collections.example.toml`). This DAG runs hourly; each run:

1. **`due_collections`** — reads the collections file (`TWITTER_PIPELINE_COLLECTIONS`, default
   `./collections.toml`) and returns the names whose own `schedule` fires inside the run's data
   interval (an `@daily` collection runs in the run ending at 00:00 UTC).
2. **`collect`** — dynamically mapped, **one task per due collection** (`.expand()`), all in the pool
   `x_api`, so together they stay inside the X API rate limits. Each task extracts the collection
   (search window since its last `newest_id`, or each account's timeline since its own cursor) into
   the raw zone and merges it into the Delta tables plus the `collection_posts` link table.
   A failing collection does not fail its task: the task returns `status: failed` and the error line,
   so the other collections run and the failure is reported in one place.
3. **`report`** (runs whatever happened upstream) — logs one line per collection and **fails the run
   naming every failed collection**.

Credentials and settings as for the `twitter_pipeline` DAG (connection `x_api_default` or
`X_BEARER_TOKEN`; with neither the tasks fail naming the connection, unless
`TWITTER_PIPELINE_SOURCE=emulator` chooses synthetic data; `TWITTER_PIPELINE_LAKE`). Every collection
runs through the same run engine as `run`: its cursors move only after its load committed, and a
collection whose load was interrupted is repaired by its next run. Schedule of this DAG:
`TWITTER_PIPELINE_COLLECTIONS_SCHEDULE` (default `@hourly`; make it at least as fine as the finest
collection schedule).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task

from twitter_pipeline.settings import load_dag_settings

# Parse-time code stays cheap: the environment, read once and validated by the settings; the
# collections file is read inside the tasks.
ENV = load_dag_settings()
SCHEDULE = ENV.collections_schedule
START_DATE = ENV.start_date
X_API_POOL = "x_api"


@dag(
    dag_id="twitter_collections",
    schedule=CronDataIntervalTimetable(SCHEDULE, timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["twitter_pipeline", "x-api", "collections"],
    default_args={
        "owner": "data-platform",
        "retries": 1,
        "retry_delay": timedelta(minutes=2),
        "execution_timeout": timedelta(minutes=50),
    },
)
def twitter_collections() -> None:
    @task
    def due_collections(
        data_interval_start: datetime | None = None, data_interval_end: datetime | None = None
    ) -> list[str]:
        """Names of the collections whose schedule fires in this run's interval."""
        from twitter_pipeline.collections import load_collections
        from twitter_pipeline.collections.schedule import due_collections as due

        return due(load_collections(), data_interval_start, data_interval_end)

    # multiple_outputs=False: a `-> dict` task would otherwise push every key as its own XCom, one
    # execution-API round trip each from the worker (about 20 per task)
    @task(pool=X_API_POOL, map_index_template="{{ collection_name }}", retries=0, multiple_outputs=False)
    def collect(name: str) -> dict:
        """Run one collection; failures come back as `status: failed` (the others keep running)."""
        from twitter_pipeline.collections import load_collections, run_collection_isolated
        from twitter_pipeline.orchestration.budget import budget_settings
        from twitter_pipeline.orchestration.credentials import resolve_bearer_token
        from twitter_pipeline.orchestration.failures import fail_fast_on_permanent_errors
        from twitter_pipeline.settings import load_settings

        get_current_context()["collection_name"] = name  # type: ignore[typeddict-unknown-key]
        with fail_fast_on_permanent_errors():
            settings = load_settings(bearer_token=resolve_bearer_token(), **budget_settings())
        collection = load_collections().get(name)
        return run_collection_isolated(settings, collection).to_dict()

    @task(trigger_rule="all_done", multiple_outputs=False)
    def report(names: list[str], summaries: list[dict | None]) -> dict:
        """One line per collection; fail the run naming every collection that failed."""
        from airflow.sdk.exceptions import AirflowFailException

        by_name = {s["collection"]: s for s in (summaries or []) if s}
        failed: list[str] = []
        for name in names:
            summary = by_name.get(name)
            if summary is None:
                failed.append(f"{name}: its collect task did not finish (see its log)")
            elif summary.get("status") == "failed":
                failed.append(f"{name}: {summary.get('error')}")
            else:
                print(f"{name}: {summary.get('status')}, {summary.get('posts')} posts")
        if failed:
            raise AirflowFailException(
                f"{len(failed)} of {len(names)} collection(s) failed — " + "; ".join(failed)
            )
        return {"collections": len(names), "failed": 0}

    names = due_collections()
    report(names, collect.expand(name=names))


twitter_collections()
