"""
### twitter_report — the HTML report, refreshed whenever the tweets table changes

Scheduled on the **Asset** `twitter_pipeline.tweets` (`<lake>/tables/tweets`), which the
`twitter_pipeline` DAG's `check_quality` task emits after each successful load. Each run renders the
report for the **UTC day** the update was about (the loaded window's day, else today) and stores it
in the lake as `<lake>/reports/report-<YYYY-MM-DD>.html` — one self-contained page per day (charts
embedded, no network needed to view it), rewritten as the day's data grows.

One task, `publish_report`: DuckDB queries over the Delta tables → charts → one HTML file written
atomically to the lake (local folder or S3). XCom: `{uri, posts, charts, seconds}` — never data.

**Settings (environment).** `TWITTER_PIPELINE_LAKE` (the same lake as the pipeline DAG: `./lake` or
`s3://bucket/prefix`), `TWITTER_PIPELINE_START_DATE`. AWS credentials: the standard chain.

**Manual run.** `airflow dags trigger twitter_report` renders today's report; or run the same thing
without Airflow: `twitter-pipeline report --start 2026-11-26 --end 2026-11-27 --out report.html`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset, dag, get_current_context, task

from twitter_pipeline.orchestration.assets import ASSET_GROUP, TWEETS_ASSET_NAME, table_uri
from twitter_pipeline.settings import load_dag_settings

# Parse-time code stays cheap: the environment, read once and validated by the settings.
# The rest of the package is imported inside the task.
ENV = load_dag_settings()
LAKE = ENV.lake
START_DATE = ENV.start_date


TWEETS_TABLE = Asset(name=TWEETS_ASSET_NAME, uri=table_uri(LAKE, "tweets"), group=ASSET_GROUP)


@dag(
    dag_id="twitter_report",
    schedule=[TWEETS_TABLE],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["twitter_pipeline", "report"],
    default_args={
        "owner": "data-platform",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "execution_timeout": timedelta(minutes=30),
    },
)
def twitter_report() -> None:
    @task(multiple_outputs=False)
    def publish_report() -> dict:
        """Render the report for the day the tables changed and store it under <lake>/reports/."""
        from twitter_pipeline.analyze.report import day_of_window, publish_daily_report
        from twitter_pipeline.orchestration.failures import fail_fast_on_permanent_errors
        from twitter_pipeline.settings import load_settings

        context = get_current_context()
        events = [e for evs in (context.get("triggering_asset_events") or {}).values() for e in evs]
        latest = events[-1] if events else None
        day = day_of_window(getattr(latest, "extra", None), datetime.now(UTC))
        with fail_fast_on_permanent_errors():
            return publish_daily_report(load_settings().lake, day)

    publish_report()


twitter_report()
