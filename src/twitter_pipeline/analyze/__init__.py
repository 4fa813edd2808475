"""Analyze: SQL over the lake (DuckDB) and an HTML report with charts.

``connect(lake)`` gives a DuckDB connection with every table as a view; ``queries`` holds the
report's questions as functions; ``report.build_report`` renders one self-contained HTML file.
"""

from twitter_pipeline.analyze.lake_sql import LakeConnection, QueryError, connect, list_tables

__all__ = ["LakeConnection", "QueryError", "connect", "list_tables"]
