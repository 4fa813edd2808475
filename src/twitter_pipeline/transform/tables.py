"""Raw response pages → one Arrow table per lake table, conforming exactly to ``schema.TABLES``.

Entry points:
- ``pages_to_tables(pages)``: one batch of pages → ``{table name: pa.Table}`` (every table present,
  possibly empty; unique natural keys within the batch, last-fetched version kept).
- ``iter_table_batches(pages, pages_per_batch)``: the streaming form for whole runs; memory is
  bounded by the batch size, not by the run.

How: ``page_reader`` parses a batch into one Arrow row per page; the builders below explode the
``data``/``includes``/``errors`` lists with Arrow compute and carry each page's ``fetched_at`` to
its rows. No Python loop touches individual posts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from twitter_pipeline.raw.pages import RawPage
from twitter_pipeline.transform.batch_dedupe import keep_last_per_key, last_per_key, unique_within_parent
from twitter_pipeline.transform.columns import (
    ArrowColumn,
    explode,
    first_item,
    first_present,
    get,
    list_field,
    list_item,
    position_in_list,
    snowflake_time,
    to_timestamp,
    utc_date,
)
from twitter_pipeline.transform.page_reader import read_pages
from twitter_pipeline.transform.schema import TABLES

DEFAULT_PAGES_PER_BATCH = 50
"""50 full pages ≈ 5,000 posts plus includes: tens of MB of Arrow data at most."""

Tables = dict[str, pa.Table]


def pages_to_tables(pages: Iterable[RawPage]) -> Tables:
    """Transform one batch of pages into every lake table (deduplicated on each natural key)."""
    return tables_from_page_table(read_pages(list(pages)))


def iter_table_batches(
    pages: Iterable[RawPage], pages_per_batch: int = DEFAULT_PAGES_PER_BATCH
) -> Iterator[Tables]:
    """Yield ``pages_to_tables`` for consecutive batches of ``pages_per_batch`` pages.

    Keys are unique within each batch only; the loader's MERGE resolves repeats across batches.
    """
    if pages_per_batch < 1:
        raise ValueError("pages_per_batch must be at least 1")
    iterator = iter(pages)
    while batch := list(islice(iterator, pages_per_batch)):
        yield pages_to_tables(batch)


def empty_tables() -> Tables:
    return {name: spec.schema.empty_table() for name, spec in TABLES.items()}


def tables_from_page_table(page_table: pa.Table) -> Tables:
    """Build every table from ``page_reader.read_pages`` output."""
    page_table = page_table.combine_chunks()  # one chunk per column: compute calls stay O(1) in chunks
    fetched_at = page_table["fetched_at"]
    includes = page_table["includes"]

    # Posts are deduplicated first, so the per-post tables below start from unique post ids.
    data_posts, data_fetched = _unique_posts(*explode_with_fetched(page_table["data"], fetched_at))
    included_posts, included_fetched = _included_posts(includes, fetched_at)
    data_ids = _combined(get(data_posts, "id"))
    only_included = pc.invert(pc.fill_null(pc.is_in(get(included_posts, "id"), value_set=data_ids), False))
    included_posts, included_fetched = _unique_posts(
        included_posts.filter(only_included), included_fetched.filter(only_included)
    )
    # Entities and references come from every post we hold: results and included-only posts.
    all_posts = _concat(data_posts, included_posts)
    all_fetched = _concat(data_fetched, included_fetched)

    return {
        "tweets": _finish("tweets", _post_columns(data_posts, data_fetched), unique=True),
        "included_tweets": _finish(
            "included_tweets", _post_columns(included_posts, included_fetched), unique=True
        ),
        "users": _finish("users", _users(*_explode_include(includes, "users", fetched_at))),
        "media": _finish("media", _media(*_explode_include(includes, "media", fetched_at))),
        "places": _finish("places", _places(*_explode_include(includes, "places", fetched_at))),
        "polls": _finish("polls", _polls(*_explode_include(includes, "polls", fetched_at))),
        "hashtags": _entities(all_posts, all_fetched, "hashtags", HASHTAG_FIELDS),
        "mentions": _entities(all_posts, all_fetched, "mentions", MENTION_FIELDS),
        "urls": _entities(all_posts, all_fetched, "urls", URL_FIELDS),
        "cashtags": _entities(all_posts, all_fetched, "cashtags", CASHTAG_FIELDS),
        "entity_annotations": _entities(all_posts, all_fetched, "annotations", ANNOTATION_FIELDS),
        "context_annotations": _finish("context_annotations", _context(all_posts, all_fetched)),
        "tweet_references": _finish("tweet_references", _references(all_posts, all_fetched)),
        "api_errors": _finish("api_errors", _errors(*explode_with_fetched(page_table["errors"], fetched_at))),
    }


# Entity table column → field of the API's entity object.
HASHTAG_FIELDS = {"tag": "tag"}
CASHTAG_FIELDS = {"tag": "tag"}
ANNOTATION_FIELDS = {name: name for name in ("type", "normalized_text", "probability")}
_ENTITY_TABLES = {"annotations": "entity_annotations"}  # entities.<kind> → table, where the names differ
MENTION_FIELDS = {"username": "username", "user_id": "id"}
URL_FIELDS = {
    name: name
    for name in (
        "url",
        "expanded_url",
        "display_url",
        "unwound_url",
        "title",
        "description",
        "status",
        "media_key",
    )
}


# --- helpers -----------------------------------------------------------------------------------


def explode_with_fetched(lists: ArrowColumn, fetched_at: ArrowColumn) -> tuple[ArrowColumn, ArrowColumn]:
    items, parents = explode(lists)
    return items, fetched_at.take(parents)


def _explode_include(
    includes: ArrowColumn, name: str, fetched_at: ArrowColumn
) -> tuple[ArrowColumn, ArrowColumn]:
    return explode_with_fetched(get(includes, name), fetched_at)


def _included_posts(includes: ArrowColumn, fetched_at: ArrowColumn) -> tuple[ArrowColumn, ArrowColumn]:
    old_posts, old_fetched = _explode_include(includes, "tweets", fetched_at)
    new_posts, new_fetched = _explode_include(includes, "posts", fetched_at)
    return _concat(old_posts, new_posts), _concat(old_fetched, new_fetched)


def _concat(first: ArrowColumn, second: ArrowColumn) -> pa.ChunkedArray:
    chunks = [*_chunks(first), *_chunks(second)]
    return pa.chunked_array(chunks, type=first.type)


def _combined(column: ArrowColumn) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _chunks(column: ArrowColumn) -> list[pa.Array]:
    return list(column.chunks) if isinstance(column, pa.ChunkedArray) else [column]


def _conform(name: str, columns: dict[str, ArrowColumn]) -> pa.Table:
    """Exactly the declared schema: declared order, declared types (cast), nothing extra."""
    schema = TABLES[name].schema
    arrays = [pc.cast(columns[field.name], field.type) for field in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _finish(name: str, columns: dict[str, ArrowColumn], unique: bool = False) -> pa.Table:
    """Conform to the declared schema and (unless the caller knows keys are unique) keep the last per key."""
    table = _conform(name, columns)
    return table if unique else keep_last_per_key(table, TABLES[name].keys)


def _unique_posts(posts: ArrowColumn, fetched_at: ArrowColumn) -> tuple[ArrowColumn, ArrowColumn]:
    """Posts with an id, one per id (the last fetched)."""
    ids = get(posts, "id")
    if ids.null_count:
        has_id = pc.is_valid(ids)
        posts, fetched_at, ids = posts.filter(has_id), fetched_at.filter(has_id), ids.filter(has_id)
    keep = last_per_key(pa.table({"id": ids}), fetched_at)
    if keep is None:
        return posts, fetched_at
    indices = pa.array(keep)
    return posts.take(indices), fetched_at.take(indices)


def _post_columns(posts: ArrowColumn, fetched_at: ArrowColumn) -> dict[str, ArrowColumn]:
    ids = get(posts, "id")
    created_at = to_timestamp(get(posts, "created_at"))
    metrics = get(posts, "public_metrics")
    coordinates = get(posts, "geo", "coordinates", "coordinates")
    note_text = first_present(get(posts, "note_tweet", "text"), get(posts, "note_post", "text"))
    return {
        "id": ids,
        "created_at": created_at,
        "created_date": utc_date(
            first_present(created_at, snowflake_time(ids)) if created_at.null_count else created_at
        ),
        "author_id": get(posts, "author_id"),
        "text": get(posts, "text"),
        "note_text": note_text,
        "lang": get(posts, "lang"),
        "conversation_id": get(posts, "conversation_id"),
        "in_reply_to_user_id": get(posts, "in_reply_to_user_id"),
        "source": get(posts, "source"),
        "possibly_sensitive": get(posts, "possibly_sensitive"),
        "reply_settings": get(posts, "reply_settings"),
        "community_id": get(posts, "community_id"),
        "retweet_count": first_present(get(metrics, "retweet_count"), get(metrics, "repost_count")),
        "reply_count": get(metrics, "reply_count"),
        "like_count": get(metrics, "like_count"),
        "quote_count": get(metrics, "quote_count"),
        "impression_count": get(metrics, "impression_count"),
        "bookmark_count": get(metrics, "bookmark_count"),
        "place_id": get(posts, "geo", "place_id"),
        "longitude": list_item(coordinates, 0, 2),
        "latitude": list_item(coordinates, 1, 2),
        "media_keys": get(posts, "attachments", "media_keys"),
        "poll_ids": get(posts, "attachments", "poll_ids"),
        "edit_history_tweet_ids": first_present(
            get(posts, "edit_history_tweet_ids"), get(posts, "edit_history_post_ids")
        ),
        "is_edit_eligible": get(posts, "edit_controls", "is_edit_eligible"),
        "editable_until": to_timestamp(get(posts, "edit_controls", "editable_until")),
        "edits_remaining": get(posts, "edit_controls", "edits_remaining"),
        "withheld_copyright": get(posts, "withheld", "copyright"),
        "withheld_country_codes": get(posts, "withheld", "country_codes"),
        "withheld_scope": _old_spelling(get(posts, "withheld", "scope"), {"post": "tweet"}),
        "fetched_at": fetched_at,
    }


def _old_spelling(values: ArrowColumn, renames: dict[str, str]) -> ArrowColumn:
    """Values 2.167 renamed (withheld scope ``post``) in the older spelling, like the column names."""
    for new, old in renames.items():
        values = pc.if_else(pc.equal(values, new), pa.scalar(old), values)
    return values


def _users(users: ArrowColumn, fetched_at: ArrowColumn) -> dict[str, ArrowColumn]:
    metrics = get(users, "public_metrics")
    bio = get(users, "entities", "description")
    columns = {
        name: get(users, name)
        for name in (
            "id",
            "username",
            "name",
            "description",
            "location",
            "url",
            "profile_image_url",
            "protected",
            "verified",
            "verified_type",
        )
    }
    return columns | {
        "created_at": to_timestamp(get(users, "created_at")),
        "followers_count": get(metrics, "followers_count"),
        "following_count": get(metrics, "following_count"),
        "tweet_count": first_present(get(metrics, "tweet_count"), get(metrics, "post_count")),
        "listed_count": get(metrics, "listed_count"),
        "like_count": get(metrics, "like_count"),
        "pinned_tweet_id": first_present(get(users, "pinned_tweet_id"), get(users, "pinned_post_id")),
        "withheld_country_codes": get(users, "withheld", "country_codes"),
        "withheld_scope": get(users, "withheld", "scope"),
        "url_expanded": first_item(list_field(get(users, "entities", "url", "urls"), "expanded_url")),
        "description_hashtags": list_field(get(bio, "hashtags"), "tag"),
        "description_mentions": list_field(get(bio, "mentions"), "username"),
        "description_urls": list_field(get(bio, "urls"), "expanded_url"),
        "description_cashtags": list_field(get(bio, "cashtags"), "tag"),
        "fetched_at": fetched_at,
    }


def _media(media: ArrowColumn, fetched_at: ArrowColumn) -> dict[str, ArrowColumn]:
    names = ("media_key", "type", "url", "preview_image_url", "alt_text", "width", "height", "duration_ms")
    return {name: get(media, name) for name in names} | {
        "view_count": get(media, "public_metrics", "view_count"),
        "variants": get(media, "variants"),
        "fetched_at": fetched_at,
    }


def _places(places: ArrowColumn, fetched_at: ArrowColumn) -> dict[str, ArrowColumn]:
    names = ("id", "full_name", "name", "country", "country_code", "place_type", "contained_within")
    bbox = get(places, "geo", "bbox")
    corners = {
        f"bbox_{side}": list_item(bbox, i, 4) for i, side in enumerate(("west", "south", "east", "north"))
    }
    return {name: get(places, name) for name in names} | corners | {"fetched_at": fetched_at}


def _polls(polls: ArrowColumn, fetched_at: ArrowColumn) -> dict[str, ArrowColumn]:
    options = get(polls, "options")
    votes, parents = explode(options)
    totals = np.bincount(
        _combined(parents).to_numpy().astype(np.int64),
        weights=_combined(pc.fill_null(get(votes, "votes"), 0)).to_numpy(),
        minlength=len(polls),
    ).astype(np.int64)
    total_votes = pc.if_else(pc.is_valid(options), pa.array(totals), pa.scalar(None, pa.int64()))
    return {name: get(polls, name) for name in ("id", "voting_status", "duration_minutes", "options")} | {
        "end_datetime": to_timestamp(get(polls, "end_datetime")),
        "total_votes": total_votes,
        "fetched_at": fetched_at,
    }


def _entities(posts: ArrowColumn, fetched_at: ArrowColumn, kind: str, fields: dict[str, str]) -> pa.Table:
    """One row per entity of unique posts; a long post's entities come from its note (into note_text)."""
    note = first_present(
        get(posts, "note_tweet", "entities", kind), get(posts, "note_post", "entities", kind)
    )
    lists = first_present(note, get(posts, "entities", kind))
    items, parents = explode(lists)
    columns = {
        "tweet_id": get(posts, "id").take(parents),
        "start": get(items, "start"),
        "end": get(items, "end"),
        "in_note_text": pc.is_valid(note).take(parents),
        "entity_index": position_in_list(parents),
        "fetched_at": fetched_at.take(parents),
    }
    columns |= {column: get(items, source) for column, source in fields.items()}
    table = _ENTITY_TABLES.get(kind, kind)
    # Keys with the offset are unique when no post lists two entities at one offset; urls are keyed
    # by position, unique by construction.
    unique = "entity_index" in TABLES[table].keys or unique_within_parent(parents, columns["start"])
    return _finish(table, columns, unique=unique)


