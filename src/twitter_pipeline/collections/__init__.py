"""Collections: several named searches and account lists in one config, each with its own state.

`load_collections()` reads and validates ``collections.toml``; `run_collection()` extracts and loads
one (search window or user timelines); `run_collections()` runs several with failures isolated;
`collection_status()` is what `twitter-pipeline collections` lists.
"""

from twitter_pipeline.collections.config import (
    COLLECTIONS_ENV,
    Collection,
    CollectionsConfig,
    collections_path,
    load_collections,
    parse_collections,
)
from twitter_pipeline.collections.membership import COLLECTION_POSTS, COLLECTION_POSTS_SPEC
from twitter_pipeline.collections.runner import (
    CollectionRunSummary,
    backfill_collection,
    failed_collections,
    run_collection,
    run_collection_isolated,
    run_collections,
)
from twitter_pipeline.collections.status import CollectionStatus, collection_status

__all__ = [
    "COLLECTIONS_ENV",
    "COLLECTION_POSTS",
    "COLLECTION_POSTS_SPEC",
    "Collection",
    "CollectionRunSummary",
    "CollectionStatus",
    "CollectionsConfig",
    "backfill_collection",
    "collection_status",
    "collections_path",
    "failed_collections",
    "load_collections",
    "parse_collections",
    "run_collection",
    "run_collection_isolated",
    "run_collections",
]
