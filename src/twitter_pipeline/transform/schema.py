"""Every lake table's schema, declared once: columns, natural key and partitioning.

The loader merges on ``keys`` and partitions by ``partition_by``; docs/schema.md documents
the same tables for analysts. Change a table here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class TableSpec:
    """A table's contract: Arrow schema, natural key (merge key) and partition columns."""

    name: str
    schema: pa.Schema
    keys: tuple[str, ...]
    partition_by: tuple[str, ...] = ()
    description: str = ""


# TABLES: dict[str, TableSpec] is filled in below (tweets, users, media, places, polls, hashtags,
# mentions, urls, tweet_references, included_tweets, api_errors).
TABLES: dict[str, TableSpec] = {}
