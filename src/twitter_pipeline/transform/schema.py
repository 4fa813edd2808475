"""Every lake table's schema, declared once: columns, natural key and partitioning.

The loader merges on ``keys`` and partitions by ``partition_by``; docs/schema.md documents
the same tables for analysts (generated from ``TABLES`` by ``python -m
twitter_pipeline.transform.schema_doc``). Change a table here and nowhere else.

Conventions, and why:
- Ids are strings: X ids exceed 2^53, so JavaScript, JSON tools and spreadsheets corrupt numbers.
- Timestamps are ``timestamp[us, tz=UTC]``: what Delta Lake, Spark, Athena and DuckDB all read
  as a UTC instant.
- Counts are int64, never int32 (impression counts outgrow int32).
- Every table has ``fetched_at`` (when the response page arrived): lineage back to the raw zone,
  and the tie-breaker when the same key is seen twice (the last fetched wins).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TIMESTAMP = pa.timestamp("us", tz="UTC")
STRING_LIST = pa.list_(pa.string())


@dataclass(frozen=True)
class ColumnDoc:
    """What an analyst needs to know about one column: meaning and where it comes from in the API JSON."""

    name: str
    description: str
    source: str


@dataclass(frozen=True)
class TableSpec:
    """A table's contract: Arrow schema, natural key (merge key) and partition columns."""

    name: str
    schema: pa.Schema
    keys: tuple[str, ...]
    partition_by: tuple[str, ...] = ()
    description: str = ""
    columns_doc: tuple[ColumnDoc, ...] = field(default=(), compare=False, repr=False)
    # Migration of tables written by older versions (see load.migrate): new name → old name, and
    # how to give old rows a value for a column added to the key.
    renamed_from: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    backfill: Callable[[pa.Table], pa.Table] | None = field(default=None, compare=False, repr=False)
    # Columns a MERGE never overwrites on a matched row (e.g. when a row was first seen): the table
    # keeps them without the loader reading existing rows first.
    keep_on_update: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def doc(self, column: str) -> ColumnDoc:
        return next(c for c in self.columns_doc if c.name == column)


# (name, arrow type, source in the API JSON, description)
ColumnDef: TypeAlias = tuple[str, pa.DataType, str, str]


def _spec(
    name: str,
    columns: list[ColumnDef],
    keys: tuple[str, ...],
    description: str,
    partition_by: tuple[str, ...] = (),
    backfill: Callable[[pa.Table], pa.Table] | None = None,
) -> TableSpec:
    """Build a TableSpec; key columns are declared non-nullable (the transform drops null keys)."""
    fields = [pa.field(col, typ, nullable=col not in keys) for col, typ, _, _ in columns]
    docs = tuple(ColumnDoc(col, desc, src) for col, _, src, desc in columns)
    return TableSpec(name, pa.schema(fields), keys, partition_by, description, docs, backfill=backfill)


FETCHED_AT: ColumnDef = (
    "fetched_at",
    TIMESTAMP,
    "(page envelope)",
    "When the response page holding this row arrived (lineage; on re-fetch the newest wins).",
)

