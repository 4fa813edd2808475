"""`collection_posts`: which collection fetched which post — the link that makes every row traceable.

The transform's tables stay collection-agnostic (a post found by two collections is one row in
`tweets`); this link table records each (collection, post) pair once, with the endpoint that found it,
the account timeline it came from, and when it was first and last fetched. It is built from the same
raw pages as the other tables and merged in the same `load_window` call, so it commits with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from twitter_pipeline.load import read_table
from twitter_pipeline.raw.pages import RawPage
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TIMESTAMP, ColumnDoc, TableSpec

COLLECTION_POSTS = "collection_posts"

_COLUMNS: list[tuple[str, pa.DataType, str, str]] = [
    ("collection", pa.string(), "(collections.toml)", "Name of the collection that fetched the post."),
    ("tweet_id", pa.string(), "data[].id", "Post id; joins tweets.id."),
    ("kind", pa.string(), "(collections.toml)", "'search' (a query) or 'accounts' (user timelines)."),
    (
        "endpoint",
        pa.string(),
        "(request)",
        "Endpoint of the latest fetch: search_recent, search_all or user_tweets.",
    ),
    (
        "account_id",
        pa.string(),
        "(request path /2/users/:id/tweets)",
        "For accounts: user id of the timeline the post came from; null for searches.",
    ),
    ("first_fetched_at", TIMESTAMP, "(page envelope)", "When this collection first fetched the post."),
    ("first_run_id", pa.string(), "(run)", "Run that first fetched the post for this collection."),
    ("run_id", pa.string(), "(run)", "Run of the latest fetch."),
    ("fetched_at", TIMESTAMP, "(page envelope)", "When this collection last fetched the post."),
]
_KEYS = ("collection", "tweet_id")

COLLECTION_POSTS_SPEC = TableSpec(
    COLLECTION_POSTS,
    pa.schema([pa.field(name, typ, nullable=name not in _KEYS) for name, typ, _, _ in _COLUMNS]),
    _KEYS,
    (),
    "One row per (collection, post): which collection fetched each post, from which endpoint or "
    "account timeline, first and last fetch. Join tweets on tweet_id = tweets.id to filter by collection.",
    tuple(ColumnDoc(name, desc, src) for name, _, src, desc in _COLUMNS),
    keep_on_update=("first_fetched_at", "first_run_id"),
)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def account_of(page: RawPage) -> str | None:
    """The user id of a timeline page (from its request path), None for other endpoints."""
    parts = page.request.path.strip("/").split("/")
    if len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] == "tweets":
        return parts[2]
    return None


class MembershipBuilder:
    """Builds `collection_posts` batches for one collection run, keeping each post's first fetch.

    Only the run's own posts are held (their first fetch within the run). Posts linked by earlier
    runs keep their ``first_*`` columns through the MERGE itself (`TableSpec.keep_on_update`), so
    a run's cost never grows with how many posts the collection already holds.
    """

    def __init__(self, collection: str, kind: str, run_id: str) -> None:
        self.collection, self.kind, self.run_id = collection, kind, run_id
        self.first: dict[str, tuple[datetime, str]] = {}

    def table(self, pages: Iterable[RawPage]) -> pa.Table:
        rows: dict[str, dict[str, object]] = {}
        for page in pages:
            data = page.payload.get("data")
            if not isinstance(data, list):
                continue  # lookups (data is one user) and error-only pages link no posts
            fetched = _utc(page.fetched_at)
            account = account_of(page)
            for post in data:
                post_id = str(post.get("id") or "") if isinstance(post, dict) else ""
                if not post_id:
                    continue
                first_at, first_run = self.first.setdefault(post_id, (fetched, self.run_id))
                previous = rows.get(post_id)
                if previous is not None and previous["fetched_at"] > fetched:  # type: ignore[operator]
                    continue
                rows[post_id] = {
                    "collection": self.collection,
                    "tweet_id": post_id,
                    "kind": self.kind,
                    "endpoint": page.request.endpoint,
                    "account_id": account,
                    "first_fetched_at": first_at,
                    "first_run_id": first_run,
                    "run_id": self.run_id,
                    "fetched_at": fetched,
                }
        return pa.Table.from_pylist(list(rows.values()), schema=COLLECTION_POSTS_SPEC.schema)


def posts_per_collection(storage: LakeStorage) -> dict[str, int]:
    """Distinct posts linked to each collection so far (empty when nothing was loaded yet)."""
    table = read_table(storage, COLLECTION_POSTS, columns=["collection"], schema=COLLECTION_POSTS_SPEC.schema)
    if table.num_rows == 0:
        return {}
    counts = pc.value_counts(table["collection"].combine_chunks())
    return {str(v["values"]): int(v["counts"]) for v in counts.to_pylist()}
