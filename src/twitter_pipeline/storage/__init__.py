"""Storage: one small object-store interface over a local folder or ``s3://bucket/prefix``."""

from twitter_pipeline.storage.lake_storage import LakeStorage

__all__ = ["LakeStorage"]
