"""The table Asset URIs the DAGs share (light: imported at DAG parse time).

Both the pipeline DAG (which emits the tweets Asset) and the report DAG (scheduled on it) must
spell the Asset identically, or Airflow treats them as two assets and the report never runs.
"""

from __future__ import annotations

import os

TWEETS_ASSET_NAME = "twitter_pipeline.tweets"
ASSET_GROUP = "twitter_pipeline"


def table_uri(lake: str, table: str) -> str:
    """A lake table's Asset URI: ``s3://…`` as is, a local folder as an absolute ``file://`` URI."""
    if "://" in lake:
        return f"{lake.rstrip('/')}/tables/{table}"
    return f"file://{os.path.abspath(os.path.expanduser(lake))}/tables/{table}"
