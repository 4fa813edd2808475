"""
### twitter_pipeline — X API v2 search → raw zone → Delta Lake tables

One run per **data interval** (hourly by default): the run collects exactly the posts created in
`[data_interval_start, data_interval_end)` (UTC), so reruns and backfills touch one window only.

1. **`collect`** (pool `x_api`) — one call of the run engine for the window: search the X API,
   keep every response page as received in `<lake>/raw/` (checkpointed, so a retry resumes), MERGE
   the window into the Delta tables `<lake>/tables/*`, and only then record the window complete.
   A retry, or any later run of the same query, first loads whatever an interrupted run fetched
   but did not load, so no fetched post is lost and no page is fetched twice.
   XCom: the small run summary (window, counts, rows merged) — never data, never secrets.
2. **`check_quality`** — fails the run if the engine's data-quality checks found an error (they are
   stored in the `quality` table either way); on success it emits an **Asset event** for
   `<lake>/tables/tweets`, so downstream DAGs can be scheduled on fresh data.

**Endpoint.** Recent search reaches only 7 days back: windows older than that (backfills) use
full-archive search (`/2/tweets/search/all`, needs a pay-per-use or Pro/Enterprise plan).

**Credentials.** The bearer token is the password of the Airflow connection `x_api_default`, else the
`X_BEARER_TOKEN` environment variable; with neither, the task fails naming the connection, unless
`TWITTER_PIPELINE_SOURCE=emulator` chooses the built-in emulator (synthetic data; `scripts/demo.sh`).
The token is read inside the task and masked in logs; it never goes to XCom, Variables or the lake.
AWS: the standard credential chain (instance profile on EC2; `AWS_*` variables elsewhere).

**Settings (environment).** `TWITTER_PIPELINE_LAKE` (`./lake` or `s3://bucket/prefix`),
`TWITTER_PIPELINE_QUERY`, `X_API_BASE_URL`, `TWITTER_PIPELINE_SCHEDULE` (cron, default `@hourly`),
`TWITTER_PIPELINE_START_DATE` (ISO date, default 2026-01-01), `TWITTER_PIPELINE_CATCHUP` (`true`/`false`),
`TWITTER_PIPELINE_MAX_ACTIVE_RUNS` (default 2).

**Budget.** Each window is estimated with the counts endpoint before it is fetched; a window that would
cross a budget is not started and the task fails without retry, naming the budget. The Airflow Variables
`twitter_pipeline_max_posts_per_run`, `twitter_pipeline_max_posts_per_month` and
`twitter_pipeline_price_per_post` (else the `TWITTER_PIPELINE_*` settings) set them; the project's cap as
`/2/usage/tweets` reports it always applies. Reads per run land in the `usage` table.

**Safety.** Extract tasks share the pool `x_api` (one slot: one client against the rate limits across
all DAGs and workers — `airflow pools set x_api 1 "X API rate limit"`); a lease in the lake keeps
two runs of the same window from working at once; retries back off exponentially; every task has a timeout.

**Backfill.** `airflow backfill create --dag-id twitter_pipeline --from-date 2026-11-01 --to-date 2026-11-02`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task

from twitter_pipeline.orchestration.assets import ASSET_GROUP, TWEETS_ASSET_NAME, table_uri
from twitter_pipeline.settings import load_dag_settings

# Parse-time code stays cheap: the environment, read once and validated by the settings (a bad value
# is one import-error line). The rest of the package is imported inside the tasks.
ENV = load_dag_settings()
LAKE = ENV.lake
SCHEDULE = ENV.schedule
START_DATE = ENV.start_date
CATCHUP = ENV.catchup
MAX_ACTIVE_RUNS = ENV.max_active_runs
X_API_POOL = "x_api"


TWEETS_TABLE = Asset(name=TWEETS_ASSET_NAME, uri=table_uri(LAKE, "tweets"), group=ASSET_GROUP)


@dag(
    dag_id="twitter_pipeline",
    schedule=CronDataIntervalTimetable(SCHEDULE, timezone="UTC"),
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    doc_md=__doc__,
    tags=["twitter_pipeline", "x-api", "delta"],
    default_args={
        "owner": "data-platform",
        "retries": 3,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(minutes=30),
    },
)
def twitter_pipeline() -> None:
    # multiple_outputs=False: a `-> dict` task would otherwise push every key as its own XCom, one
    # execution-API round trip each from the worker (about 20 per task)
    @task(pool=X_API_POOL, execution_timeout=timedelta(minutes=50), multiple_outputs=False)
    def collect(
        data_interval_start: datetime | None = None, data_interval_end: datetime | None = None
    ) -> dict:
        """Extract → raw zone → Delta tables for the run's window; returns the small run summary."""
        from twitter_pipeline import pipeline
        from twitter_pipeline.orchestration.budget import budget_settings
        from twitter_pipeline.orchestration.credentials import resolve_bearer_token
        from twitter_pipeline.orchestration.failures import fail_fast_on_permanent_errors
        from twitter_pipeline.orchestration.schedule import window_for_interval
        from twitter_pipeline.settings import load_settings

        with fail_fast_on_permanent_errors():
            window = window_for_interval(data_interval_start, data_interval_end)
            settings = load_settings(bearer_token=resolve_bearer_token(), **budget_settings())
            summary = pipeline.run(
                settings,
                query=settings.query,
                start=window.start,
                end=window.end,
                endpoint=window.endpoint,
                quality=False,
            )
        bounds = {"start": window.start.isoformat(), "end": window.end.isoformat()}
        return {**summary.to_dict(), **bounds, "endpoint": window.endpoint}

    @task(outlets=[TWEETS_TABLE], multiple_outputs=False)
    def check_quality(summary: dict, *, outlet_events=None) -> dict:
        """Run and store the quality checks of the loaded window; an error fails the run (no retry)."""
        from twitter_pipeline import pipeline
        from twitter_pipeline.orchestration.failures import fail_fast_on_permanent_errors
        from twitter_pipeline.settings import load_settings

        with fail_fast_on_permanent_errors():
            report = pipeline.check_run_quality(load_settings(), summary["run_id"], lake=summary["lake"])
        if outlet_events is not None:
            window = {"start": summary.get("start"), "end": summary.get("end")}
            outlet_events[TWEETS_TABLE].extra = {"window": window, "rows": summary.get("table_rows")}
        return report

    check_quality(collect())


twitter_pipeline()