# Posts from `data` and posts from `includes` share one layout so they can be UNIONed.
_POST_COLUMNS: list[ColumnDef] = [
    ("id", pa.string(), "id", "Post id (string: ids exceed 2^53)."),
    ("created_at", TIMESTAMP, "created_at", "When the post was created (UTC)."),
    (
        "created_date",
        pa.string(),
        "created_at (else derived from the id)",
        "YYYY-MM-DD of created_at in UTC; partition column. When created_at was not requested it is "
        "derived from the id (snowflake timestamp).",
    ),
    ("author_id", pa.string(), "author_id", "User id of the author; joins users.id."),
    ("text", pa.string(), "text", "Post text exactly as returned (at most 280 characters for long posts)."),
    (
        "note_text",
        pa.string(),
        "note_tweet.text | note_post.text",
        "Full text of a long post (more than 280 characters); null otherwise.",
    ),
    ("lang", pa.string(), "lang", "BCP47 language tag detected by X."),
    ("conversation_id", pa.string(), "conversation_id", "Id of the root post of the conversation."),
    ("in_reply_to_user_id", pa.string(), "in_reply_to_user_id", "User id this post replies to."),
    ("source", pa.string(), "source", "Name of the app the post was made with (deprecated by X)."),
    (
        "possibly_sensitive",
        pa.bool_(),
        "possibly_sensitive",
        "X marks the post's links as possibly sensitive.",
    ),
    ("reply_settings", pa.string(), "reply_settings", "Who can reply: everyone, mentionedUsers, following…"),
    ("community_id", pa.string(), "community_id", "Community the post belongs to, if any."),
    (
        "retweet_count",
        pa.int64(),
        "public_metrics.retweet_count | public_metrics.repost_count",
        "Reposts (retweets) at fetch time.",
    ),
    ("reply_count", pa.int64(), "public_metrics.reply_count", "Replies at fetch time."),
    ("like_count", pa.int64(), "public_metrics.like_count", "Likes at fetch time."),
    ("quote_count", pa.int64(), "public_metrics.quote_count", "Quote posts at fetch time."),
    ("impression_count", pa.int64(), "public_metrics.impression_count", "Views at fetch time."),
    ("bookmark_count", pa.int64(), "public_metrics.bookmark_count", "Bookmarks at fetch time."),
    ("place_id", pa.string(), "geo.place_id", "Tagged place; joins places.id."),
    ("longitude", pa.float64(), "geo.coordinates.coordinates[0]", "Exact location longitude, if shared."),
    ("latitude", pa.float64(), "geo.coordinates.coordinates[1]", "Exact location latitude, if shared."),
    ("media_keys", STRING_LIST, "attachments.media_keys", "Attached media; each joins media.media_key."),
    ("poll_ids", STRING_LIST, "attachments.poll_ids", "Attached polls; each joins polls.id."),
    (
        "edit_history_tweet_ids",
        STRING_LIST,
        "edit_history_tweet_ids | edit_history_post_ids",
        "Ids of every version of this post, oldest first.",
    ),
    ("is_edit_eligible", pa.bool_(), "edit_controls.is_edit_eligible", "The post could be edited."),
    ("editable_until", TIMESTAMP, "edit_controls.editable_until", "End of the edit window."),
    ("edits_remaining", pa.int64(), "edit_controls.edits_remaining", "Edits left at fetch time."),
    ("withheld_copyright", pa.bool_(), "withheld.copyright", "Withheld because of a copyright claim."),
    (
        "withheld_country_codes",
        STRING_LIST,
        "withheld.country_codes",
        "ISO 3166-1 alpha-2 codes of countries where the post is withheld.",
    ),
    (
        "withheld_scope",
        pa.string(),
        "withheld.scope",
        "What is withheld: `tweet` (this post; 2.167 sends `post`, stored as `tweet`) or `user` (its "
        "author's account).",
    ),
    FETCHED_AT,
]

_ENTITY_PREFIX: list[ColumnDef] = [
    (
        "tweet_id",
        pa.string(),
        "(the post's id)",
        "Post the entity belongs to; joins tweets.id or included_tweets.id.",
    ),
    (
        "start",
        pa.int64(),
        "start",
        "Start offset (inclusive, code points) in the text the entity was found in.",
    ),
    ("end", pa.int64(), "end", "End offset (exclusive)."),
    (
        "in_note_text",
        pa.bool_(),
        "(note_tweet.entities | note_post.entities)",
        "True when offsets index note_text (long post), false when they index text.",
    ),
]

_ENTITY_NOTE = (
    " Rows come from posts in `data` and from included posts. For long posts the entities of the full "
    "note text are used (in_note_text = true)."
)


