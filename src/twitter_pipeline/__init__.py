"""twitter-pipeline: X API v2 → raw zone → Delta Lake tables, locally or on S3."""

__version__ = "0.1.0"
