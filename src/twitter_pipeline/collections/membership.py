"""`collection_posts`: which collection fetched which post — the link that makes every row traceable.

The transform's tables stay collection-agnostic (a post found by two collections is one row in
`tweets`); this link table records each (collection, post) pair once, with the endpoint that found it,
the account timeline it came from, and when it was first and last fetched. It is built from the same
raw pages as the other tables and merged in the same `load_window` call, so it commits with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from twitter_pipeline.load import read_table
from twitter_pipeline.raw.pages import RawPage
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.batch_dedupe import keep_last_per_key
from twitter_pipeline.transform.schema import TIMESTAMP, ColumnDoc, TableSpec

COLLECTION_POSTS = "collection_posts"
POST_ENDPOINTS = frozenset({"search_recent", "search_all", "user_tweets"})  # pages whose `data` are posts

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
    a run's cost never grows with how many posts the collection already holds. The links come from
    the batch's page table (`transform.page_reader.read_pages`): no page is parsed a second time.
    """

    def __init__(self, collection: str, kind: str, run_id: str) -> None:
        self.collection, self.kind, self.run_id = collection, kind, run_id
        self.first: dict[str, tuple[datetime, str]] = {}

    def table(self, pages: Sequence[RawPage], page_table: pa.Table) -> pa.Table:
        """One row per post of the batch's result pages (`data`), its latest fetch winning."""
        data = page_table["data"]
        posts, parents = pc.list_flatten(data), pc.list_parent_indices(data)
        links = pa.table(
            {
                "tweet_id": pc.struct_field(posts, "id"),
                "endpoint": pc.take(pa.array([p.request.endpoint for p in pages], pa.string()), parents),
                "account_id": pc.take(pa.array([account_of(p) for p in pages], pa.string()), parents),
                "fetched_at": pc.take(page_table["fetched_at"], parents).cast(TIMESTAMP),
                "_linked": pc.take(pa.array([p.request.endpoint in POST_ENDPOINTS for p in pages]), parents),
            }
        )
        usable = pc.and_(links["_linked"], pc.greater(pc.utf8_length(links["tweet_id"]), 0))
        links = links.filter(pc.fill_null(usable, False)).drop_columns("_linked")
        earliest = links.group_by("tweet_id").aggregate([("fetched_at", "min")]) if links.num_rows else None
        links = keep_last_per_key(links, ["tweet_id"])  # a post's row is its latest fetch
        if earliest is not None:
            for post_id, fetched in zip(
                earliest["tweet_id"].to_pylist(), earliest["fetched_at_min"].to_pylist(), strict=True
            ):
                self.first.setdefault(post_id, (fetched, self.run_id))
        firsts = [self.first[post_id] for post_id in links["tweet_id"].to_pylist()]
        rows = links.num_rows
        return pa.table(
            {
                "collection": pa.array([self.collection] * rows, pa.string()),
                "tweet_id": links["tweet_id"],
                "kind": pa.array([self.kind] * rows, pa.string()),
                "endpoint": links["endpoint"],
                "account_id": links["account_id"],
                "first_fetched_at": pa.array([first[0] for first in firsts], TIMESTAMP),
                "first_run_id": pa.array([first[1] for first in firsts], pa.string()),
                "run_id": pa.array([self.run_id] * rows, pa.string()),
                "fetched_at": links["fetched_at"],
            },
            schema=COLLECTION_POSTS_SPEC.schema,
        )


def posts_per_collection(storage: LakeStorage) -> dict[str, int]:
    """Distinct posts linked to each collection so far (empty when nothing was loaded yet)."""
    table = read_table(storage, COLLECTION_POSTS, columns=["collection"], schema=COLLECTION_POSTS_SPEC.schema)
    if table.num_rows == 0:
        return {}
    counts = pc.value_counts(table["collection"].combine_chunks())
    return {str(v["values"]): int(v["counts"]) for v in counts.to_pylist()}
