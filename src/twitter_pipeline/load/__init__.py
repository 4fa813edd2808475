"""Load: merge Arrow tables into Delta Lake tables under ``<lake>/tables/`` (local or S3)."""
