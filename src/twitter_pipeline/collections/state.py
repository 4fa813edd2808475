"""Incremental state per collection, under ``<lake>/state/collections/<name>/``.

The same documents as `extract.state` (cursor, checkpoints, completed windows), but namespaced by
the collection, so adding, removing or renaming one collection never moves another's ``newest_id``
— even when two collections share a query. Account collections keep one cursor per user id.
A small ``collection.json`` beside them records the last run for `twitter-pipeline collections`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from twitter_pipeline.extract.state import STATE_PREFIX, Checkpoint, StateStore, newer_id, query_key
from twitter_pipeline.storage import LakeStorage

COLLECTIONS_STATE = f"{STATE_PREFIX}/collections"


class CollectionStateStore(StateStore):
    """A `StateStore` whose every key lives under one collection's folder."""

    def __init__(self, storage: LakeStorage, collection_key: str, source: str = "") -> None:
        super().__init__(storage, source)
        self.collection_key = collection_key
        self.root = f"{COLLECTIONS_STATE}/{collection_key}"

    def _base(self, endpoint: str, query: str) -> str:
        return f"{self.root}/{endpoint}/{query_key(endpoint, query, self.source)}"

    def checkpoints(self, endpoint: str | None = None, query: str | None = None) -> Iterator[Checkpoint]:
        """Unfinished runs of this collection only (the base class would list the whole lake)."""
        if endpoint and query is not None:
            yield from super().checkpoints(endpoint, query)
            return

        for key in self.storage.list(self.root):
            if "/checkpoints/" in key and key.endswith(".json"):
                data = self._read(key)
                if data:
                    yield Checkpoint.from_dict(data)

    # -- the collection's own record -----------------------------------------------------------
    @property
    def record_key(self) -> str:
        return f"{self.root}/collection.json"

    def record(self) -> dict[str, Any]:
        return self._read(self.record_key) or {}

    def write_record(self, **values: Any) -> dict[str, Any]:
        """Merge `values` into collection.json (newest_id only ever moves forward)."""
        record = self.record()
        if "newest_id" in values:
            values["newest_id"] = newer_id(record.get("newest_id"), values["newest_id"])
        record.update(values)
        record["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self._write(self.record_key, record)
        return record


def collection_records(storage: LakeStorage) -> dict[str, dict[str, Any]]:
    """Every collection's record in the lake (also of collections no longer in the config)."""
    records: dict[str, dict[str, Any]] = {}
    for key in storage.list(COLLECTIONS_STATE):
        if key.endswith("/collection.json") and key.count("/") == 3:
            try:
                data = orjson.loads(storage.read_bytes(key))
            except (FileNotFoundError, orjson.JSONDecodeError):
                continue
            if isinstance(data, dict):
                records[key.split("/")[2]] = data
    return records
