"""What `twitter-pipeline collections` shows: each configured collection with its state in the lake."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from twitter_pipeline.collections.config import CollectionsConfig
from twitter_pipeline.collections.membership import posts_per_collection
from twitter_pipeline.collections.state import collection_records
from twitter_pipeline.storage import LakeStorage


@dataclass
class CollectionStatus:
    """One row of the listing; `configured` is False for state left by a removed or renamed one."""

    name: str
    kind: str
    target: str
    schedule: str
    newest_id: str | None
    last_run_at: str | None
    last_status: str | None
    posts: int
    configured: bool = True
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def collection_status(config: CollectionsConfig, storage: LakeStorage) -> list[CollectionStatus]:
    """Configured collections in file order, then any collection the lake has state for but the file lacks."""
    records = collection_records(storage)
    posts = posts_per_collection(storage)
    rows = []
    for c in config:
        record = records.pop(c.key, {})
        rows.append(
            CollectionStatus(
                name=c.name,
                kind=c.kind,
                target=c.target,
                schedule=c.schedule,
                newest_id=record.get("newest_id"),
                last_run_at=record.get("last_run_at"),
                last_status=record.get("last_status"),
                posts=posts.get(c.name, 0),
                last_error=record.get("last_error"),
            )
        )
    for key, record in sorted(records.items()):
        rows.append(
            CollectionStatus(
                name=str(record.get("name") or key),
                kind=str(record.get("kind") or "?"),
                target=str(record.get("target") or ""),
                schedule="-",
                newest_id=record.get("newest_id"),
                last_run_at=record.get("last_run_at"),
                last_status=record.get("last_status"),
                posts=posts.get(key, 0),
                configured=False,
                last_error=record.get("last_error"),
            )
        )
    return rows
