"""
### twitter_pipeline — X API v2 search → raw zone → Delta Lake tables

One run per **data interval** (hourly by default): the run collects exactly the posts created in
`[data_interval_start, data_interval_end)` (UTC), so reruns and backfills touch one window only.

1. **`extract`** (pool `x_api`) — search the X API (or the built-in emulator) for the window.
   Every response page is kept as received in `<lake>/raw/` with a checkpoint, so a retry resumes.
   XCom: the small manifest dict (window, endpoint, counts, manifest key) — never data, never secrets.
2. **`load`** — transform the window's raw pages and MERGE them into the Delta tables
   `<lake>/tables/*` (tweets, users, media, …). Idempotent: rerunning a window changes nothing.
3. **`check_quality`** — data-quality checks on the loaded window; an error fails the run without
   retries. On success it emits an **Asset event** for `<lake>/tables/tweets`, so downstream DAGs
   can be scheduled on fresh data (`schedule=[Asset(...)]`).

**Endpoint.** Recent search reaches only 7 days back: windows older than that (backfills) use
full-archive search (`/2/tweets/search/all`, needs a pay-per-use or Pro/Enterprise plan).

**Credentials.** The bearer token is the password of the Airflow connection `x_api_default`, else the
`X_BEARER_TOKEN` environment variable; with neither, the run uses the local emulator (zero setup).
The token is read inside the task and masked in logs; it never goes to XCom, Variables or the lake.
AWS: the standard credential chain (instance profile on EC2; `AWS_*` variables elsewhere).

**Settings (environment).** `TWITTER_PIPELINE_LAKE` (`./lake` or `s3://bucket/prefix`),
`TWITTER_PIPELINE_QUERY`, `X_API_BASE_URL`, `TWITTER_PIPELINE_SCHEDULE` (cron, default `@hourly`),
`TWITTER_PIPELINE_START_DATE` (ISO date, default 2026-01-01), `TWITTER_PIPELINE_CATCHUP` (`true`/`false`),
`TWITTER_PIPELINE_MAX_ACTIVE_RUNS` (default 2).

**Safety.** Extract tasks share the pool `x_api` (one slot: one client against the rate limits across
all DAGs and workers — `airflow pools set x_api 1 "X API rate limit"`); only one `load` of this DAG
writes the Delta tables at a time; retries back off exponentially; every task has a timeout.

**Backfill.** `airflow backfill create --dag-id twitter_pipeline --from-date 2026-11-01 --to-date 2026-11-02`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task

from twitter_pipeline.orchestration.assets import ASSET_GROUP, TWEETS_ASSET_NAME, lake_from_env, table_uri

# Parse-time code stays cheap: environment reads only. The package is imported inside the tasks.
LAKE = lake_from_env()
SCHEDULE = os.environ.get("TWITTER_PIPELINE_SCHEDULE", "").strip() or "@hourly"
START_DATE = datetime.fromisoformat(
    os.environ.get("TWITTER_PIPELINE_START_DATE", "").strip() or "2026-01-01"
).replace(tzinfo=UTC)
CATCHUP = os.environ.get("TWITTER_PIPELINE_CATCHUP", "").strip().lower() in ("1", "true", "yes")
MAX_ACTIVE_RUNS = int(os.environ.get("TWITTER_PIPELINE_MAX_ACTIVE_RUNS", "").strip() or "2")
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
    @task(pool=X_API_POOL, execution_timeout=timedelta(minutes=50))
    def extract(
        data_interval_start: datetime | None = None, data_interval_end: datetime | None = None
    ) -> dict:
        """Collect the run's window into the raw zone; return the manifest (small, JSON, no secrets)."""
        from twitter_pipeline import pipeline
        from twitter_pipeline.orchestration.credentials import resolve_bearer_token
        from twitter_pipeline.orchestration.failures import fail_fast_on_permanent_errors
        from twitter_pipeline.orchestration.schedule import window_for_interval
        from twitter_pipeline.settings import load_settings

        with fail_fast_on_permanent_errors():
            window = window_for_interval(data_interval_start, data_interval_end)
            settings = load_settings(bearer_token=resolve_bearer_token())
            manifest = pipeline.extract(
                settings, query=settings.query, start=window.start, end=window.end, endpoint=window.endpoint
            )
        return manifest.to_dict()

    @task(max_active_tis_per_dag=1)
    def load(manifest: dict) -> dict:
        """MERGE the window into the Delta tables (one load at a time: Delta commits are serialised)."""
        from twitter_pipeline import pipeline
        from twitter_pipeline.orchestration.failures import fail_fast_on_permanent_errors
        from twitter_pipeline.settings import load_settings

        with fail_fast_on_permanent_errors():
            report = pipeline.load(load_settings(), pipeline.ExtractManifest.from_dict(manifest))
        return report.to_dict()

    @task(outlets=[TWEETS_TABLE])
    def check_quality(manifest: dict, load_report: dict, *, outlet_events=None) -> dict:
        """Fail the run on error-severity findings; on success announce the fresh tweets table."""
        from twitter_pipeline import pipeline
        from twitter_pipeline.orchestration.failures import fail_fast_on_permanent_errors
        from twitter_pipeline.settings import load_settings

        with fail_fast_on_permanent_errors():
            report = pipeline.check_quality(load_settings(), pipeline.ExtractManifest.from_dict(manifest))
        summary = report.to_dict()
        if outlet_events is not None:
            window = {"start": manifest.get("start"), "end": manifest.get("end")}
            outlet_events[TWEETS_TABLE].extra = {"window": window, "load": load_report}
        return summary

    manifest = extract()
    check_quality(manifest, load(manifest))


twitter_pipeline()
