"""Budgets for the DAGs: Airflow Variables that override the budget settings, read inside tasks.

`twitter_pipeline_max_posts_per_run`, `twitter_pipeline_max_posts_per_month` and
`twitter_pipeline_price_per_post` (unset or empty: the TWITTER_PIPELINE_* environment settings apply).
Variables are read in the task, never at parse time (PITFALLS: SUPERVISOR_COMMS under `dag.test()`).
"""

from __future__ import annotations

VARIABLES = {
    "max_posts_per_run": "twitter_pipeline_max_posts_per_run",
    "max_posts_per_month": "twitter_pipeline_max_posts_per_month",
    "price_per_post": "twitter_pipeline_price_per_post",
}


def budget_settings() -> dict[str, str]:
    """The budget settings the Airflow Variables set (as `load_settings` overrides)."""
    from airflow.sdk import Variable

    found: dict[str, str] = {}
    for setting, name in VARIABLES.items():
        value = Variable.get(name, default=None)
        if value is not None and str(value).strip():
            found[setting] = str(value).strip()
    return found