def backfill_entity_index(rows: pa.Table) -> pa.Table:
    """Old ``urls`` rows (keyed by offset, one per offset) get their position in the post's list.

    Before ``entity_index`` an offset held one entity, so ranking a post's rows by ``start`` gives
    the position the API's list had, and a re-fetch of the same post updates the same rows.
    """
    order = pc.sort_indices(rows, sort_keys=[("tweet_id", "ascending"), ("start", "ascending")])
    rows = rows.take(order)
    tweet_ids = rows["tweet_id"].combine_chunks()
    n = len(tweet_ids)
    first = np.ones(n, dtype=bool)
    if n > 1:
        first[1:] = pc.not_equal(tweet_ids.slice(1), tweet_ids.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(first)
    group_start = np.repeat(starts, np.diff(np.append(starts, n)))
    index = pa.array(np.arange(n, dtype=np.int64) - group_start)
    if "entity_index" in rows.column_names:
        return rows.set_column(rows.column_names.index("entity_index"), "entity_index", index)
    return rows.append_column("entity_index", index)


_TABLE_LIST: list[TableSpec] = [
    _spec(
        "tweets",
        _POST_COLUMNS,
        ("id",),
        "Posts returned as results (`data` of a response page): one row per post id.",
        partition_by=("created_date",),
    ),
    _spec(
        "included_tweets",
        _POST_COLUMNS,
        ("id",),
        "Posts that appear only as expansions (`includes.tweets` / `includes.posts`): the posts that "
        "results quote, reply to or repost. A post that is also a result in the same batch goes to "
        "`tweets` only.",
        partition_by=("created_date",),
    ),
    _spec(
        "users",
        [
            ("id", pa.string(), "id", "User id."),
            (
                "username",
                pa.string(),
                "username",
                "Handle without @ (archives can hold handles over 15 characters).",
            ),
            ("name", pa.string(), "name", "Display name."),
            ("created_at", TIMESTAMP, "created_at", "Account creation time (UTC)."),
            ("description", pa.string(), "description", "Profile bio."),
            ("location", pa.string(), "location", "Free-form profile location."),
            ("url", pa.string(), "url", "Profile URL."),
            ("profile_image_url", pa.string(), "profile_image_url", "Avatar URL."),
            ("protected", pa.bool_(), "protected", "Posts are private."),
            ("verified", pa.bool_(), "verified", "Verified account."),
            ("verified_type", pa.string(), "verified_type", "blue, business, government or none."),
            ("followers_count", pa.int64(), "public_metrics.followers_count", "Followers at fetch time."),
            (
                "following_count",
                pa.int64(),
                "public_metrics.following_count",
                "Accounts followed at fetch time.",
            ),
            (
                "tweet_count",
                pa.int64(),
                "public_metrics.tweet_count | public_metrics.post_count",
                "Posts (including reposts) at fetch time.",
            ),
            ("listed_count", pa.int64(), "public_metrics.listed_count", "Lists that include the user."),
            ("like_count", pa.int64(), "public_metrics.like_count", "Posts the user liked."),
            (
                "pinned_tweet_id",
                pa.string(),
                "pinned_tweet_id | pinned_post_id",
                "Pinned post id.",
            ),
            (
                "withheld_country_codes",
                STRING_LIST,
                "withheld.country_codes",
                "Countries where the account is withheld.",
            ),
            ("withheld_scope", pa.string(), "withheld.scope", "What is withheld: `user`."),
            (
                "url_expanded",
                pa.string(),
                "entities.url.urls[0].expanded_url",
                "The profile URL as the user entered it (`url` is its t.co form).",
            ),
            (
                "description_hashtags",
                STRING_LIST,
                "entities.description.hashtags[].tag",
                "Hashtags in the bio, without #, in order.",
            ),
            (
                "description_mentions",
                STRING_LIST,
                "entities.description.mentions[].username",
                "Handles mentioned in the bio, without @, in order.",
            ),
            (
                "description_urls",
                STRING_LIST,
                "entities.description.urls[].expanded_url",
                "Links in the bio, expanded, in order.",
            ),
            (
                "description_cashtags",
                STRING_LIST,
                "entities.description.cashtags[].tag",
                "Cashtags in the bio, without $, in order.",
            ),
            FETCHED_AT,
        ],
        ("id",),
        "Users from `includes.users` (authors, mentioned and replied-to users).",
    ),
    _spec(
        "media",
        [
            ("media_key", pa.string(), "media_key", "Media key; posts list theirs in tweets.media_keys."),
            ("type", pa.string(), "type", "photo, video or animated_gif."),
            ("url", pa.string(), "url", "Photo URL."),
            ("preview_image_url", pa.string(), "preview_image_url", "Still image for videos and GIFs."),
            ("alt_text", pa.string(), "alt_text", "Description written by the author."),
            ("width", pa.int64(), "width", "Width in pixels."),
            ("height", pa.int64(), "height", "Height in pixels."),
            ("duration_ms", pa.int64(), "duration_ms", "Video length in milliseconds."),
            ("view_count", pa.int64(), "public_metrics.view_count", "Video views at fetch time."),
            (
                "variants",
                pa.list_(
                    pa.struct(
                        [
                            ("bit_rate", pa.int64()),
                            ("content_type", pa.string()),
                            ("url", pa.string()),
                        ]
                    )
                ),
                "variants",
                "Playable encodings of a video/GIF: bit_rate, content_type, url.",
            ),
            FETCHED_AT,
        ],
        ("media_key",),
        "Media from `includes.media`.",
    ),
    _spec(
        "places",
        [
            ("id", pa.string(), "id", "Place id; joins tweets.place_id."),
            ("full_name", pa.string(), "full_name", "Long name, e.g. 'Lakewood, CO'."),
            ("name", pa.string(), "name", "Short name."),
            ("country", pa.string(), "country", "Country name."),
            ("country_code", pa.string(), "country_code", "ISO 3166-1 alpha-2 country code."),
            ("place_type", pa.string(), "place_type", "city, admin, country, poi…"),
            ("contained_within", STRING_LIST, "contained_within", "Ids of enclosing places."),
            ("bbox_west", pa.float64(), "geo.bbox[0]", "Bounding box: west longitude."),
            ("bbox_south", pa.float64(), "geo.bbox[1]", "Bounding box: south latitude."),
            ("bbox_east", pa.float64(), "geo.bbox[2]", "Bounding box: east longitude."),
            ("bbox_north", pa.float64(), "geo.bbox[3]", "Bounding box: north latitude."),
            FETCHED_AT,
        ],
        ("id",),
        "Places from `includes.places`.",
    ),
    _spec(
        "polls",
        [
            ("id", pa.string(), "id", "Poll id; posts list theirs in tweets.poll_ids."),
            ("voting_status", pa.string(), "voting_status", "open or closed."),
            ("duration_minutes", pa.int64(), "duration_minutes", "How long the poll runs."),
            ("end_datetime", TIMESTAMP, "end_datetime", "When voting ends (UTC)."),
            (
                "options",
                pa.list_(
                    pa.struct([("position", pa.int64()), ("label", pa.string()), ("votes", pa.int64())])
                ),
                "options",
                "Choices in order: position (1-based), label, votes.",
            ),
            ("total_votes", pa.int64(), "sum of options[].votes", "Votes over all options."),
            FETCHED_AT,
        ],
        ("id",),
        "Polls from `includes.polls`.",
    ),
    _spec(
        "hashtags",
        [*_ENTITY_PREFIX, ("tag", pa.string(), "tag", "Hashtag text without #."), FETCHED_AT],
        ("tweet_id", "start"),
        "Hashtags found in post text (`entities.hashtags`)." + _ENTITY_NOTE,
    ),
    _spec(
        "mentions",
        [
            *_ENTITY_PREFIX,
            ("username", pa.string(), "username", "Mentioned handle without @."),
            ("user_id", pa.string(), "id", "Mentioned user's id, when X resolved it; joins users.id."),
            FETCHED_AT,
        ],
        ("tweet_id", "start"),
        "@-mentions found in post text (`entities.mentions`)." + _ENTITY_NOTE,
    ),
    _spec(
        "urls",
        [
            *_ENTITY_PREFIX,
            ("url", pa.string(), "url", "The t.co link as it appears in the text."),
            ("expanded_url", pa.string(), "expanded_url", "The link the author posted."),
            ("display_url", pa.string(), "display_url", "Shortened form shown in clients."),
            (
                "unwound_url",
                pa.string(),
                "unwound_url",
                "Final destination after redirects, when X resolved it.",
            ),
            ("title", pa.string(), "title", "Title of the linked page."),
            ("description", pa.string(), "description", "Description of the linked page."),
            ("status", pa.int64(), "status", "HTTP status X got resolving the link."),
            ("media_key", pa.string(), "media_key", "Set when the link points at attached media."),
            (
                "entity_index",
                pa.int64(),
                "(position in entities.urls)",
                "0-based position of the entity in the post's list: a post with several photos has "
                "one entity per photo at the same offset, differing only in media_key.",
            ),
            FETCHED_AT,
        ],
        ("tweet_id", "entity_index"),
        "Links found in post text (`entities.urls`), every entity the API sent." + _ENTITY_NOTE,
        backfill=backfill_entity_index,
    ),
    _spec(
        "cashtags",
        [*_ENTITY_PREFIX, ("tag", pa.string(), "tag", "Cashtag text without $."), FETCHED_AT],
        ("tweet_id", "start"),
        "Cashtags found in post text (`entities.cashtags`)." + _ENTITY_NOTE,
    ),
    _spec(
        "entity_annotations",
        [
            _ENTITY_PREFIX[0],
            ("start", pa.int64(), "start", "Start offset (inclusive, code points) in the post's text."),
            ("end", pa.int64(), "end", "End offset, INCLUSIVE (X's annotations use inclusive ends)."),
            ("type", pa.string(), "type", "Named-entity type: Person, Place, Organization, Product, Other."),
            ("normalized_text", pa.string(), "normalized_text", "The recognised text, normalised."),
            ("probability", pa.float64(), "probability", "X's confidence in the annotation (0–1)."),
            FETCHED_AT,
        ],
        ("tweet_id", "start", "end"),
        "Named entities X recognised in post text (`entities.annotations`), from results and included posts.",
    ),
    _spec(
        "context_annotations",
        [
            _ENTITY_PREFIX[0],
            ("domain_id", pa.string(), "domain.id", "Topic domain id (e.g. 46 = Business Taxonomy)."),
            ("entity_id", pa.string(), "entity.id", "Topic entity id within the domain."),
            ("domain_name", pa.string(), "domain.name", "Domain name."),
            ("domain_description", pa.string(), "domain.description", "Domain description."),
            ("entity_name", pa.string(), "entity.name", "Entity name (a brand, person, interest…)."),
            ("entity_description", pa.string(), "entity.description", "Entity description."),
            FETCHED_AT,
        ],
        ("tweet_id", "domain_id", "entity_id"),
        "Topics X inferred for a post (`context_annotations`), one row per (domain, entity) pair, from "
        "results and included posts.",
    ),
    _spec(
        "tweet_references",
        [
            ("tweet_id", pa.string(), "(the post's id)", "The referring post."),
            (
                "referenced_tweet_id",
                pa.string(),
                "referenced_tweets[].id | referenced_posts[].id",
                "The post referred to; joins tweets.id or included_tweets.id.",
            ),
            ("type", pa.string(), "referenced_tweets[].type", "retweeted, quoted or replied_to."),
            FETCHED_AT,
        ],
        ("tweet_id", "referenced_tweet_id", "type"),
        "Post-to-post edges: reposts, quotes and replies, from results and included posts.",
    ),
    _spec(
        "api_errors",
        [
            (
                "error_key",
                pa.string(),
                "(type|resource_type|resource_id|parameter|field|value)",
                "Natural key: those fields joined with '|' (absent ones empty).",
            ),
            ("type", pa.string(), "type", "Problem type URI, e.g. …/problems/resource-not-found."),
            ("title", pa.string(), "title", "Short problem title."),
            ("detail", pa.string(), "detail", "Human-readable explanation."),
            ("resource_type", pa.string(), "resource_type", "tweet, user, media…"),
            ("resource_id", pa.string(), "resource_id", "Id of the object that could not be returned."),
            ("parameter", pa.string(), "parameter", "Request parameter the error relates to."),
            ("value", pa.string(), "value", "Value of that parameter."),
            ("section", pa.string(), "section", "Response section: data or includes."),
            ("field", pa.string(), "field", "Field that could not be hydrated."),
            ("status", pa.int64(), "status", "HTTP-like status of the problem, when given."),
            FETCHED_AT,
        ],
        ("error_key",),
        "Partial errors returned next to data (`errors`): deleted, suspended or protected objects the "
        "results refer to. Whole-request failures never reach the lake (the extract stage raises).",
    ),
]

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in _TABLE_LIST}
