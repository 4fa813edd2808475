"""Analyze: SQL over the lake (DuckDB) and an HTML report with charts."""
