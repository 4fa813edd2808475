"""Load: merge Arrow tables into Delta Lake tables under ``<lake>/tables/`` (local or S3)."""

from twitter_pipeline.load.read import read_table, table_dataset, table_schema
from twitter_pipeline.load.staging import discard_staging
from twitter_pipeline.load.window import LoadSummary, TableLoad, load_window, read_run_record

__all__ = [
    "LoadSummary",
    "TableLoad",
    "discard_staging",
    "load_window",
    "read_run_record",
    "read_table",
    "table_dataset",
    "table_schema",
]