def _context(posts: ArrowColumn, fetched_at: ArrowColumn) -> dict[str, ArrowColumn]:
    items, parents = explode(get(posts, "context_annotations"))
    return {
        "tweet_id": get(posts, "id").take(parents),
        "domain_id": get(items, "domain", "id"),
        "entity_id": get(items, "entity", "id"),
        "domain_name": get(items, "domain", "name"),
        "domain_description": get(items, "domain", "description"),
        "entity_name": get(items, "entity", "name"),
        "entity_description": get(items, "entity", "description"),
        "fetched_at": fetched_at.take(parents),
    }


def _references(posts: ArrowColumn, fetched_at: ArrowColumn) -> dict[str, ArrowColumn]:
    lists = first_present(get(posts, "referenced_tweets"), get(posts, "referenced_posts"))
    items, parents = explode(lists)
    return {
        "tweet_id": get(posts, "id").take(parents),
        "referenced_tweet_id": get(items, "id"),
        "type": get(items, "type"),
        "fetched_at": fetched_at.take(parents),
    }


_ERROR_KEY_PARTS = ("type", "resource_type", "resource_id", "parameter", "field", "value")


def _errors(errors: ArrowColumn, fetched_at: ArrowColumn) -> dict[str, ArrowColumn]:
    names = (
        "type",
        "title",
        "detail",
        "resource_type",
        "resource_id",
        "parameter",
        "value",
        "section",
        "field",
    )
    columns = {name: get(errors, name) for name in names}
    key = pc.binary_join_element_wise(
        *(columns[part] for part in _ERROR_KEY_PARTS), "|", null_handling="replace", null_replacement=""
    )
    return columns | {"error_key": key, "status": get(errors, "status"), "fetched_at": fetched_at}
